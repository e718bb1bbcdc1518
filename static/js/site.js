// Site-wide behaviour. Logging out forgets the pages kept for offline use, so
// the next person on a shared computer cannot read them without a network.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches(".logout-form") || !("caches" in window)) return;
  event.preventDefault();
  caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("atelier-")).map((k) => caches.delete(k))))
    .finally(() => form.submit());
});

// A button marked data-print prints the page (static/js, not an inline handler,
// so that a Content-Security-Policy may forbid inline scripts). Being a
// <button>, it answers Enter and Space as well as a click.
document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-print]")) window.print();
});

// htmx leaves 4xx and 5xx answers out of the page (base.html's responseHandling
// swaps only 400 and 409: forms with their messages). The French message the
// server sends for the others (web/views.py: 403, 404 and 500 as fragments) goes
// into the alert area under the header, so that a refused or failed click says
// why instead of doing nothing; an answer without one (a proxy's 502) gets the
// generic message. The next success of the same element takes it away, so a
// poll that failed once does not leave a stale alarm.
let alertSource = null;

document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr, shouldSwap, requestConfig } = event.detail;
  const area = document.getElementById("htmx-alerts");
  if (shouldSwap || xhr.status < 400 || !area) return;
  const answer = document.createElement("template");
  answer.innerHTML = xhr.responseText;  // inert: nothing in a <template> runs
  const generic = document.getElementById("htmx-error-generic");
  const message = answer.content.querySelector(".error-message")
    || (generic && generic.content.querySelector(".error-message"));
  if (!message) return;
  area.replaceChildren(message.cloneNode(true));
  area.hidden = false;
  alertSource = requestConfig && requestConfig.elt;
});

document.addEventListener("htmx:afterRequest", (event) => {
  const { successful, requestConfig } = event.detail;
  if (!successful || !requestConfig || requestConfig.elt !== alertSource) return;
  const area = document.getElementById("htmx-alerts");
  if (area) {
    area.replaceChildren();
    area.hidden = true;
  }
  alertSource = null;
});
