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
