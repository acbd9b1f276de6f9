// The outbox: patrol reports kept on the phone (IndexedDB) until the server has them.
// Each report carries its idempotency key, so sending it twice (a lost answer, two
// tabs, the connection flapping) still makes exactly one ticket on the server.
(function () {
  "use strict";
  const DB = "grid12345-workstation";
  const STORE = "outbox";
  let sending = null;

  function db() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function tx(mode, fn) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(STORE, mode);
      const out = fn(t.objectStore(STORE));
      t.oncomplete = () => { d.close(); resolve(out && out.result !== undefined ? out.result : out); };
      t.onerror = () => { d.close(); reject(t.error); };
    }));
  }
  const put = (item) => tx("readwrite", (s) => s.put(item));
  const remove = (key) => tx("readwrite", (s) => s.delete(key));
  const all = () => tx("readonly", (s) => s.getAll());

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function changed() { document.dispatchEvent(new CustomEvent("outbox:change")); }

  // One attempt to send one item: "sent", "failed" (the server refused it: the user
  // must fix it), "login" (the session ended) or "offline" (try again later).
  async function send(item) {
    const body = new FormData();
    item.fields.forEach(([k, v]) => body.append(k, v));
    item.files.forEach((f) => body.append("photos", f.blob, f.name));
    let res;
    try {
      res = await fetch(item.url, {
        method: "POST", body, credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json", "Idempotency-Key": item.key },
      });
    } catch (e) {
      return { outcome: "offline" };
    }
    if (res.type === "opaqueredirect" || res.status === 401 || res.status === 403) {
      let detail = "";
      try { detail = (await res.json()).detail || ""; } catch (e) { /* an HTML page */ }
      if (res.status === 403 && detail) return { outcome: "failed", message: detail };
      return { outcome: "login" };
    }
    let data = {};
    try { data = await res.json(); } catch (e) { return { outcome: "offline" }; }
    if (res.ok || res.status === 422) return { outcome: "sent", data };
    if (res.status >= 500) return { outcome: "offline" };
    const errors = data.errors || {};
    const message = Object.values(errors).flat().join(" ") || data.detail || String(res.status);
    return { outcome: "failed", message, errors };
  }

  // Send every pending report of this user, one after the other.
  async function flush(user) {
    if (sending) return sending;
    sending = (async () => {
      const results = [];
      const items = (await all()).filter((i) => i.user === user && i.state !== "failed");
      for (const item of items) {
        const r = await send(item);
        r.item = item;
        results.push(r);
        if (r.outcome === "sent") await remove(item.key);
        else if (r.outcome === "failed") { item.state = "failed"; item.error = r.message; await put(item); }
        else break; // offline or logged out: the rest waits too
      }
      return results;
    })();
    try { return await sending; } finally { sending = null; changed(); }
  }

  window.wsOutbox = {
    put: (item) => put(item).then((r) => { changed(); return r; }),
    remove: (key) => remove(key).then((r) => { changed(); return r; }),
    all, send, flush, csrfToken,
    mine: (user) => all().then((items) => items.filter((i) => i.user === user)),
  };
})();
