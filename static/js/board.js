// The group board: an outbox that never loses a note, and the live merge of
// what the other animators write. No framework; htmx handles the other actions.
//
// Outbox: a note typed here goes to localStorage first (it survives a reload
// or a closed tab), shows at once as "pas encore enregistrée", and is sent in
// the order typed, one at a time, with a UUID made here: the server stores
// each UUID once, so a retry after a lost answer cannot make a second note.
// Only a 2xx answer removes a note from the outbox.
(() => {
  "use strict";

  const board = document.getElementById("board");
  if (!board) return;

  const STORE = "atelier-outbox-v1";
  const MESSAGES = JSON.parse(document.getElementById("board-messages").textContent);
  const MAX_LENGTH = MESSAGES.max_length; // atelier.models.NOTE_MAX_LENGTH
  const groupId = board.dataset.group;
  const status = document.getElementById("outbox-status");
  const liveStatus = document.getElementById("live-status");
  const pollEvery = Number(board.dataset.poll || 3) * 1000;

  // ----- storage -------------------------------------------------------------
  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(STORE)) || [];
    } catch {
      return [];
    }
  };
  const store = (items) => localStorage.setItem(STORE, JSON.stringify(items));
  const forget = (uuid) => store(load().filter((item) => item.uuid !== uuid));

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
      group: groupId,
      question: form.elements.question.value,
      kind: form.elements.kind.value,
      speaker: form.elements.speaker_actor_type.value,
      text,
      typedAt: Date.now(),
    };
    store([...load(), item]);
    showPending(item);
    form.elements.text.value = "";
    const preview = form.querySelector(".preview");
    if (preview) preview.replaceChildren();
    form.elements.text.focus();
    updateStatus();
    flush();
  }

  function showPending(item) {
    if (item.group !== groupId || board.querySelector(`[data-uuid="${item.uuid}"]`)) return;
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
      for (let items = load(); items.length; items = load()) {
        const outcome = await send(items[0]);
        if (outcome === "retry") {
          retryLater();
          break;
        }
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
    });
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
    if (response.status === 400 || response.status === 409) {
      const data = await response.json().catch(() => ({}));
      refuse(item, data.errors || {});
      return "done";
    }
    // A redirect to the login page, a CSRF or rights refusal, a server error:
    // the note stays in the outbox and is tried again.
    status.dataset.problem = response.type === "opaqueredirect" || response.status === 403
      ? MESSAGES.session : MESSAGES.server;
    return "retry";
  }

  function acknowledge(item, html) {
    forget(item.uuid);
    delete status.dataset.problem;
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

  function refuse(item, errors) {
    // The server said no (too long, unknown kind…): give the text back to the
    // field with the reason, unless the animator has started another note.
    forget(item.uuid);
    const pending = board.querySelector(`li.note-pending[data-uuid="${item.uuid}"]`);
    const message = Object.values(errors).flat().join(" ") || MESSAGES.refused;
    const list = document.getElementById(`notes-q${item.question}`);
    const form = list && list.closest(".question").querySelector("form.note-form");
    if (form && !form.elements.text.value.trim()) {
      if (pending) pending.remove();
      form.elements.text.value = item.text;
      showError(form, message);
      return;
    }
    if (!pending) return;
    pending.classList.replace("note-pending", "note-refused");
    pending.querySelector(".pending-badge").textContent = `${MESSAGES.refused_label} ${message}`;
  }

  function updateStatus() {
    const count = load().length;
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

  window.addEventListener("online", () => {
    attempt = 0;
    flush();
    poll();
  });
  window.addEventListener("offline", () => setOnline(false));
  window.addEventListener("beforeunload", (event) => {
    if (load().length) {
      event.preventDefault();
      event.returnValue = ""; // the browser asks "leave this page?"
    }
  });
  window.addEventListener("storage", (event) => {
    if (event.key === STORE) updateStatus(); // another tab sent or queued notes
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

  async function poll() {
    clearTimeout(pollTimer);
    if (!document.hidden) {
      // Ask again for the last few seconds: a note saved just before the
      // previous answer may have committed after it. Duplicates are harmless.
      const since = new Date(new Date(cursor).getTime() - 5000).toISOString();
      const url = new URL(board.dataset.changesUrl, location.href);
      url.searchParams.set("since", since);
      try {
        const response = await fetch(url, {
          credentials: "same-origin", redirect: "manual", headers: { "HX-Request": "true" },
        });
        if (response.ok) {
          cursor = response.headers.get("X-Board-Cursor") || cursor;
          parse(await response.text()).forEach(merge);
          setOnline(true);
          if (load().length && !flushing) flush();
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
      if (!response.ok) throw new Error(String(response.status));
      const template = document.createElement("template");
      template.innerHTML = await response.text();
      const fresh = template.content.querySelector("ol.notes");
      if (fresh) {
        list.replaceWith(fresh);
        htmx.process(fresh);
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

  // ----- undo offers that fade ------------------------------------------------------
  const UNDO_SECONDS = 8;
  function expireUndo(root) {
    const offers = root.matches?.("[data-undo]") ? [root] : [...root.querySelectorAll("[data-undo]")];
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
  for (const item of load()) showPending(item);
  updateStatus();
  if (load().length) flush();
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
