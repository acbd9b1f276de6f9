// The four-level grid map: boundaries of every level as toggleable layers over a
// base map drawn from our own data (or the site's tile server), names on hover,
// and a click that asks /api/grid/locate who answers for the place.
(function () {
  "use strict";
  const t = JSON.parse(document.getElementById("grid-i18n").textContent);
  const el = document.getElementById("map");
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  const bounds = JSON.parse(document.getElementById("city-bounds").textContent);
  if (bounds) map.fitBounds(bounds); else map.setView([33.76, 113.19], 9);
  window.gridMap = map;
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const styles = {
    city: { color: "#c8102e", weight: 3, fill: false },
    county: { color: "#2f4b7c", weight: 2, fillColor: "#dfe7f2", fillOpacity: 0.55 },
    township: { color: "#5d7fa6", weight: 1, fillOpacity: 0, dashArray: "4 3" },
    community: { color: "#8aa5c4", weight: 0.6, fillOpacity: 0 },
  };
  const simplify = { city: 0.001, county: 0.0005, township: 0.0003, community: 0.0001 };
  const layers = {};
  const loaded = {};
  function load(level) {
    if (loaded[level]) return loaded[level];
    loaded[level] = fetch(`/api/grid/areas/?level=${level}&simplify=${simplify[level]}`)
      .then((r) => r.json())
      .then((fc) => {
        layers[level].addData(fc);
        if (level === "county") {
          fc.features.forEach((f) => {
            const p = f.properties.label;
            if (p) L.tooltip({ permanent: true, direction: "center", className: "area-label" })
              .setLatLng([p[1], p[0]]).setContent(f.properties.is_zone ? f.properties.short_name : f.properties.name)
              .addTo(countyLabels);
          });
        }
        el.dataset[`loaded${level}`] = String(fc.features.length);
      });
    return loaded[level];
  }
  const countyLabels = L.layerGroup().addTo(map);
  ["county", "township", "community", "city"].forEach((level) => {
    layers[level] = L.geoJSON(null, {
      style: styles[level],
      interactive: level !== "city",
      onEachFeature: (f, layer) => {
        layer.bindTooltip(`${f.properties.name} <small>${f.id}</small>`, { sticky: true });
        layer.on("mouseover", () => layer.setStyle({ weight: (styles[level].weight || 1) + 1.5 }));
        layer.on("mouseout", () => layers[level].resetStyle(layer));
      },
    });
  });
  const overlays = {};
  ["city", "county", "township", "community"].forEach((level) => { overlays[t[level]] = layers[level]; });
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  map.on("overlayadd", (e) => {
    const level = Object.keys(layers).find((k) => layers[k] === e.layer);
    if (level) load(level);
  });
  ["city", "county", "township"].forEach((level) => { layers[level].addTo(map); load(level); });
  // Communities are many: they appear by themselves once the view is close enough.
  map.on("zoomend", () => {
    if (map.getZoom() >= 12 && !map.hasLayer(layers.community)) layers.community.addTo(map);
  });

  // Base map from our own gazetteer: roads (names on hover) and, close up, named places.
  const roads = L.geoJSON(null, {
    style: (f) => ({ color: "#b08a4a", weight: f.properties.is_main ? 3 : 1.6, opacity: 0.85 }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(map);
  fetch("/api/geo/roads/").then((r) => r.json()).then((fc) => {
    roads.addData(fc);
    el.dataset.loadedroads = String(fc.features.length);
  });
  const places = L.geoJSON(null, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 3, color: "#6b5b95", weight: 1, fillOpacity: 0.8 }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name),
  });
  let placesLoaded = false;
  map.on("zoomend", () => {
    if (map.getZoom() >= 14) {
      if (!placesLoaded) {
        placesLoaded = true;
        fetch("/api/geo/places/").then((r) => r.json()).then((fc) => places.addData(fc));
      }
      places.addTo(map);
    } else {
      places.remove();
    }
  });

  const panel = document.getElementById("locate-result");
  let marker = null;
  map.on("click", (e) => {
    const { lat, lng } = e.latlng;
    fetch(`/api/grid/locate?lon=${lng.toFixed(6)}&lat=${lat.toFixed(6)}`)
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        panel.hidden = false;
        if (marker) marker.remove();
        marker = L.circleMarker(e.latlng, { radius: 6, color: "#c8102e" }).addTo(map);
        for (const level of ["county", "township", "community"]) {
          panel.querySelector(`[data-level=${level}]`).textContent = ok && body[level] ? body[level].name : "—";
        }
        panel.querySelector("[data-level=offices]").textContent = ok
          ? body.offices.map((o) => o.name).join("、") : t.outside;
      });
  });
})();
