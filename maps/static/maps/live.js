// The live map of the command-center wall and of the township desk / grid worker's
// phone. Everything shown comes from the maps API in the user's scope; a WebSocket
// brings small "this changed" messages, and every (re)connection re-fetches the whole
// state, so a dropped message never leaves the wall wrong for long.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const json = (id) => JSON.parse($(id).textContent);
  const t = json("live-i18n");
  const home = json("live-home");
  const statusLabels = json("live-statuses");
  const isWall = document.body.classList.contains("wall");
  // The wall is laid out for 1920 px and scales with the screen (3840 px: everything twice as big).
  const px = isWall ? Math.max(1, window.innerWidth / 1920) : 1;
  const OPEN = ["dispatched", "in_progress", "return_requested"];
  const CHILD = { city: "county", county: "township", township: "community", community: null };
  const SIMPLIFY = { county: 0.0008, township: 0.0004, community: 0.0001 };
  const live = (window.liveState = { messages: [], connected: false, refreshes: 0 });

  // -- map and panes ------------------------------------------------------------------
  const el = $("map");
  const map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl, preferCanvas: false });
  window.liveMap = map;
  map.fitBounds(home.bounds, { padding: [10, 10] });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  [["areas", 300], ["choropleth", 350], ["hotspots", 420], ["tickets", 450], ["fresh", 460]].forEach(([name, z]) => {
    map.createPane(name).style.zIndex = z;
  });
  const palette = isWall
    ? { line: "#3d7cc0", fill: "#0f2a4a", hover: "#39c0ff", label: "area-name" }
    : { line: "#5d7fa6", fill: "#dfe7f2", hover: "#1d5fa8", label: "area-name" };

  // -- boundaries with drill-down -------------------------------------------------------
  const trail = [{ code: home.code, name: home.name, level: home.level, bounds: home.bounds }];
  const areaLayer = L.geoJSON(null, {
    pane: "areas",
    style: () => ({ color: palette.line, weight: 1.2 * px, fillColor: palette.fill, fillOpacity: isWall ? 0.55 : 0.35 }),
    onEachFeature: (f, layer) => {
      layer.on("mouseover", () => layer.setStyle({ color: palette.hover, weight: 2.5 }));
      layer.on("mouseout", () => areaLayer.resetStyle(layer));
      if (CHILD[f.properties.level]) {
        layer.on("click", () => drill({ code: areaCode(f), name: f.properties.name, level: f.properties.level,
          bounds: layer.getBounds() }));
      }
    },
  }).addTo(map);
  const labelLayer = L.layerGroup().addTo(map);

  // Right after a push (or a reconnection) the wall refetches what the push announced: it asks the
  // server to read from the primary (X-Read-Primary), since a read replica may be a moment behind
  // (core.dbrouter). The minute's re-read and drilling down may come from the replica.
  let primaryUntil = 0;
  function liveFetch(url) {
    return fetch(url, Date.now() < primaryUntil ? { headers: { "X-Read-Primary": "1" } } : undefined);
  }

  function current() { return trail[trail.length - 1]; }
  // The grid API puts an area's code in the feature's id.
  function areaCode(f) { return f.id || f.properties.code; }

  function loadAreas() {
    const area = current();
    const level = CHILD[area.level];
    areaLayer.clearLayers();
    labelLayer.clearLayers();
    const url = level
      ? `/api/grid/areas/?parent=${area.code}&level=${level}&simplify=${SIMPLIFY[level]}`
      : `/api/grid/areas/${area.code}/`;
    return fetch(url).then((r) => r.json()).then((fc) => {
      const features = level ? fc.features : [fc];
      areaLayer.addData(features);
      features.forEach((f) => {
        const p = f.properties.label;
        if (p && (features.length <= 40 || level === "township")) {
          L.tooltip({ permanent: true, direction: "center", className: palette.label, interactive: false })
            .setLatLng([p[1], p[0]]).setContent(f.properties.short_name || f.properties.name).addTo(labelLayer);
        }
      });
      el.dataset.areaLevel = level || area.level;
      el.dataset.areasLoaded = String(features.length);
    });
  }

  function drill(area) {
    trail.push(area);
    renderCrumbs();
    map.fitBounds(area.bounds, { padding: [20, 20] });
    loadAreas().then(refreshAll);
  }

  function renderCrumbs() {
    const nav = $("crumbs");
    nav.innerHTML = "";
    trail.forEach((area, i) => {
      if (i) nav.insertAdjacentHTML("beforeend", '<span class="sep">›</span>');
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = area.name;
      b.dataset.code = area.code;
      b.addEventListener("click", () => {
        trail.splice(i + 1);
        renderCrumbs();
        map.fitBounds(area.bounds, { padding: [10, 10] });
        loadAreas().then(refreshAll);
      });
      nav.appendChild(b);
    });
  }

  // -- tickets: server-side bins ----------------------------------------------------------
  const ticketLayer = L.layerGroup([], { pane: "tickets" }).addTo(map);
  const freshLayer = L.layerGroup([], { pane: "fresh" }).addTo(map);

  function ticketColour(p) {
    if (p.overdue) return "#ff4d4f";
    if (p.urgent) return "#ff9f1a";
    if (p.status === "pending_dispatch") return "#ffd54a";
    if (OPEN.includes(p.status)) return "#2fa7ff";
    return "#3ddc97";
  }

  function viewBbox() {
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
    return [clamp(b.getWest(), -180, 179.9), clamp(b.getSouth(), -85, 84.9), clamp(b.getEast(), -179.9, 180),
      clamp(b.getNorth(), -84.9, 85)].map((v) => v.toFixed(5)).join(",");
  }

  function loadTickets() {
    const zoom = Math.max(0, Math.min(22, Math.round(map.getZoom())));
    const area = current().level === "city" ? "" : `&area=${current().code}`;
    return liveFetch(`/api/maps/clusters?bbox=${viewBbox()}&zoom=${zoom}${area}`).then((r) => r.json()).then((fc) => {
      ticketLayer.clearLayers();
      fc.features.forEach((f) => {
        const [lon, lat] = f.geometry.coordinates;
        const p = f.properties;
        if (p.kind === "ticket") {
          L.circleMarker([lat, lon], { pane: "tickets", radius: (isWall ? 6 : 7) * px, color: "#fff", weight: px,
            fillColor: ticketColour(p), fillOpacity: 0.95 })
            .bindTooltip(`${p.number}<br>${p.category || ""}<br>${statusLabels[p.status] || p.status}`)
            .addTo(ticketLayer);
        } else {
          const size = Math.round((22 + Math.min(34, Math.log2(p.count) * 5)) * px);
          L.marker([lat, lon], {
            pane: "tickets",
            icon: L.divIcon({ className: "", iconSize: [size, size],
              html: sizedDiv(`bin-icon${p.overdue ? " has-overdue" : ""}`, size, String(p.count)) }),
          }).bindTooltip(`${p.count} ${t.tickets_unit} · ${t.open} ${p.open} · ${t.overdue} ${p.overdue}`).addTo(ticketLayer);
        }
      });
      el.dataset.binsLoaded = String(fc.features.length);
      el.dataset.ticketsInView = String(fc.total);
    });
  }

  // -- hotspots ---------------------------------------------------------------------------
  const hotspotLayer = L.geoJSON(null, {
    pane: "hotspots",
    style: () => ({ color: "#ff7a45", weight: 2.5, fillColor: "#ff7a45", fillOpacity: 0.28, dashArray: "6 3" }),
  }).addTo(map);

  // Labels on the map once hotspots are apart on screen (a district or closer); the list has them all.
  const labelledRings = [];
  function showHotspotLabels() {
    const near = map.getZoom() >= 12;
    labelledRings.forEach((ring) => (near ? ring.openTooltip() : ring.closeTooltip()));
  }
  map.on("zoomend", showHotspotLabels);

  function areaParam() { return current().level === "city" ? "" : `?area=${current().code}`; }

  function loadHotspots() {
    return liveFetch(`/api/maps/hotspots${areaParam()}`).then((r) => r.json()).then((fc) => {
      hotspotLayer.clearLayers();
      labelledRings.length = 0;
      const list = $("hotspot-list");
      list.innerHTML = "";
      fc.features.forEach((f, i) => {
        const p = f.properties;
        const layer = L.geoJSON(f, { pane: "hotspots", style: hotspotLayer.options.style });
        layer.eachLayer((l) => hotspotLayer.addLayer(l));
        // The hull is a few hundred metres across: a ring at its centre keeps it visible city-wide.
        const [lon, lat] = p.centroid;
        const ring = L.circleMarker([lat, lon], { pane: "hotspots", radius: (isWall ? 11 : 10) * px, color: "#ff7a45",
          weight: 3 * px, fillColor: "#ff7a45", fillOpacity: 0.35, className: "hotspot-ring" });
        ring.bindTooltip(p.label, { permanent: i < 6, direction: "auto", className: "hotspot-label", offset: [10, 0] });
        hotspotLayer.addLayer(ring);
        if (i < 6) labelledRings.push(ring);
        const li = document.createElement("li");
        const state = p.state ? `<span class="state ${p.state}">${t["state_" + p.state] || p.state}</span>` : "";
        li.innerHTML = `${state}${escapeHtml(p.label)}`;
        li.addEventListener("click", () => map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [40, 40] }));
        list.appendChild(li);
      });
      if (!fc.features.length) list.innerHTML = `<li class="empty">${t.no_hotspots}</li>`;
      el.dataset.hotspotsLoaded = String(fc.features.length);
      showHotspotLabels();
    });
  }

  // -- choropleth of open / overdue -----------------------------------------------------------
  const choroplethLayer = L.geoJSON(null, { pane: "choropleth", interactive: false });
  let choropleth = null;

  function ramp(v, max) {
    if (!v) return null;
    const x = Math.sqrt(v / max);
    const stops = choropleth === "overdue" ? [[255, 214, 153], [255, 77, 79]] : [[255, 236, 150], [235, 96, 26]];
    const c = stops[0].map((a, i) => Math.round(a + (stops[1][i] - a) * x));
    return `rgb(${c.join(",")})`;
  }

  function loadChoropleth() {
    if (!choropleth) { choroplethLayer.remove(); return Promise.resolve(); }
    const area = current();
    const level = ["city", "county"].includes(area.level) ? "township" : "community";
    const parentCode = area.level !== "community" ? area.code : trail.length > 1 ? trail[trail.length - 2].code : home.parent;
    const parent = area.level === "city" ? "" : `&parent=${parentCode}`;
    return Promise.all([
      fetch(`/api/grid/areas/?level=${level}${parent}&simplify=${SIMPLIFY[level]}`).then((r) => r.json()),
      liveFetch(`/api/maps/areas?level=${level}${parent}`).then((r) => r.json()),
    ]).then(([fc, stats]) => {
      const by = Object.fromEntries(stats.map((s) => [s.code, s]));
      const max = Math.max(1, ...stats.map((s) => s[choropleth]));
      choroplethLayer.clearLayers();
      choroplethLayer.options.style = (f) => {
        const v = (by[areaCode(f)] || {})[choropleth] || 0;
        const fill = ramp(v, max);
        return { color: "rgba(0,0,0,0)", weight: 0, fillColor: fill || "#000", fillOpacity: fill ? 0.72 : 0 };
      };
      choroplethLayer.addData(fc).addTo(map);
      el.dataset.choropleth = `${choropleth}:${stats.length}`;
    });
  }

  // -- panels -------------------------------------------------------------------------------
  // A marker's box, sized through the CSSOM (the site's CSP refuses style="" in markup).
  function sizedDiv(className, size, text) {
    const div = document.createElement("div");
    div.className = className;
    div.style.width = `${size}px`;
    div.style.height = `${size}px`;
    div.textContent = text;
    return div;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  function time(iso) { return iso ? iso.slice(11, 19) : ""; }

  function feedClass(item) {
    if (item.overdue) return "overdue";
    if (item.urgency && item.urgency !== "general") return "urgent";
    if (item.status === "pending_dispatch") return "pending";
    if (OPEN.includes(item.status)) return "";
    return "done";
  }

  function feedRow(item, fresh) {
    const li = document.createElement("li");
    li.className = `${feedClass(item)}${fresh ? " fresh" : ""}`;
    li.dataset.number = item.number;
    li.innerHTML = `<div class="meta"><span>${time(item.received_at)}</span><span>${escapeHtml(item.number)}</span>` +
      `<span class="tag">${escapeHtml(statusLabels[item.status] || item.status)}</span></div>` +
      `<div class="what">${escapeHtml(item.category || "")} · ${escapeHtml(item.place || "")}</div>` +
      (item.summary ? `<div>${escapeHtml(item.summary)}</div>` : "");
    return li;
  }

  function setCounter(name, value) {
    const box = document.querySelector(`[data-counter="${name}"]`);
    if (!box) return;
    const span = box.querySelector(".value");
    const text = value === null || value === undefined ? t.none
      : name === "satisfaction_rate" ? `${(value * 100).toFixed(1)}%` : String(value);
    if (span.textContent !== text && span.textContent !== "—") {
      box.classList.remove("bump"); void box.offsetWidth; box.classList.add("bump");
    }
    span.textContent = text;
  }

  function loadSummary() {
    return liveFetch(`/api/maps/summary${areaParam()}`).then((r) => r.json()).then((s) => {
      Object.entries(s.counters).forEach(([k, v]) => setCounter(k, v));
      const feed = $("feed");
      feed.innerHTML = "";
      s.latest.forEach((item) => feed.appendChild(feedRow(item, false)));
      if (!s.latest.length) feed.innerHTML = `<li class="empty">${t.no_tickets}</li>`;
      const cats = $("category-list");
      cats.innerHTML = "";
      const max = Math.max(1, ...s.categories.map((c) => Math.max(c.today, c.daily_mean_7_days)));
      s.categories.forEach((c) => {
        const li = document.createElement("li");
        const trend = c.today > c.daily_mean_7_days * 1.2 ? "trend-up" : c.today < c.daily_mean_7_days * 0.8 ? "trend-down" : "";
        // Widths through the CSSOM, not style="" in markup: the site's CSP refuses inline style attributes.
        li.innerHTML = `<span title="${escapeHtml(c.parent_name)}">${escapeHtml(c.name)}</span>` +
          `<span class="bars"><span class="bar today"></span><span class="bar mean"></span></span>` +
          `<span class="num ${trend}">${c.today}</span>`;
        li.querySelector(".bar.today").style.width = `${(100 * c.today) / max}%`;
        li.querySelector(".bar.mean").style.width = `${(100 * c.daily_mean_7_days) / max}%`;
        li.title = `${t.today} ${c.today} · ${t.mean7} ${c.daily_mean_7_days}`;
        cats.appendChild(li);
      });
      document.body.dataset.feedCount = String(s.latest.length);
    });
  }

  function refreshAll() {
    live.refreshes += 1;
    return Promise.all([loadSummary(), loadTickets(), loadHotspots(), loadChoropleth()]).then(() => {
      document.body.dataset.refreshed = String(live.refreshes);
    });
  }

  let refreshTimer = null;
  function refreshSoon(ms) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshAll, ms || 1200);
  }

  // -- toasts, clock ----------------------------------------------------------------------------
  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  function tick() {
    const now = new Date();
    $("clock").textContent = now.toLocaleString("zh-CN", { hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short" });
  }
  tick();
  setInterval(tick, 1000);

  // -- live messages -------------------------------------------------------------------------------
  function onTicket(m) {
    if (m.type === "ticket.created") {
      const feed = $("feed");
      const empty = feed.querySelector(".empty");
      if (empty) empty.remove();
      feed.insertBefore(feedRow(m, true), feed.firstChild);
      while (feed.children.length > 20) feed.lastChild.remove();
      if (m.lon !== null) {
        const d = Math.round(14 * px);
        const icon = L.divIcon({ className: "", iconSize: [d, d], html: sizedDiv("new-ticket-pulse", d, "") });
        const marker = L.marker([m.lat, m.lon], { icon, pane: "fresh" })
          .bindTooltip(`${t.new_ticket} ${m.number}<br>${m.category}`).addTo(freshLayer);
        setTimeout(() => freshLayer.removeLayer(marker), 120000);
      }
      const box = document.querySelector('[data-counter="intake_today"] .value');
      if (box && /^\d+$/.test(box.textContent)) setCounter("intake_today", Number(box.textContent) + 1);
    } else if (m.type === "ticket.overdue") {
      toast(`${t.became_overdue}: ${m.number} · ${m.category} · ${m.place}`);
    }
    refreshSoon();
  }

  function onMessage(m) {
    primaryUntil = Date.now() + 15000;
    live.messages.push(m);
    if (live.messages.length > 200) live.messages.shift();
    document.dispatchEvent(new CustomEvent("live:message", { detail: m })); // flares.js listens
    if (m.type && m.type.startsWith("ticket.")) onTicket(m);
    else if (m.type === "hotspot.formed" || m.type === "hotspot.grew") {
      toast(`${m.type === "hotspot.formed" ? t.hotspot_formed : t.hotspot_grew}: ${m.label}`);
      refreshSoon(300);
    }
  }

  let backoff = 1000;
  function connect() {
    const conn = document.querySelectorAll(".conn");
    const setConn = (state, text) => conn.forEach((c) => { c.dataset.state = state; c.querySelector("span").textContent = text; });
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/maps/live/`);
    live.socket = ws;
    ws.onopen = () => {
      backoff = 1000;
      live.connected = true;
      setConn("live", t.live);
      primaryUntil = Date.now() + 15000;
      refreshAll(); // a (re)connection may have missed messages: fetch the whole state again
      document.dispatchEvent(new Event("live:connected"));
    };
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = () => {
      live.connected = false;
      setConn("down", t.reconnecting);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  // -- controls ---------------------------------------------------------------------------------------
  document.querySelectorAll(".toggles [data-layer]").forEach((b) => b.addEventListener("click", () => {
    const on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    const layer = { tickets: ticketLayer, hotspots: hotspotLayer }[b.dataset.layer];
    if (on) layer.addTo(map); else layer.remove();
  }));
  document.querySelectorAll(".toggles [data-choropleth]").forEach((b) => b.addEventListener("click", () => {
    choropleth = choropleth === b.dataset.choropleth ? null : b.dataset.choropleth;
    document.querySelectorAll(".toggles [data-choropleth]").forEach((x) =>
      x.setAttribute("aria-pressed", String(x.dataset.choropleth === choropleth)));
    loadChoropleth();
  }));

  let moveTimer = null;
  map.on("moveend", () => { clearTimeout(moveTimer); moveTimer = setTimeout(loadTickets, 250); });

  renderCrumbs();
  loadAreas();
  connect();
  setInterval(refreshAll, 60000); // belt and braces: the state is re-read every minute anyway
})();
