// Small enhancements of every workstation page: live countdowns, the photo pickers'
// checks and previews, the offline banner, and the outbox sent when back online.
(function () {
  "use strict";
  const t = JSON.parse(document.getElementById("ws-i18n").textContent);
  const fmt = (s, vars) => s.replace(/%\((\w+)\)s/g, (_, k) => (vars[k] !== undefined ? vars[k] : ""));
  const page = document.querySelector(".ws-page");
  const user = page ? page.dataset.user : "";
  window.wsI18n = { t, fmt };

  function duration(sec) {
    sec = Math.abs(Math.floor(sec));
    const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
    if (d) return fmt(t.d, { d, h });
    if (h) return fmt(t.h, { h, m });
    return fmt(t.m, { m: Math.max(m, 1) });
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach((el) => {
      const end = Date.parse(el.dataset.deadline), start = Date.parse(el.dataset.start);
      if (!end) return;
      const left = (end - now) / 1000, frac = start && end > start ? (now - start) / (end - start) : 1;
      const colour = left < 0 ? "overdue" : frac >= 0.8 ? "red" : frac >= 0.5 ? "amber" : "green";
      el.className = `countdown cd-${colour}`;
      const sign = el.dataset.which === "sign";
      el.textContent = left < 0 ? fmt(sign ? t.sign_overdue : t.overdue, { time: duration(left) })
        : fmt(sign ? t.sign : t.left, { time: duration(left) });
    });
  }
  setInterval(tick, 30000);
  document.addEventListener("htmx:afterSwap", tick);
  // "More" removes itself once its page has arrived (not hx-on: that is eval, which the site's CSP refuses).
  document.addEventListener("htmx:afterRequest", (e) => {
    const elt = e.detail && e.detail.elt;
    if (elt && elt.matches && elt.matches("[data-remove-after-request]") && e.detail.successful) elt.remove();
  });

  // Photo pickers: at most N files of at most M MB, said at once (the server checks the content).
  function checkPhotos(input) {
    const max = Number(input.dataset.max || 6), maxMb = Number(input.dataset.maxMb || 10);
    const files = Array.from(input.files || []);
    const problems = [];
    if (files.length > max) problems.push(fmt(t.too_many, {}));
    files.forEach((f) => { if (f.size > maxMb * 1024 * 1024) problems.push(fmt(t.too_big, { name: f.name })); });
    input.setCustomValidity(problems.join(" "));
    const field = input.closest(".field, .group");
    let box = field && field.querySelector(".photo-problems");
    if (field && !box) {
      box = document.createElement("span");
      box.className = "field-error photo-problems";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    if (box) box.textContent = problems.join(" ");
    const previews = field && field.querySelector("[data-previews]");
    if (previews) {
      previews.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
      previews.innerHTML = "";
      files.slice(0, max).forEach((f) => {
        const fig = document.createElement("figure");
        if (/^image\/(jpeg|png|webp)$/.test(f.type)) {
          const img = document.createElement("img");
          img.src = URL.createObjectURL(f);
          img.alt = "";
          img.onerror = () => img.remove(); // not a picture after all: the server will say so
          fig.appendChild(img);
        }
        const cap = document.createElement("figcaption");
        cap.textContent = f.name;
        fig.appendChild(cap);
        previews.appendChild(fig);
      });
    }
    return problems;
  }
  window.wsCheckPhotos = checkPhotos;
  document.addEventListener("change", (e) => { if (e.target.matches("input[data-photos]")) checkPhotos(e.target); });
  document.addEventListener("submit", (e) => {
    const input = e.target.querySelector("input[data-photos]");
    if (input && checkPhotos(input).length) { e.preventDefault(); input.focus(); }
  }, true);

  // Connection state and the outbox.
  const banner = document.getElementById("offline-banner");
  const counters = document.querySelectorAll("[data-outbox-count]");
  function showOnline() { if (banner) banner.hidden = navigator.onLine; }
  async function showCount() {
    if (!window.wsOutbox || !user) return;
    const n = (await window.wsOutbox.mine(user)).length;
    counters.forEach((c) => { c.hidden = !n; c.textContent = n; });
  }
  async function flush() {
    if (!window.wsOutbox || !user || !navigator.onLine) return [];
    const results = await window.wsOutbox.flush(user);
    document.dispatchEvent(new CustomEvent("outbox:flushed", { detail: results }));
    return results;
  }
  window.wsFlush = flush;
  window.addEventListener("online", () => { showOnline(); flush(); });
  window.addEventListener("offline", showOnline);
  document.addEventListener("outbox:change", showCount);
  showOnline();
  showCount();
  flush();
  setInterval(() => flush(), 60000);

  if ("serviceWorker" in navigator && page && page.dataset.sw) {
    navigator.serviceWorker.register(page.dataset.sw, { scope: "/w/" }).then((reg) => {
      window.wsServiceWorker = reg;
    }).catch(() => { /* pages still work without it */ });
    navigator.serviceWorker.addEventListener("message", (e) => { if (e.data && e.data.type === "flush-outbox") flush(); });
  }
})();
