"""Small raster MBTiles files made in the tests (sqlite3 + Pillow, real PNG tiles)."""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

#: the box around Luohu the test tiles cover (west, south, east, north)
LUOHU_BOX = (114.06, 22.52, 114.22, 22.63)
#: far from any district (the Atlantic)
ELSEWHERE_BOX = (-30.1, 10.0, -30.0, 10.1)


def tile_range(box: tuple[float, float, float, float], z: int) -> tuple[range, range]:
    """The XYZ columns and rows covering a lon/lat box at zoom ``z``."""
    w, s, e, n = box

    def col(lon):
        return int((lon + 180) / 360 * 2**z)

    def row(lat):
        r = math.radians(lat)
        return int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * 2**z)

    return range(col(w), col(e) + 1), range(row(n), row(s) + 1)


def png_tile(z: int, x: int, y: int, *, fmt: str = "PNG") -> bytes:
    """A 256 px tile: a pale fill that changes with the zoom, a grid line and its address."""
    from PIL import Image, ImageDraw

    fill = [(214, 234, 248), (232, 218, 239), (213, 245, 227), (252, 243, 207)][z % 4]
    img = Image.new("RGB", (256, 256), fill)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 255, 255], outline=(120, 144, 156), width=2)
    draw.text((10, 10), f"{z}/{x}/{y}", fill=(69, 90, 100))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def make_mbtiles(
    path: Path,
    *,
    box: tuple[float, float, float, float] = LUOHU_BOX,
    zooms: tuple[int, ...] = (11, 12, 13),
    fmt: str = "png",
    metadata: dict[str, str] | None = None,
    tile: bytes | None = None,
    tables: bool = True,
) -> Path:
    """Write an MBTiles file (TMS rows, as the spec says) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    with con:
        if not tables:
            con.execute("CREATE TABLE other (a)")
            return path
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        meta = {
            "name": "test tiles",
            "format": fmt,
            "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)),
            "bounds": ",".join(map(str, box)),
            "attribution": "Test tiles <b>&</b> co",
            **(metadata or {}),
        }
        con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        pil = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}.get(fmt, "PNG")
        for z in zooms:
            cols, rows = tile_range(box, z)
            for x in cols:
                for y in rows:
                    data = tile if tile is not None else png_tile(z, x, y, fmt=pil)
                    con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data))
    con.close()
    return path
