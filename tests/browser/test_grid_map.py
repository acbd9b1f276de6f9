"""The grid map page in a real browser: four levels, names on hover, click to locate."""

import pytest

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_grid_map_shows_the_four_levels_and_locates_a_click(live_url, page):
    requests_outside = []
    page.on("request", lambda r: requests_outside.append(r.url) if not r.url.startswith(live_url) else None)
    page.goto(f"{live_url}/maps/grid/")
    # The county and township layers load side by side: either may land first.
    page.wait_for_function("document.getElementById('map').dataset.loadedtownship")
    page.wait_for_function("document.getElementById('map').dataset.loadedcounty")
    assert page.locator("#map").get_attribute("data-loadedcounty") == "12"
    assert page.locator("#map").get_attribute("data-loadedtownship") == "148"
    page.wait_for_function("document.getElementById('map').dataset.loadedroads")
    # The layer control offers the four levels in Chinese.
    control = page.locator(".leaflet-control-layers-overlays").inner_text()
    for label in ("市", "县区", "乡镇街道", "社区村"):
        assert label in control
    # County names are drawn on the map from our own data.
    assert page.get_by_text("新华区", exact=True).first.is_visible()
    screenshot(page, "grid-map-city")

    # Zoom into 光明路街道: communities appear; a click names 长青社区 and its offices.
    page.evaluate("""() => fetch('/api/grid/areas/410402002005/').then(r => r.json()).then(f => {
        const [lon, lat] = f.properties.label; window.gridMap.setView([lat, lon], 14); window._cq = [lat, lon]; })""")
    page.wait_for_function("document.getElementById('map').dataset.loadedcommunity")
    page.wait_for_timeout(300)
    point = page.evaluate("() => { const p = window.gridMap.latLngToContainerPoint(window._cq); return [p.x, p.y]; }")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_function("document.querySelector('[data-level=community]').textContent.length > 1")
    assert page.locator("[data-level=community]").inner_text() == "长青社区居民委员会"
    assert page.locator("[data-level=township]").inner_text() == "光明路街道"
    assert "长青社区工作站" in page.locator("[data-level=offices]").inner_text()
    screenshot(page, "grid-map-changqing")
    # hovering a community names it with its code
    page.mouse.move(box["x"] + point[0] + 3, box["y"] + point[1] + 3)
    tip = page.locator(".leaflet-tooltip").filter(has_text="长青社区").first
    tip.wait_for()
    assert "410402002005" in tip.inner_text()
    assert not requests_outside, requests_outside
    assert not page.js_errors, page.js_errors
