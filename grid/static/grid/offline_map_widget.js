/* Starts Django's OpenLayers MapWidget for every offline map field of an admin form.
   The options come from a JSON block (no inline script: the site's CSP refuses them);
   the base layer is the site's tile server when it has one, else our own county outlines. */
/* global ol, MapWidget */
"use strict";
(function () {
  function baseLayer(opts) {
    if (opts.tile_url) {
      return new ol.layer.Tile({ source: new ol.source.XYZ({ url: opts.tile_url }) });
    }
    return new ol.layer.Vector({
      source: new ol.source.Vector({
        url: opts.outlines_url,
        format: new ol.format.GeoJSON({ featureProjection: "EPSG:3857" }),
      }),
      style: new ol.style.Style({
        stroke: new ol.style.Stroke({ color: "#5b7db1", width: 1.5 }),
        fill: new ol.style.Fill({ color: "rgba(230,236,245,0.6)" }),
      }),
    });
  }

  function start() {
    document.querySelectorAll("[data-offline-map]").forEach(function (wrapper) {
      if (wrapper.dataset.started) return;
      var source = document.getElementById(wrapper.dataset.offlineMap);
      if (!source) return;
      var opts = JSON.parse(source.textContent);
      opts.base_layer = baseLayer(opts);
      wrapper.dataset.started = "1";
      // As Django's template does: the widget under a global name (geodjango_<field>) for other scripts.
      window[opts.module] = new MapWidget(opts);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
