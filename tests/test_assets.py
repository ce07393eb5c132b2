"""layers.assets: every CDN link folium writes has a vendored copy, and maps lose them all."""

from __future__ import annotations

import inspect
import re
from urllib.parse import unquote

import folium
import folium.plugins
import pytest

from layers.map import assets


def _folium_links() -> set[str]:
    """Every URL in folium.Map's and folium.plugins.Draw's default_js/default_css."""
    urls = set()
    for cls in (folium.Map, folium.plugins.Draw):
        urls |= {u for _, u in [*cls.default_js, *cls.default_css]}
    return urls


def test_every_map_and_draw_link_is_vendored():
    missing = _folium_links() - set(assets.CDN_TO_LOCAL)
    assert not missing
    for path in set(assets.CDN_TO_LOCAL.values()):
        assert (assets.VENDOR_DIR / path).is_file(), path


def test_vendored_versions_match_the_urls():
    for url, path in assets.CDN_TO_LOCAL.items():
        version = re.search(r"\d+\.\d+\.\d+", url)
        if version is None:  # folium's own rotate css
            continue
        # npm has no Bootstrap 3.0.0 glyphicons sheet; the same rules come from 3.4.1; Leaflet
        # 1.9.3 is served as its patch release 1.9.4 (VENDOR.md)
        expected = {"3.0.0": "3.4.1", "1.9.3": "1.9.4"}.get(version.group(0), version.group(0))
        assert f"-{expected}" in path.split("/")[0], (url, path)
    head = (assets.VENDOR_DIR / "leaflet-1.9.4/leaflet.js").read_text(encoding="utf-8")[:300]
    assert "1.9.4" in head  # folium's 1.9.3 with the fix for nested groups in tooltips


def _map_with_draw() -> folium.Map:
    m = folium.Map(tiles=None)
    folium.plugins.Draw().add_to(m)
    return m


def test_localize_rewrites_the_map_and_its_plugins():
    m = assets.localize(_map_with_draw(), base_url="/app/static/vendor")
    html = m.get_root().render()
    assets.assert_no_cdn(html)
    assert '<script src="/app/static/vendor/leaflet-1.9.4/leaflet.js">' in html
    assert "/app/static/vendor/leaflet-draw-1.0.2/leaflet.draw.js" in html
    # the class attributes are untouched, so other maps keep working
    assert folium.Map.default_js[0][1].startswith("https://cdn.jsdelivr.net/")


def test_localize_is_idempotent():
    m = assets.localize(_map_with_draw(), base_url="/x/")
    before = [u for _, u in m.default_js]
    assets.localize(m, base_url="/x/")
    assert [u for _, u in m.default_js] == before


def test_localize_refuses_an_asset_with_no_local_copy():
    m = folium.Map(tiles=None)
    folium.plugins.MeasureControl().add_to(m)
    with pytest.raises(assets.OfflineAssetError, match="leaflet-measure"):
        assets.localize(m, base_url="/app/static/vendor/")
    with pytest.raises(ValueError, match="base_url"):
        assets.localize(folium.Map(tiles=None))


def test_embed_uses_data_uris_with_fonts_and_images_inlined():
    html = assets.localize(_map_with_draw(), embed=True).get_root().render()
    assets.assert_no_cdn(html)
    assert "static/vendor" not in html
    fa = unquote(assets.data_uri("fontawesome-free-6.2.0/css/all.min.css"))
    assert fa.count("data:font/woff2;base64,") == 4  # each font file once, not per alias
    assert "../webfonts" not in fa
    draw_css = unquote(assets.data_uri("leaflet-draw-1.0.2/leaflet.draw.css"))
    assert "images/spritesheet" not in draw_css
    assert "data:image/png;base64," in draw_css
    # what a double-quoted src attribute cannot hold is percent-encoded
    js = assets.data_uri("jquery-3.7.1/jquery.min.js")
    assert not set('"\n<>&#') & set(js)


def test_assert_no_cdn_lists_every_remote_url():
    html = (
        '<script src="https://cdn.example.com/a.js"></script>'
        '<link rel="stylesheet" href="http://127.0.0.1:8501/app/static/x.css"/>'
        "<link rel='stylesheet' href='https://evil.example/b.css'/>"
        'L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {})'
    )
    with pytest.raises(assets.OfflineAssetError) as err:
        assets.assert_no_cdn(html)
    msg = str(err.value)
    assert "3 remote" in msg
    assert "a.js" in msg
    assert "b.css" in msg
    assert "openstreetmap" in msg
    assert "127.0.0.1" not in msg
    assert assets.cdn_links(html, allow_tiles=True) == [
        "https://cdn.example.com/a.js",
        "https://evil.example/b.css",
    ]


def test_the_module_is_documented():
    for fn in (assets.localize, assets.assert_no_cdn, assets.data_uri, assets.local_path):
        assert inspect.getdoc(fn)
