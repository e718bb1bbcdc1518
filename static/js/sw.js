// Keeps the group boards readable when the network drops: a board reloaded
// offline comes from the last copy seen, and its script then shows and sends
// the notes still waiting in the browser's storage. Nothing else is touched:
// writes always go to the network, other pages are not cached.
const PAGES = "atelier-pages-v1";
const STATIC = "atelier-static-v1";
const BOARD = /^\/groupes\/\d+\/$/;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && BOARD.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(request));
  }
});

async function networkFirst(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    // ignoreVary: the page varies on cookies and language, which a stored copy cannot replay.
    const copy = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
    if (copy) return copy;
    throw error;
  }
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(STATIC);
  const copy = await cache.match(request);
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => copy);
  return copy || fresh;
}
