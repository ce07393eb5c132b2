"""Local copies of the JS/CSS that folium links from CDNs, so maps work with no internet.

Every CDN URL folium 0.20 (and the plugins Planmap uses) puts in ``default_js`` /
``default_css`` maps to a file under ``static/vendor/`` (built by ``scripts/vendor_assets.sh``).
:func:`localize` points a map at those files, either through a URL prefix (Streamlit serves
``static/`` at ``/app/static/``) or as ``data:`` URIs for a standalone HTML file.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import folium
from branca.element import Element

from geo.errors import OfflineAssetError
from geo.paths import REPO_ROOT

VENDOR_DIR = REPO_ROOT / "static" / "vendor"
#: The URL prefix under which Streamlit (``server.enableStaticServing``) serves VENDOR_DIR.
STREAMLIT_BASE_URL = "/app/static/vendor/"

_JSD = "https://cdn.jsdelivr.net/npm"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
#: CDN URL -> path relative to VENDOR_DIR. The single source of truth for offline assets.
CDN_TO_LOCAL: dict[str, str] = {
    # folium.Map
    # folium links 1.9.3; its patch release 1.9.4 is served (fix #8890: a tooltip on a layer
    # holding a MultiPoint or GeometryCollection crashed the page; static/vendor/VENDOR.md)
    f"{_JSD}/leaflet@1.9.3/dist/leaflet.js": "leaflet-1.9.4/leaflet.js",
    f"{_JSD}/leaflet@1.9.3/dist/leaflet.css": "leaflet-1.9.4/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    f"{_JSD}/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap-5.2.2/js/bootstrap.bundle.min.js"
    ),
    f"{_JSD}/bootstrap@5.2.2/dist/css/bootstrap.min.css": "bootstrap-5.2.2/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "bootstrap-3.4.1-glyphicons/css/bootstrap-glyphicons.css"
    ),
    f"{_JSD}/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome-free-6.2.0/css/all.min.css"
    ),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.js"
    ),
    f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css": "folium-0.20.0/leaflet.awesome.rotate.min.css",
    # folium.plugins.Draw
    f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.js": "leaflet-draw-1.0.2/leaflet.draw.js",
    f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.css": "leaflet-draw-1.0.2/leaflet.draw.css",
    # folium.plugins.TimestampedGeoJson links the same jQuery from cdnjs
    f"{_CDNJS}/jquery/3.7.1/jquery.min.js": "jquery-3.7.1/jquery.min.js",
}

# Percent-encoding only what a data: URL inside a double-quoted HTML attribute cannot hold
# (%, #, quotes, &, <, >, newlines are encoded) keeps text assets near their own size,
# where base64 would add a third.
_DATA_SAFE = "".join(chr(c) for c in range(32, 127) if chr(c) not in "%#\"'&<>`\\")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
_TAG_URL = re.compile(
    r"<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.I
)
_TILE_URL = re.compile(r"L\.tileLayer\(\s*[\"'](https?://[^\"']+)", re.I)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_CSS_URL_ANY = re.compile(r"url\(\s*[\"']?([^\"')]+)")
_CSS_URL = re.compile(r"url\(\s*([\"']?)(?!data:|#|https?:)([^\"')]+)\1\s*\)")


def _elements(root: Element) -> Iterator[Element]:
    """Yield ``root`` and every descendant element (depth first)."""
    yield root
    for child in list(getattr(root, "_children", {}).values()):
        yield from _elements(child)
    # DualMap-style plugins hold maps outside _children
    for attr in ("m1", "m2"):
        sub = getattr(root, attr, None)
        if isinstance(sub, Element):
            yield from _elements(sub)


def local_path(url: str) -> str:
    """Return the vendored path (relative to ``static/vendor``) of a CDN URL.

    Parameters
    ----------
    url : str
        A URL from an element's ``default_js``/``default_css``.

    Returns
    -------
    str

    Raises
    ------
    OfflineAssetError
        If the URL has no local copy.
    """
    try:
        return CDN_TO_LOCAL[url]
    except KeyError:
        raise OfflineAssetError(
            f"no local copy of {url}; add it to scripts/vendor_assets.sh and "
            "layers.assets.CDN_TO_LOCAL, or do not use the element that links it"
        ) from None


@lru_cache(maxsize=64)
def data_uri(path: str) -> str:
    """Return a vendored file as a ``data:`` URI; CSS gets its own ``url()`` files inlined.

    Parameters
    ----------
    path : str
        Path relative to ``static/vendor``.

    Returns
    -------
    str
    """
    file = VENDOR_DIR / path
    if file.suffix == ".css":
        text = _inline_css_urls(file.read_text(encoding="utf-8"), file.parent)
        return "data:text/css;charset=utf-8," + quote(text, safe=_DATA_SAFE)
    if file.suffix == ".js":
        text = file.read_text(encoding="utf-8")
        return "data:text/javascript;charset=utf-8," + quote(text, safe=_DATA_SAFE)
    return f"data:{_mime(file)};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def _mime(file: Path) -> str:
    if file.suffix == ".woff2":
        return "font/woff2"
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


def _drop_repeated_font_faces(css: str) -> str:
    """Drop ``@font-face`` rules that only repeat a font file an earlier rule already loads.

    Font Awesome declares each font file under its v6, v5 and v4 family names; inlined, that
    would embed every font three times. Maps use the v6 classes, which name the first rule.
    """
    seen: set[str] = set()

    def repl(match: re.Match[str]) -> str:
        files = set(_CSS_URL_ANY.findall(match.group(0)))
        if files and files <= seen:
            return ""
        seen.update(files)
        return match.group(0)

    return _FONT_FACE.sub(repl, css)


def _inline_css_urls(css: str, folder: Path) -> str:
    """Replace relative ``url(...)`` references in CSS by data URIs of the files they name."""
    css = _drop_repeated_font_faces(css)

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2).split("?")[0].split("#")[0]
        target = (folder / ref).resolve()
        if not target.is_file():  # e.g. IE-only VML behaviours; leave them as they are
            return match.group(0)
        encoded = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{_mime(target)};base64,{encoded}")'

    return _CSS_URL.sub(repl, css)


def localize(m: folium.Map, *, base_url: str | None = None, embed: bool = False) -> folium.Map:
    """Point every JS/CSS link of a map and its descendants at the vendored copies.

    Call it after every element has been added: elements added later keep their CDN links.

    Parameters
    ----------
    m : folium.Map
        The map, changed in place.
    base_url : str, optional
        Prefix of the vendored folder, e.g. ``"/app/static/vendor/"`` for Streamlit.
        Required unless ``embed``.
    embed : bool, default False
        Use ``data:`` URIs instead, so the saved HTML works alone, from ``file://``.

    Returns
    -------
    folium.Map
        ``m``.

    Raises
    ------
    OfflineAssetError
        If an element links an asset with no local copy.
    ValueError
        If neither ``base_url`` nor ``embed`` is given.
    """
    if not embed and not base_url:
        raise ValueError("localize needs base_url (e.g. '/app/static/vendor/') or embed=True")
    prefix = (
        "" if embed or not base_url else (base_url if base_url.endswith("/") else base_url + "/")
    )

    def target(url: str) -> str:
        if url.startswith("data:") or (prefix and url.startswith(prefix)):
            return url
        path = local_path(url)
        return data_uri(path) if embed else prefix + path

    roots: list[Element] = [m]
    if m._parent is not None:  # the Figure, if one is attached already
        roots.append(m.get_root())
    for root in roots:
        for el in _elements(root):
            for attr in ("default_js", "default_css"):
                links = getattr(el, attr, None)
                if links:
                    # instance attribute: never change the class-level lists
                    setattr(el, attr, [(name, target(url)) for name, url in links])
    return m


def cdn_links(html: str, *, allow_tiles: bool = False) -> list[str]:
    """Return the non-local http(s) URLs that HTML loads through script/link tags.

    Parameters
    ----------
    html : str
        A rendered map page.
    allow_tiles : bool, default False
        If False, ``L.tileLayer`` URLs count too.

    Returns
    -------
    list of str
        In order of appearance, without duplicates.
    """
    urls = _TAG_URL.findall(html)
    if not allow_tiles:
        urls += _TILE_URL.findall(html)
    remote = [u for u in urls if (urlsplit(u).hostname or "") not in _LOCAL_HOSTS]
    return list(dict.fromkeys(remote))


def assert_no_cdn(html: str, *, allow_tiles: bool = False) -> None:
    """Raise if HTML would fetch scripts or styles (or, by default, tiles) from the internet.

    Parameters
    ----------
    html : str
        A rendered map page.
    allow_tiles : bool, default False
        Accept tile URLs (for the online basemaps).

    Raises
    ------
    OfflineAssetError
        Listing every offending URL.
    """
    remote = cdn_links(html, allow_tiles=allow_tiles)
    if remote:
        raise OfflineAssetError(f"{len(remote)} remote URL(s) in the map: " + ", ".join(remote))
