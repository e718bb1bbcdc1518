// The group board: an outbox that never loses a note, and the live merge of
// what the other animators write. No framework; htmx handles the other actions.
//
// Outbox: a note typed here goes to localStorage first (it survives a reload
// or a closed tab), shows at once as "pas encore enregistrée", and is sent in
// the order typed, one at a time, with a UUID made here: the server stores
// each UUID once, so a retry after a lost answer cannot make a second note.
// Only a 2xx answer removes a note from the outbox.
//
// The outbox belongs to one person and one group (one storage key each): on a
// shared computer the next person's page never reads, shows or sends another
// person's notes, and each note says who typed it, which the server checks.
// A note the server refuses (4xx) is set aside, text kept, and the next ones go.
(() => {
  "use strict";

  const board = document.getElementById("board");
  if (!board) return;

  const PREFIX = "atelier-outbox-v2:";
  const LEGACY = "atelier-outbox-v1"; // one outbox for every user of the browser
  const MESSAGES = JSON.parse(document.getElementById("board-messages").textContent);
  const MAX_LENGTH = MESSAGES.max_length; // atelier.models.NOTE_MAX_LENGTH
  const groupId = board.dataset.group;
  const userId = board.dataset.user;
  const status = document.getElementById("outbox-status");
  const liveStatus = document.getElementById("live-status");
  const pollEvery = Number(board.dataset.poll || 3) * 1000;
  const heldMax = Number(board.dataset.heldMax || 0); // what the server reads of `vu`
  // Renewed by each full answer of the poll; sent with the polls and the
  // notes, it lets the server answer them before its session and rights
  // checks (atelier/board_poll.py, atelier/board_save.py).
  let pollToken = board.dataset.pollToken;

  // ----- storage -------------------------------------------------------------
  // One key per user and group: "atelier-outbox-v2:<user>:<group>". Each item
  // is a note waiting to be sent, or one refused (`refused` holds the reason).
  const mine = `${PREFIX}${userId}:`;
  const keyOf = (group) => `${mine}${group}`;
  const read = (key) => {
    try {
      const items = JSON.parse(localStorage.getItem(key));
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  };
  const write = (key, items) => {
    if (items.length) localStorage.setItem(key, JSON.stringify(items));
    else localStorage.removeItem(key);
  };
  function myKeys() {
    // This group's outbox first: its notes are the ones on screen.
    const keys = [];
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith(mine) && key !== keyOf(groupId)) keys.push(key);
    }
    return [keyOf(groupId), ...keys.sort()];
  }
  const everything = () => myKeys().flatMap(read);
  const waiting = () => everything().filter((item) => !item.refused);
  const refusedNotes = () => everything().filter((item) => item.refused);
  const load = () => read(keyOf(groupId)); // this group's notes, waiting or refused
  function change(item, update) {
    const key = keyOf(item.group);
    const items = read(key);
    const index = items.findIndex((other) => other.uuid === item.uuid);
    if (index === -1) return;
    const changed = update({ ...items[index] });
    if (changed) items[index] = changed;
    else items.splice(index, 1);
    write(key, items);
  }
  const forget = (item) => change(item, () => null);

  function adoptLegacy() {
    // Notes kept by the previous version of this script carry no author: they
    // are never sent automatically, only shown to be checked by hand.
    const legacy = read(LEGACY);
    localStorage.removeItem(LEGACY);
    for (const item of legacy) {
      const group = String(item.group || groupId);
      write(keyOf(group), [...read(keyOf(group)),
        { ...item, group, user: userId, refused: MESSAGES.legacy }]);
    }
  }

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function csrfToken() {
    // The cookie, not the page: a page kept for offline use may hold an old token.
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = board.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  const format = (template, values) =>
    template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));

  // ----- typing ----------------------------------------------------------------
  function validate(text) {
    if (!text.trim()) return MESSAGES.empty;
    if (text.length > MAX_LENGTH) return format(MESSAGES.too_long, { n: text.length });
    return "";
  }

  function showError(form, message) {
    const error = form.querySelector(".field-error");
    const input = form.elements.text;
    error.textContent = message;
    error.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function enqueue(form) {
    const text = form.elements.text.value;
    const error = validate(text);
    showError(form, error);
    if (error) {
      form.elements.text.focus();
      return;
    }
    const item = {
      uuid: uuid4(),
      url: form.action,
      user: userId,
      group: groupId,
      groupLabel: board.dataset.groupLabel,
      question: form.elements.question.value,
      kind: form.elements.kind.value,
      speaker: form.elements.speaker_actor_type.value,
      text,
      typedAt: Date.now(),
    };
    write(keyOf(groupId), [...load(), item]);
    showPending(item);
    form.elements.text.value = "";
    const preview = form.querySelector(".preview");
    if (preview) preview.replaceChildren();
    form.elements.text.focus();
    updateStatus();
    flush();
  }

  function showPending(item) {
    if (item.refused || item.group !== groupId) return;
    if (board.querySelector(`[data-uuid="${item.uuid}"]`)) return;
    const list = document.getElementById(`notes-q${item.question}`);
    if (!list) return;
    const li = document.createElement("li");
    li.className = "note note-pending";
    li.dataset.uuid = item.uuid;
    const text = document.createElement("div");
    text.className = "note-text";
    text.textContent = item.text;
    const meta = document.createElement("p");
    meta.className = "note-meta";
    const badge = document.createElement("span");
    badge.className = "pending-badge";
    badge.textContent = MESSAGES.pending_label;
    meta.append(badge);
    li.append(text, meta);
    list.append(li);
  }

  board.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!input.matches(".note-form textarea") || event.key !== "Enter") return;
    if (event.shiftKey || event.isComposing) return; // Shift+Enter: a new line
    event.preventDefault();
    input.form.requestSubmit();
  });

  board.addEventListener("submit", (event) => {
    if (!event.target.matches("form[data-outbox]")) return;
    event.preventDefault();
    enqueue(event.target);
  });

  // ----- sending -----------------------------------------------------------------
  let flushing = false;
  let attempt = 0;
  let retryTimer = null;

  async function flush() {
    if (flushing) return;
    flushing = true;
    clearTimeout(retryTimer);
    try {
      // Sent notes leave the outbox and refused ones are set aside, so the
      // first waiting note is always the next one; `tried` guards against a
      // note that another tab keeps putting back.
      const tried = new Set();
      for (let item = waiting()[0]; item && !tried.has(item.uuid); item = waiting()[0]) {
        tried.add(item.uuid);
        const outcome = await send(item);
        if (outcome === "retry") {
          retryLater();
          break;
        }
        if (outcome === "stop") break; // another person's session: wait for the author
        attempt = 0;
      }
    } finally {
      flushing = false;
      updateStatus();
    }
  }

  function retryLater() {
    // Exponential backoff with jitter, so that fifty laptops coming back
    // online together do not all knock at the same instant.
    attempt += 1;
    const base = Math.min(30000, 1000 * 2 ** Math.min(attempt, 5));
    retryTimer = setTimeout(flush, base * (0.5 + Math.random()));
  }

  async function send(item) {
    const body = new URLSearchParams({
      client_uuid: item.uuid,
      question: item.question,
      kind: item.kind,
      speaker_actor_type: item.speaker || "",
      text: item.text,
      outbox_user: item.user, // the server refuses a note typed by someone else
    });
    if (pollToken && item.group === groupId) body.set("jeton", pollToken);
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": csrfToken(), "X-Outbox": "1", "HX-Request": "true" },
      });
    } catch {
      setOnline(false);
      return "retry";
    }
    setOnline(true);
    if (response.ok) {
      acknowledge(item, await response.text());
      return "done";
    }
    // The board's refusals come as JSON with a French reason; a 403 without
    // one is Django's CSRF check (a session ended elsewhere): log in again.
    const data = await response.json().catch(() => null);
    if (data && data.code === "other_user") {
      status.dataset.problem = MESSAGES.other_user;
      return "stop";
    }
    const refusal = [400, 404, 409, 422].includes(response.status)
      || (response.status === 403 && data && data.errors);
    if (refusal) {
      const reason = data && data.errors ? Object.values(data.errors).flat().join(" ") : "";
      refuse(item, reason || MESSAGES.refused);
      return "done";
    }
    // A redirect to the login page, a server error: the note stays in the
    // outbox and is tried again.
    status.dataset.problem = response.type === "opaqueredirect" || response.status === 401
      || response.status === 403 ? MESSAGES.session : MESSAGES.server;
    return "retry";
  }

  function acknowledge(item, html) {
    forget(item);
    delete status.dataset.problem;
    if (item.group !== groupId) return; // saved on its own group's board
    const saved = parse(html)[0];
    const pending = board.querySelector(`li.note-pending[data-uuid="${item.uuid}"]`);
    if (!saved) return pending && pending.remove();
    const already = document.getElementById(saved.id);
    if (already) {
      if (pending) pending.remove();
      return;
    }
    if (pending) pending.replaceWith(saved);
    else {
      const list = document.getElementById(`notes-q${saved.dataset.question}`);
      if (!list) return;
      list.append(saved);
    }
    htmx.process(saved);
    sortList(saved.parentElement);
  }

  function refuse(item, reason) {
    // The server will not take this note as it is (too long, a group its
    // animator left…): out of the queue, into the visible list, text kept.
    change(item, (kept) => ({ ...kept, refused: reason }));
    delete status.dataset.problem;
    const pending = board.querySelector(`li.note-pending[data-uuid="${item.uuid}"]`);
    if (pending) pending.remove();
    showRefused();
  }

  // ----- the notes the server refused ----------------------------------------------
  const refusedSection = document.getElementById("refused-notes");
  const refusedList = document.getElementById("refused-list");
  const refusedTitle = document.getElementById("refused-title");

  function showRefused() {
    const items = refusedNotes();
    refusedSection.hidden = !items.length;
    refusedTitle.textContent = format(
      items.length === 1 ? MESSAGES.refused_one : MESSAGES.refused_many, { n: items.length },
    );
    const shown = new Map([...refusedList.children].map((li) => [li.dataset.uuid, li]));
    for (const item of items) {
      if (shown.has(item.uuid)) shown.delete(item.uuid);
      else refusedList.append(refusedItem(item));
    }
    for (const li of shown.values()) li.remove();
  }

  function refusedItem(item) {
    const li = document.createElement("li");
    li.className = "note note-refused";
    li.dataset.uuid = item.uuid;
    li.dataset.group = item.group;
    const text = document.createElement("div");
    text.className = "note-text refused-text";
    text.id = `refused-text-${item.uuid}`;
    text.textContent = item.text;
    const meta = document.createElement("p");
    meta.className = "note-meta";
    const reason = document.createElement("span");
    reason.className = "pending-badge";
    reason.textContent = item.refused;
    meta.append(reason);
    if (item.group !== groupId && item.groupLabel) {
      const where = document.createElement("span");
      where.className = "refused-group";
      where.textContent = format(MESSAGES.other_group, { group: item.groupLabel });
      meta.append(" ", where);
    }
    const actions = document.createElement("div");
    actions.className = "note-actions";
    for (const [action, label] of [["copy", MESSAGES.copy], ["retry", MESSAGES.retry],
      ["discard", MESSAGES.discard]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = action === "discard" ? "button-small button-quiet" : "button-small";
      button.dataset.refusedAction = action;
      button.textContent = label;
      button.setAttribute("aria-describedby", text.id);
      actions.append(button);
    }
    const said = document.createElement("p");
    said.className = "refused-said muted";
    said.setAttribute("role", "status");
    li.append(text, meta, actions, said);
    return li;
  }

  refusedList.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-refused-action]");
    if (!button) return;
    const li = button.closest("li");
    const item = refusedNotes().find((other) => other.uuid === li.dataset.uuid);
    if (!item) return showRefused();
    const action = button.dataset.refusedAction;
    if (action === "copy") {
      li.querySelector(".refused-said").textContent = await copy(item.text, li)
        ? MESSAGES.copied : MESSAGES.copy_failed;
    } else if (action === "retry") {
      // Back in the queue, at its place in the order typed.
      change(item, (kept) => {
        delete kept.refused;
        return kept;
      });
      showPending({ ...item, refused: "" });
      showRefused();
      attempt = 0;
      updateStatus();
      flush();
    } else if (action === "discard" && window.confirm(MESSAGES.discard_confirm)) {
      forget(item);
      showRefused();
      updateStatus();
    }
  });

  async function copy(text, li) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // No clipboard API (plain http): select the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents(li.querySelector(".refused-text"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      return false;
    }
  }

  function updateStatus() {
    const count = waiting().length;
    const problem = status.dataset.problem;
    if (!count) {
      status.hidden = true;
      status.textContent = "";
      return;
    }
    const text = format(count === 1 ? MESSAGES.pending_one : MESSAGES.pending_many, { n: count });
    status.textContent = problem ? `${text} — ${problem}` : text;
    status.hidden = false;
  }

  function setOnline(online) {
    liveStatus.hidden = online;
  }

  // ----- logging out with notes in the outbox -------------------------------------
  // They stay in this browser under their author's key: the next person's
  // page never sends them, and their author finds them on her next login.
  let leaving = false;
  const logoutDialog = document.getElementById("logout-dialog");
  let logoutForm = null;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches(".logout-form") || leaving) return;
    const count = everything().length;
    if (!count || !logoutDialog || !logoutDialog.showModal) return;
    // Capture phase: stop here, before site.js empties the caches and submits.
    event.preventDefault();
    event.stopImmediatePropagation();
    logoutForm = form;
    document.getElementById("logout-count").textContent = format(
      count === 1 ? MESSAGES.logout_one : MESSAGES.logout_many, { n: count },
    );
    logoutDialog.showModal();
  }, true);
  logoutDialog?.addEventListener("click", (event) => {
    const choice = event.target.closest("button[data-logout]")?.dataset.logout;
    if (!choice) return;
    logoutDialog.close();
    if (choice === "stay") return;
    if (choice === "discard") for (const key of myKeys()) localStorage.removeItem(key);
    leaving = true;
    logoutForm.requestSubmit(); // site.js then forgets the offline copies
  });

  window.addEventListener("online", () => {
    attempt = 0;
    flush();
    poll();
  });
  window.addEventListener("offline", () => setOnline(false));
  window.addEventListener("beforeunload", (event) => {
    if (!leaving && waiting().length) {
      event.preventDefault();
      event.returnValue = ""; // the browser asks "leave this page?"
    }
  });
  window.addEventListener("storage", (event) => {
    // Another tab sent, queued or set aside notes.
    if (event.key === null || event.key.startsWith(mine)) {
      updateStatus();
      showRefused();
    }
  });

  // ----- the others' notes ---------------------------------------------------------
  let cursor = board.dataset.cursor;
  let pollTimer = null;
  const deferred = new Map();

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return [...template.content.querySelectorAll("li[data-note-id]")];
  }

  const stamp = (element) => Number(element.dataset.updated || 0);

  function merge(incoming) {
    const existing = document.getElementById(incoming.id);
    if (existing) {
      // Never disturb a note being edited or an undo on offer; a note that
      // holds the focus is updated when the focus leaves it.
      if ("editing" in existing.dataset || "undo" in existing.dataset) return;
      if (stamp(existing) >= stamp(incoming)) return;
      if (existing.contains(document.activeElement)) {
        deferred.set(incoming.id, incoming);
        return;
      }
      const list = existing.parentElement;
      if ("deleted" in incoming.dataset) existing.remove();
      else {
        existing.replaceWith(incoming);
        htmx.process(incoming);
      }
      sortList(list);
      return;
    }
    if ("deleted" in incoming.dataset) return;
    const list = document.getElementById(`notes-q${incoming.dataset.question}`);
    if (!list) return;
    const pending = list.querySelector(`li.note-pending[data-uuid="${incoming.dataset.uuid}"]`);
    if (pending) pending.replaceWith(incoming);
    else list.append(incoming);
    htmx.process(incoming);
    sortList(list);
  }

  board.addEventListener("focusout", () => {
    setTimeout(() => {
      for (const [id, incoming] of deferred) {
        const existing = document.getElementById(id);
        if (existing && existing.contains(document.activeElement)) continue;
        deferred.delete(id);
        merge(incoming);
      }
    });
  });

  function sortKey(li) {
    // Saved notes by position (unset last), then time typed; pending ones last.
    if (!li.dataset.noteId) return [2, 0, 0];
    const position = li.dataset.position === "" ? Infinity : Number(li.dataset.position);
    return [position === Infinity ? 1 : 0, position === Infinity ? 0 : position,
      Number(li.dataset.created || 0)];
  }

  function sortList(list) {
    if (!list) return;
    const items = [...list.children];
    const sorted = [...items].sort((a, b) => {
      const [x, y] = [sortKey(a), sortKey(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    if (sorted.every((li, i) => li === items[i])) return; // keep focus where it is
    list.append(...sorted);
  }

  // "id:stamp,…" of the saved notes shown here whose last change falls in
  // the poll's window (a second's margin: stamps are the server's clock);
  // none past `heldMax` (the server reads no more): the answer is then complete.
  function heldNotes(sinceMs) {
    const held = [];
    for (const li of board.querySelectorAll("li.note[data-note-id][data-updated]")) {
      if (stamp(li) * 1000 >= sinceMs - 1000) held.push(`${li.dataset.noteId}:${li.dataset.updated}`);
    }
    return held.length <= heldMax ? held.join(",") : "";
  }

  async function poll() {
    clearTimeout(pollTimer);
    if (!document.hidden) {
      // Ask again for the last few seconds: a note saved just before the
      // previous answer may have committed after it. Duplicates are harmless.
      const sinceMs = new Date(cursor).getTime() - 5000;
      const url = new URL(board.dataset.changesUrl, location.href);
      url.searchParams.set("since", new Date(sinceMs).toISOString());
      // The notes this board holds among those changed since then: they are
      // not sent again (atelier/board_poll.py, `held_notes`).
      const held = heldNotes(sinceMs);
      if (held) url.searchParams.set("vu", held);
      // With it, a poll finding nothing new is answered 204 before the
      // server's session and rights checks (atelier/board_poll.py).
      if (pollToken) url.searchParams.set("jeton", pollToken);
      try {
        const response = await fetch(url, {
          credentials: "same-origin", redirect: "manual", headers: { "HX-Request": "true" },
        });
        if (response.ok) {
          cursor = response.headers.get("X-Board-Cursor") || cursor;
          pollToken = response.headers.get("X-Board-Token") || pollToken;
          parse(await response.text()).forEach(merge);
          setOnline(true);
          if (waiting().length && !flushing) flush();
        }
      } catch {
        setOnline(false);
      }
    }
    pollTimer = setTimeout(poll, pollEvery);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) poll();
  });

  // ----- drag and drop: a mouse shortcut for the move buttons -----------------------
  // The ↑/↓ buttons stay the way to move a note by keyboard or without
  // JavaScript; a drop sends the same request with the number of places.
  let dragged = null;
  const movable = (li) => li && li.matches("li.note[data-note-id]:not([data-editing]):not([data-deleted])")
    && li.querySelector("[id^=up-]");
  board.addEventListener("pointerdown", (event) => {
    const li = event.target.closest("li.note");
    // Text, links and buttons keep their own pointer behaviour.
    if (movable(li) && !event.target.closest("a, button, input, textarea, select")) li.draggable = true;
  });
  board.addEventListener("dragstart", (event) => {
    const li = event.target.closest?.("li.note");
    if (!movable(li)) return;
    dragged = li;
    li.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", li.dataset.noteId);
  });
  const dropTarget = (event) => {
    const li = dragged && event.target.closest?.("li.note");
    return li && li !== dragged && li.parentElement === dragged.parentElement && movable(li) ? li : null;
  };
  board.addEventListener("dragover", (event) => {
    const target = dropTarget(event);
    for (const li of board.querySelectorAll(".drop-target")) if (li !== target) li.classList.remove("drop-target");
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("drop-target");
  });
  board.addEventListener("drop", async (event) => {
    const target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    const note = dragged;
    const list = note.parentElement;
    const notes = [...list.children].filter(movable);
    const offset = notes.indexOf(target) - notes.indexOf(note);
    const url = note.querySelector("[id^=up-]").getAttribute("formaction");
    const body = new URLSearchParams({ offset: String(offset) });
    try {
      const response = await fetch(url, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
      // 409: the note was deleted meanwhile; the answer is the list without it.
      if (!response.ok && response.status !== 409) throw new Error(String(response.status));
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      const fresh = template.content.querySelector("ol.notes");
      if (fresh) {
        list.replaceWith(fresh);
        htmx.process(fresh);
        expireUndo(fresh);
        document.getElementById(note.id)?.focus();
      }
    } catch {
      status.hidden = false;
      status.textContent = MESSAGES.move_failed;
    }
  });
  board.addEventListener("dragend", () => {
    for (const li of board.querySelectorAll(".drop-target, .dragging")) li.classList.remove("drop-target", "dragging");
    if (dragged) dragged.draggable = false;
    dragged = null;
  });

  // ----- undo offers (and notices) that fade -------------------------------------------
  const UNDO_SECONDS = 8;
  const FADING = "[data-undo], [data-transient]";
  function expireUndo(root) {
    const offers = root.matches?.(FADING) ? [root] : [...root.querySelectorAll(FADING)];
    for (const offer of offers) {
      const expire = () => {
        if (!offer.isConnected) return;
        if (offer.contains(document.activeElement)) setTimeout(expire, 2000);
        else offer.remove();
      };
      setTimeout(expire, UNDO_SECONDS * 1000);
    }
  }
  document.body.addEventListener("htmx:load", (event) => expireUndo(event.detail.elt));

  // ----- start -------------------------------------------------------------------------
  adoptLegacy();
  for (const item of load()) showPending(item);
  showRefused();
  updateStatus();
  if (waiting().length) flush();
  pollTimer = setTimeout(poll, pollEvery);
  keepForOffline();
})();

// The service worker keeps each board page it sees; the first time, this page
// and its scripts were fetched before it existed, so they are stored here.
function keepForOffline() {
  const board = document.getElementById("board");
  if (!("serviceWorker" in navigator) || !("caches" in window) || !board.dataset.sw) return;
  const assets = [...document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]")]
    .map((element) => element.src || element.href);
  const controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.register(board.dataset.sw, { scope: "/" })
    .then(() => navigator.serviceWorker.ready)
    .then(() => controlled || Promise.all([
      caches.open("atelier-static-v1").then((cache) => cache.addAll(assets)),
      caches.open("atelier-pages-v1").then((cache) => cache.add(location.pathname)),
    ]))
    .then(() => { board.dataset.offlineReady = "true"; })
    .catch(() => {});
}
