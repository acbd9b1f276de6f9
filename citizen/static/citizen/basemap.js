// Our own offline base map for the citizen's pages: the county boundaries and the roads of the
// gazetteer (as maps/grid.js draws them), no tile server unless the site has one.
(function () {
  "use strict";
  window.citizenBaseMap = function (el) {
    const map = L.map(el, { zoomSnap: 0.5, tap: true });
    const boundsEl = document.getElementById("city-bounds");
    const bounds = boundsEl ? JSON.parse(boundsEl.textContent) : null;
    if (bounds) map.fitBounds(bounds); else map.setView([33.76, 113.19], 9);
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
    const counties = L.geoJSON(null, {
      style: { color: "#2f4b7c", weight: 1.5, fillColor: "#eef2f8", fillOpacity: 0.5 },
      interactive: false,
    }).addTo(map);
    fetch("/api/grid/areas/?level=county&simplify=0.0005").then((r) => r.json()).then((fc) => counties.addData(fc)).catch(() => {});
    const roads = L.geoJSON(null, {
      style: (f) => ({ color: "#b08a4a", weight: f.properties.is_main ? 3 : 1.5, opacity: 0.85 }),
      interactive: false,
    }).addTo(map);
    fetch("/api/geo/roads/").then((r) => r.json()).then((fc) => { roads.addData(fc); el.dataset.roads = String(fc.features.length); }).catch(() => {});
    return map;
  };
})();
