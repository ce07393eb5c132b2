"""天地图 (Tianditu, the national platform) Web Mercator layers, an optional online example.

The ``_w`` services are the Web Mercator ("球面墨卡托") tile matrix set ``w`` that Leaflet draws
as plain XYZ: ``TILEMATRIX`` is the zoom, ``TILEROW`` the XYZ row, ``TILECOL`` the column, on
hosts ``t0``–``t7``. Each needs the planner's own key (``tk``) from
https://console.tianditu.gov.cn/; the service list is http://lbs.tianditu.gov.cn/server/MapService.html.
The KVP template below is the one published projects use, e.g. 864684766/openlayers-vue
``src/api/mapData.js`` and SYAHJUN11/vue3-cesium-demos ``config/baseLayerUrl.ts``; the older
``DataServer?T=vec_w&X={x}&Y={y}&L={z}`` form is in htoooth/Leaflet.ChineseTmsProviders.
天地图 is CGCS2000, which is drawn as WGS-84 (no GCJ-02 shift).

The key ends up in the page's tile URLs: a standalone map written with a 天地图 basemap holds it.
"""

from __future__ import annotations

__all__ = ["ATTRIBUTION", "LAYERS", "template"]

ATTRIBUTION = "© 天地图 Tianditu (国家地理信息公共服务平台)"
#: basemap layer -> (its annotation layer, label)
LAYERS: dict[str, tuple[str, str]] = {
    "vec": ("cva", "天地图 矢量 Tianditu vector (online)"),
    "img": ("cia", "天地图 影像 Tianditu imagery (online)"),
}
SUBDOMAINS = "01234567"
MAX_ZOOM = 18


def template(layer: str, tk: str) -> str:
    """The XYZ template of a ``_w`` layer (``vec``, ``img``, ``cva``, ``cia``) with key ``tk``."""
    return (
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tk}"
    )
