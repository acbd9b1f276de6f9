// Small maps of the workstation pages, drawn from our own boundaries (/api/grid/areas/):
// the township's communities as the base map, the ticket's community highlighted,
// and the point. A site tile server is used only when MAP_TILE_URL is set.
(function () {
  "use strict";
  const style = {
    community: { color: "#7f93ab", weight: 1, fillColor: "#f4f6f9", fillOpacity: 0.9 },
    highlight: { color: "#c8102e", weight: 2.5, fillColor: "#fde8ea", fillOpacity: 0.6 },
  };

  const code = (f) => String(f.id || f.properties.code || "");

  function make(el, options) {
    const map = L.map(el, Object.assign({ zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl }, options || {}));
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  // The township's communities with their names; resolves to the highlighted community's layer (or null).
  function communities(map, township, highlight, options) {
    const labelOwn = !(options && options.labelOwn === false);
    if (!township) return Promise.resolve(null);
    return fetch(`/api/grid/areas/?parent=${encodeURIComponent(township)}&simplify=0.00005`)
      .then((r) => (r.ok ? r.json() : { features: [] }))
      .then((fc) => {
        let found = null;
        const layer = L.geoJSON(fc, {
          style: (f) => (code(f) === highlight ? style.highlight : style.community),
          interactive: false,
          onEachFeature: (f, l) => {
            if (code(f) === highlight) found = l;
            const p = f.properties.label;
            if (p && (labelOwn || code(f) !== highlight)) {
              L.tooltip({ permanent: true, direction: "center", className: "area-label" })
                .setLatLng([p[1], p[0]]).setContent(f.properties.name).addTo(map);
            }
          },
        }).addTo(map);
        layer.bringToBack();
        if (found) found.bringToFront();
        map.getContainer().dataset.communities = String(fc.features.length);
        return found;
      })
      .catch(() => null);
  }

  function point(map, lat, lon) {
    return L.circleMarker([lat, lon], { radius: 8, color: "#fff", weight: 3, fillColor: "#c8102e", fillOpacity: 1 }).addTo(map);
  }

  window.wsMap = { make, communities, point };

  const el = document.getElementById("ticket-map");
  if (el) {
    const lat = Number(el.dataset.lat), lon = Number(el.dataset.lon);
    const map = make(el, { scrollWheelZoom: false });
    map.setView([lat, lon], 16);
    communities(map, el.dataset.township, el.dataset.area, { labelOwn: false }).then((own) => {
      if (own) map.fitBounds(own.getBounds().extend([lat, lon]), { padding: [16, 16], maxZoom: 17, animate: false });
      point(map, lat, lon).bringToFront();
      el.dataset.ready = "1";
    });
    window.ticketMap = map;
  }
})();
