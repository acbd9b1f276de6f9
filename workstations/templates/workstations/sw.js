/* Grid 12345 workstation service worker (version {{ version }}).
 * Keeps the report page and its assets on the phone so a grid worker can report
 * with no connection; the reports themselves wait in IndexedDB (outbox.js) and
 * are sent by the page when the connection returns. Never caches a POST. */
"use strict";
const CACHE = "ws-{{ version }}";
const ASSETS = {{ assets|safe }};
const PAGES = {{ pages|safe }};
const OFFLINE = "{% url 'ws:offline' %}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(ASSETS);
      // pages need the session: cache them if we can, never fail the install for them
      await Promise.all([...PAGES, OFFLINE].map((url) =>
        fetch(url, { credentials: "same-origin", headers: { "X-WS-Precache": "1" } }).then((r) => (r.ok && !r.redirected ? cache.put(url, r) : null)).catch(() => null)));
    }).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith("ws-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isAsset(url) {
  return url.pathname.startsWith("/static/") || url.pathname.startsWith("/api/grid/areas");
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    // network first; the last copy of the page (or the offline page) when there is no network
    event.respondWith(
      fetch(req).then((res) => {
        const path = url.pathname;
        if (res.redirected && new URL(res.url).pathname.startsWith("/accounts/login")) {
          // logged out: the pages kept for offline use belong to the previous user
          caches.open(CACHE).then((c) => PAGES.forEach((p) => c.delete(p)));
        }
        if (res.ok && !res.redirected && PAGES.includes(path) && !url.search) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(path, copy));
        }
        return res;
      }).catch(() => caches.match(url.pathname).then((hit) => hit || caches.match(OFFLINE))),
    );
    return;
  }
  if (isAsset(url)) {
    // stale while revalidate: fast on a slow connection, fresh next time
    event.respondWith(
      caches.open(CACHE).then((cache) => cache.match(req).then((hit) => {
        const net = fetch(req).then((res) => { if (res.ok) cache.put(req, res.clone()); return res; });
        return hit ? (net.catch(() => hit), hit) : net;
      })),
    );
  }
});

// Background sync (where the browser has it): ask the open pages to send the outbox.
self.addEventListener("sync", (event) => {
  if (event.tag !== "ws-outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((clients) => clients.forEach((c) => c.postMessage({ type: "flush-outbox" }))));
});
