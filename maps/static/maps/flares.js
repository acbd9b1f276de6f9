// Flare alerts on the wall and the live map [AN-1]: a category far above its baseline in a
// township. The open ones are fetched on every (re)connection and every minute; a "spike.raised"
// message adds one at once. Each shows the countdown to its 2-hour report deadline.
(function () {
  "use strict";
  const box = document.getElementById("flares");
  const list = document.getElementById("flare-list");
  if (!box || !list) return;
  const t = JSON.parse(document.getElementById("flare-i18n").textContent);
  const flares = new Map(); // id → alert
  window.liveFlares = flares;

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }
  function clock(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  }

  function render() {
    const open = [...flares.values()].filter((a) => a.state === "open")
      .sort((a, b) => Date.parse(a.report_due) - Date.parse(b.report_due));
    list.innerHTML = "";
    open.forEach((a) => {
      const li = document.createElement("li");
      li.dataset.spike = a.id;
      if (a.fresh) li.classList.add("fresh");
      li.innerHTML = `<span class="where">${escapeHtml(a.township)}</span>` +
        `<span class="what">${escapeHtml(a.category)}</span>` +
        `<span class="count">${t.today} ${a.count} ${t.tickets} <small>(${t.baseline} ${Number(a.baseline_mean).toFixed(1)}${t.per_day})</small></span>` +
        `<span class="countdown" data-due="${escapeHtml(a.report_due)}"></span>`;
      list.appendChild(li);
    });
    box.hidden = open.length === 0;
    document.body.dataset.flares = String(open.length);
    tick();
  }

  function tick() {
    list.querySelectorAll(".countdown").forEach((el) => {
      const left = Date.parse(el.dataset.due) - Date.now();
      el.textContent = left >= 0 ? `${t.left} ${clock(left)}` : `${t.late} ${clock(left)}`;
      el.classList.toggle("late", left < 0);
    });
  }

  function load() {
    return fetch("/api/spikes/?state=open").then((r) => (r.ok ? r.json() : [])).then((rows) => {
      const fresh = new Set([...flares.values()].filter((a) => a.fresh).map((a) => a.id));
      flares.clear();
      rows.forEach((a) => flares.set(a.id, { ...a, fresh: fresh.has(a.id) }));
      render();
    });
  }

  document.addEventListener("live:connected", load);
  document.addEventListener("live:message", (e) => {
    const m = e.detail;
    if (m.type !== "spike.raised") return;
    flares.set(m.id, { ...m, fresh: true }); // the banner itself is the announcement (it glows; the new row flashes)
    render();
  });
  setInterval(tick, 1000);
  setInterval(load, 60000);
  load();
})();
