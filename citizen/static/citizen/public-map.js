// The public record on our own base map: the feed's points (rounded to about 100 m) with the
// redacted request and reply in a popup.
(function () {
  "use strict";
  const t = JSON.parse(document.getElementById("citizen-i18n").textContent);
  const el = document.getElementById("public-map");
  const map = window.citizenBaseMap(el);
  const layer = L.featureGroup().addTo(map);
  function para(label, text) {
    const p = document.createElement("p");
    const b = document.createElement("strong");
    b.textContent = `${label}: `;
    p.append(b, document.createTextNode(text || "—"));
    return p;
  }
  fetch(el.dataset.feed).then((r) => r.json()).then((body) => {
    let shown = 0;
    (body.results || []).forEach((c) => {
      if (!c.point) return;
      const [x, y] = c.point.coordinates;
      const box = document.createElement("div");
      const h = document.createElement("p");
      h.textContent = `${c.category || ""} · ${c.place || ""} · ${c.month}`;
      box.append(h, para(t.request, c.request), para(t.reply, c.reply));
      L.circleMarker([y, x], { radius: 7, color: "#2f4b7c", weight: 2, fillColor: "#5d7fa6", fillOpacity: 0.8 }).bindPopup(box).addTo(layer);
      shown += 1;
    });
    document.getElementById("map-count").textContent = `${shown} ${t.shown}`;
    el.dataset.cases = String(shown);
    if (shown) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 12 });
  });
})();
