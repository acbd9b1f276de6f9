// The patrol report page: position (phone, tap or address), category search, photos,
// "settled on the spot", and sending through the outbox so that no report is lost
// when the connection is gone.
(function () {
  "use strict";
  const { t, fmt } = window.wsI18n;
  const form = document.getElementById("report-form");
  if (!form) return;
  const page = document.querySelector(".ws-page");
  const user = page.dataset.user;
  const lon = form.querySelector("input[name=lon]"), lat = form.querySelector("input[name=lat]");
  const where = document.getElementById("where");
  const mapEl = document.getElementById("report-map");
  const result = document.getElementById("report-result");
  const errorsBox = document.getElementById("report-errors");
  let marker = null;

  // -- the map and the position -----------------------------------------------------
  const map = window.wsMap.make(mapEl, { scrollWheelZoom: false });
  map.setView([33.7417, 113.2936], 14);
  window.reportMap = map;
  window.wsMap.communities(map, mapEl.dataset.township, mapEl.dataset.community).then((own) => {
    if (own && !lat.value) map.fitBounds(own.getBounds(), { padding: [8, 8], animate: false });
    mapEl.dataset.ready = "1";
  });

  function category() {
    const c = form.querySelector("input[name=category]:checked");
    return c ? c.value : "";
  }
  let asked = 0;
  function preview() {
    if (!lon.value || !lat.value || !navigator.onLine) return;
    const q = new URLSearchParams({ lon: lon.value, lat: lat.value, category: category() });
    const ticket = ++asked;
    fetch(`${form.action}where?${q}`, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => {
        if (!body || ticket !== asked) return; // a later question is on its way

        const place = body.found ? body.place : t.outside;
        where.textContent = body.lead ? `${place} · ${fmt(t.goes_to, { office: body.lead })}` : place;
        where.dataset.mine = body.mine ? "1" : "0";
      })
      .catch(() => {});
  }
  function setPoint(la, lo, source) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (marker) marker.setLatLng([la, lo]); else marker = window.wsMap.point(map, la, lo);
    map.setView([la, lo], Math.max(map.getZoom(), 16));
    where.textContent = `${t.position}: ${lo.toFixed(5)}, ${la.toFixed(5)}`;
    where.dataset.source = source;
    preview();
  }
  if (lat.value && lon.value) setPoint(Number(lat.value), Number(lon.value), "kept");

  // A typed address (when there is no position): where the geocoder puts it, shown before sending.
  const address = form.querySelector("input[name=address]");
  let typed = null, addressTimer = null, addressAsked = 0;
  address.addEventListener("input", () => {
    clearTimeout(addressTimer);
    addressTimer = setTimeout(() => {
      const text = address.value.trim();
      if (!text || (lat.value && lon.value) || !navigator.onLine) return;
      const q = new URLSearchParams({ address: text, category: category() });
      const ticket = ++addressAsked;
      fetch(`${form.action}where?${q}`, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((body) => {
          if (!body || ticket !== addressAsked || (lat.value && lon.value)) return;
          if (typed) { typed.remove(); typed = null; }
          if (body.lat !== null && body.lon !== null) {
            typed = L.circleMarker([body.lat, body.lon], { radius: 8, color: "#c8102e", dashArray: "3 3", fillOpacity: 0.2 }).addTo(map);
            map.setView([body.lat, body.lon], Math.max(map.getZoom(), 15));
          }
          const place = body.found ? body.place : t.outside;
          where.textContent = body.lead ? `${place} · ${fmt(t.goes_to, { office: body.lead })}` : place;
          where.dataset.source = "address";
        })
        .catch(() => {});
    }, 700);
  });
  map.on("click", (e) => setPoint(e.latlng.lat, e.latlng.lng, "map"));
  document.getElementById("locate-me").addEventListener("click", () => {
    if (!navigator.geolocation) { where.textContent = t.no_geo; return; }
    where.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => setPoint(pos.coords.latitude, pos.coords.longitude, "gps"),
      () => { where.textContent = t.no_geo; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  // -- categories: search by name and keywords ----------------------------------------
  const search = document.getElementById("category-search");
  const chosen = document.getElementById("category-chosen");
  search.addEventListener("input", () => {
    const q = search.value.trim();
    form.querySelectorAll(".cat-group").forEach((g) => {
      let any = false;
      g.querySelectorAll(".cat").forEach((c) => {
        const hit = !q || c.dataset.words.includes(q);
        c.hidden = !hit;
        any = any || hit;
      });
      g.hidden = !any;
    });
  });
  function showChosen() {
    const c = form.querySelector("input[name=category]:checked");
    chosen.textContent = c ? c.dataset.path : "";
    const settleBox = document.getElementById("settle");
    settleBox.disabled = !!c && c.dataset.settle !== "1";
    if (settleBox.disabled) settleBox.checked = false;
    toggleSettle();
  }
  form.addEventListener("change", (e) => {
    if (e.target.name === "category") { showChosen(); preview(); }
  });

  // -- settled on the spot ------------------------------------------------------------
  const settle = document.getElementById("settle"), settleFields = document.getElementById("settle-fields");
  function toggleSettle() { settleFields.hidden = !settle.checked; }
  settle.addEventListener("change", toggleSettle);
  showChosen();

  // -- sending --------------------------------------------------------------------------
  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/-/g, "");
  }
  // every report opened gets its own key, also when the page itself came from the phone's cache
  form.querySelector("input[name=idempotency_key]").value = newKey();
  function showErrors(errors) {
    form.querySelectorAll(".js-error").forEach((e) => e.remove());
    form.querySelectorAll(".group.has-error").forEach((g) => g.classList.remove("has-error"));
    const general = [];
    Object.entries(errors || {}).forEach(([field, msgs]) => {
      let group = form.querySelector(`[data-field="${field}"]`);
      if (!group) {
        const input = form.querySelector(`[name="${field}"]`);
        group = input && input.closest(".field, .group");
      }
      if (!group) { general.push(...msgs); return; }
      group.classList.add("has-error");
      const span = document.createElement("span");
      span.className = "field-error js-error";
      span.setAttribute("role", "alert");
      span.textContent = msgs.join(" ");
      group.appendChild(span);
    });
    errorsBox.hidden = !general.length;
    errorsBox.textContent = general.join(" ");
    const first = form.querySelector(".has-error, #report-errors:not([hidden])");
    if (first) first.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const photos = form.querySelector("input[data-photos]");
    if (window.wsCheckPhotos(photos).length) return;
    if (!category()) { showErrors({ category: [t.choose_category] }); return; }
    const keyInput = form.querySelector("input[name=idempotency_key]");
    form.querySelector("input[name=device_time]").value = new Date().toISOString();
    const fields = [];
    new FormData(form).forEach((v, k) => { if (typeof v === "string") fields.push([k, v]); });
    const files = Array.from(photos.files || []).map((f) => ({ name: f.name, type: f.type, blob: f }));
    const item = { key: keyInput.value, user, url: form.action, createdAt: new Date().toISOString(), fields, files,
      label: `${chosen.textContent || ""} ${(form.elements.description.value || "").slice(0, 30)}`, state: "pending" };
    await window.wsOutbox.put(item);
    const button = document.getElementById("report-submit");
    button.disabled = true;
    const r = await window.wsOutbox.send(item);
    button.disabled = false;
    if (r.outcome === "sent") {
      await window.wsOutbox.remove(item.key);
      form.dataset.sent = r.data.number;
      window.location.assign(r.data.url);
      return;
    }
    if (r.outcome === "failed") {
      await window.wsOutbox.remove(item.key); // nothing was made: fix the form and send again
      showErrors(r.errors || { __all__: [r.message] });
      return;
    }
    // offline or logged out: the report stays on the phone; start a fresh form
    keyInput.value = newKey();
    form.reset();
    if (marker) { marker.remove(); marker = null; }
    where.textContent = "";
    form.querySelectorAll("[data-previews]").forEach((p) => { p.innerHTML = ""; });
    showChosen();
    result.hidden = false;
    result.textContent = r.outcome === "login" ? t.login : t.saved;
    result.scrollIntoView({ block: "center" });
    if ("serviceWorker" in navigator && window.wsServiceWorker && window.wsServiceWorker.sync) {
      window.wsServiceWorker.sync.register("ws-outbox").catch(() => {});
    }
  });

  // -- what is kept on the phone ----------------------------------------------------------
  const box = document.getElementById("outbox"), list = document.getElementById("outbox-items");
  const status = document.getElementById("outbox-status");
  async function render() {
    const items = await window.wsOutbox.mine(user);
    box.hidden = !items.length;
    status.textContent = items.length ? fmt(t.pending, { n: items.length }) : "";
    list.innerHTML = "";
    items.forEach((item) => {
      const li = document.createElement("li");
      li.className = item.state === "failed" ? "ob-failed" : "ob-pending";
      li.dataset.key = item.key;
      const text = document.createElement("span");
      text.className = "ob-text";
      const at = new Date(item.createdAt);
      const when = `${String(at.getMonth() + 1).padStart(2, "0")}-${String(at.getDate()).padStart(2, "0")} ` +
        `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
      text.textContent = `${when} ${item.label}` +
        (item.state === "failed" ? ` — ${fmt(t.failed, { message: item.error || "" })}` : "");
      li.appendChild(text);
      if (item.state === "failed") {
        const edit = document.createElement("button");
        edit.type = "button";
        edit.textContent = t.edit;
        edit.addEventListener("click", () => restore(item));
        li.appendChild(edit);
      } else {
        const go = document.createElement("button");
        go.type = "button";
        go.textContent = t.send_now;
        go.addEventListener("click", () => window.wsFlush());
        li.appendChild(go);
      }
      const del = document.createElement("button");
      del.type = "button";
      del.textContent = t.delete;
      del.addEventListener("click", () => window.wsOutbox.remove(item.key));
      li.appendChild(del);
      list.appendChild(li);
    });
  }
  // A report the server refused goes back into the form (its photos too) to be fixed.
  async function restore(item) {
    form.reset();
    item.fields.forEach(([k, v]) => {
      const els = form.querySelectorAll(`[name="${k}"]`);
      els.forEach((el) => {
        if (el.type === "radio" || el.type === "checkbox") el.checked = el.value === v;
        else if (el.type !== "file") el.value = v;
      });
    });
    const photos = form.querySelector("input[data-photos]");
    if (item.files.length && window.DataTransfer) {
      const dt = new DataTransfer();
      item.files.forEach((f) => dt.items.add(new File([f.blob], f.name, { type: f.type })));
      photos.files = dt.files;
      window.wsCheckPhotos(photos);
    }
    form.querySelector("input[name=idempotency_key]").value = newKey();
    if (lat.value && lon.value) setPoint(Number(lat.value), Number(lon.value), "kept");

    showChosen();
    await window.wsOutbox.remove(item.key);
    form.scrollIntoView();
  }
  document.addEventListener("outbox:change", render);
  document.addEventListener("outbox:flushed", (e) => {
    const results = e.detail || [];
    const sent = results.filter((r) => r.outcome === "sent");
    const lines = sent.map((r) => fmt(t.sent, { message: r.data.message }));
    if (results.some((r) => r.outcome === "login")) lines.push(t.login);
    if (lines.length) {
      result.hidden = false;
      result.textContent = lines.join(" ");
    }
  });
  render();
})();
