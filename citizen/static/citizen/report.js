// The report form (/m/): pin the place, check an address with the geocoder, use the phone's
// position, list the photos, send the code by SMS, show the business fields when asked.
(function () {
  "use strict";
  const t = JSON.parse(document.getElementById("citizen-i18n").textContent);
  const form = document.getElementById("report-form");
  const lon = form.querySelector("[name=lon]");
  const lat = form.querySelector("[name=lat]");
  const where = document.getElementById("where-status");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  const map = window.citizenBaseMap(document.getElementById("pick-map"));
  let pin = null;
  let preview = null;
  function setPin(latlng, message) {
    if (pin) pin.setLatLng(latlng); else pin = L.marker(latlng, { keyboard: false }).addTo(map);
    lon.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    where.textContent = message || t.pinned;
  }
  if (lon.value && lat.value) setPin(L.latLng(+lat.value, +lon.value));
  map.on("click", (e) => setPin(e.latlng));

  document.getElementById("check-address").addEventListener("click", () => {
    const q = form.querySelector("[name=address]").value.trim() || form.querySelector("[name=description]").value.trim();
    if (!q) return;
    fetch(`/api/geo/geocode?q=${encodeURIComponent(q)}`)
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (!ok || !body.point) { where.textContent = t.notfound; return; }
        const [x, y] = body.point.coordinates;
        const ll = L.latLng(y, x);
        if (preview) preview.remove();
        preview = L.circleMarker(ll, { radius: 9, color: "#c8102e", weight: 3 }).addTo(map);
        map.setView(ll, body.precision === "address" || body.precision === "intersection" ? 16 : 14);
        const area = body.area ? [body.area.county, body.area.township, body.area.community].filter(Boolean).map((a) => a.name || a).join(" / ") : "";
        const rough = (body.confidence || 0) < 0.3 || ["county", "city"].includes(body.precision);
        where.textContent = `${t.landed} ${body.normalized || q}${area ? " (" + area + ")" : ""}${rough ? " " + t.rough : ""}`;
        where.dataset.precision = body.precision || "";
      })
      .catch(() => { where.textContent = t.notfound; });
  });

  document.getElementById("use-position").addEventListener("click", () => {
    if (!navigator.geolocation) { where.textContent = t.nogeo; return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { const ll = L.latLng(p.coords.latitude, p.coords.longitude); setPin(ll); map.setView(ll, 16); },
      () => { where.textContent = t.nogeo; },
      { enableHighAccuracy: true, timeout: 10000 }
    );
  });

  const business = document.getElementById("business-fields");
  const isBusiness = form.querySelector("[name=is_business]");
  const toggle = () => { business.hidden = !isBusiness.checked; };
  isBusiness.addEventListener("change", toggle);
  toggle();

  const photos = form.querySelector("[name=photos]");
  const list = document.getElementById("photo-list");
  photos.addEventListener("change", () => {
    list.replaceChildren();
    const files = Array.from(photos.files);
    files.forEach((f) => { const li = document.createElement("li"); li.textContent = f.name; list.appendChild(li); });
    if (files.length > 6) { const li = document.createElement("li"); li.className = "err"; li.textContent = t.toomany; list.appendChild(li); }
  });

  const codeStatus = document.getElementById("code-status");
  document.getElementById("send-code").addEventListener("click", (e) => {
    e.preventDefault();
    const body = new FormData();
    body.append("phone", form.querySelector("[name=phone]").value);
    fetch(form.querySelector("#send-code").getAttribute("formaction"), {
      method: "POST", body, headers: { "X-CSRFToken": csrf, Accept: "application/json" }, credentials: "same-origin",
    })
      .then((r) => r.json())
      .then((b) => { codeStatus.textContent = b.detail; codeStatus.className = b.ok ? "ok" : "err"; if (b.ok) form.querySelector("[name=code]").focus(); })
      .catch(() => { codeStatus.textContent = "…"; });
  });

  form.addEventListener("submit", (e) => {
    if (e.submitter && e.submitter.id === "send-code") return;
    const button = document.getElementById("submit-report");
    button.disabled = true;
    button.textContent = t.sending;
  });
})();
