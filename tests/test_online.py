"""Online sources tested without the internet: recorded replies, blocked sockets, local servers."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon

from geo import _http
from geo._http import (
    DISABLED_MESSAGE,
    OnlineSettings,
    cache_key,
    cache_path,
    get_json,
    osmnx_configured,
    settings_from_env,
)
from geo.errors import NetworkError
from geo.online import (
    NOMINATIM_COLUMNS,
    nominatim_reply_to_gdf,
    nominatim_request,
    nominatim_search,
    osm_features,
)

LIANTANG = Point(114.15029, 22.55603)
CLOSED_PORT_URL = "http://127.0.0.1:9/api"  # the discard port: nothing listens on it here
BBOX = (114.14, 22.55, 114.16, 22.56)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def settings(tmp_path: Path) -> OnlineSettings:
    """Enabled settings with a private cache, a short timeout and no throttling."""
    return OnlineSettings(
        enabled=True, cache_dir=tmp_path / "cache", timeout_s=2.0, min_interval_s=0
    )


@pytest.fixture
def nominatim_reply(fixtures_dir: Path) -> list[dict[str, Any]]:
    text = (fixtures_dir / "nominatim" / "search_liantangkouan_jsonv2.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture
def connect_attempts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Block the network: every socket connect fails loudly and is recorded."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def no_long_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Fail at once if anything sleeps a second or more (osmnx's 55 s retry, 60 s pause)."""
    naps: list[float] = []
    real_sleep = time.sleep

    def guarded(seconds: float) -> None:
        naps.append(seconds)
        if seconds >= 1:
            raise AssertionError(f"slept {seconds} s")
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", guarded)
    return naps


class _Reply:
    """What the local server answers, to every GET and POST."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"{}"
        self.requests: list[tuple[str, str]] = []
        self.user_agents: list[str | None] = []


@pytest.fixture
def local_server() -> Iterator[tuple[str, _Reply]]:
    """A local HTTP server on a free port: ``(base_url, reply)``; set ``reply.status/body``."""
    reply = _Reply()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            reply.requests.append((self.command, self.path))
            reply.user_agents.append(self.headers.get("User-Agent"))
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = _answer  # noqa: N815
        do_POST = _answer  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api", reply
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections (kernel backlog) but never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        listener.close()


def _prefill(url: str, params: dict[str, Any], reply: Any, *, settings: OnlineSettings) -> Path:
    path = cache_path(url, params, settings=settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(reply, ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- settings


def test_defaults_are_offline() -> None:
    s = OnlineSettings()
    assert s.enabled is False
    assert s.nominatim_url == "https://nominatim.openstreetmap.org/"
    assert s.overpass_url == "https://overpass-api.de/api"
    assert s.timeout_s == 10
    assert s.cache_dir == Path.home() / ".cache" / "planmap" / "http"
    assert s.user_agent == "planmap/0.1"


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        OnlineSettings().enabled = True  # type: ignore[misc]


def test_settings_from_env_reads_every_variable(tmp_path: Path) -> None:
    s = settings_from_env(
        environ={
            "PLANMAP_ONLINE": "1",
            "PLANMAP_NOMINATIM_URL": "http://localhost:8080/",
            "PLANMAP_OVERPASS_URL": "http://localhost:12345/api",
            "PLANMAP_TIMEOUT": "2.5",
            "PLANMAP_CACHE_DIR": str(tmp_path),
        }
    )
    assert s == OnlineSettings(
        enabled=True,
        nominatim_url="http://localhost:8080/",
        overpass_url="http://localhost:12345/api",
        timeout_s=2.5,
        cache_dir=tmp_path,
    )


def test_settings_from_empty_env_is_the_default() -> None:
    assert settings_from_env(environ={}) == OnlineSettings()
    assert settings_from_env(environ={"PLANMAP_ONLINE": "0"}).enabled is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLANMAP_ONLINE": "maybe"}, "PLANMAP_ONLINE='maybe': expected one of 1, true"),
        ({"PLANMAP_TIMEOUT": "soon"}, "PLANMAP_TIMEOUT='soon': expected a positive number"),
        ({"PLANMAP_TIMEOUT": "0"}, "timeout_s=0.0: expected a positive number"),
    ],
)
def test_settings_from_env_rejects_bad_values(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings_from_env(environ=environ)


# --------------------------------------------------------------------------- the pure parser


def test_nominatim_reply_to_gdf_parses_the_recorded_reply(nominatim_reply: list) -> None:
    gdf = nominatim_reply_to_gdf(nominatim_reply, query="莲塘口岸")

    assert list(gdf.columns) == NOMINATIM_COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["name"]) == ["莲塘口岸", "莲塘口岸"]
    assert list(gdf["osm_type"]) == ["node", "way"]
    assert list(gdf["category"]) == ["railway", "barrier"]
    assert list(gdf["type"]) == ["station", "border_control"]
    assert gdf["osm_id"].tolist() == [9900000010, 9900000105]
    assert gdf["display_name"].iloc[0].startswith("莲塘口岸, 莲塘街道, 罗湖区")
    # string lat/lon became floats, and the point is (lon, lat)
    assert gdf["lon"].tolist() == pytest.approx([114.15029, 114.1519])
    assert gdf["lat"].tolist() == pytest.approx([22.55603, 22.5549])
    assert gdf.geometry.iloc[0].equals_exact(LIANTANG, tolerance=1e-9)
    # with polygon_geojson the outline is kept as the geometry
    assert isinstance(gdf.geometry.iloc[1], Polygon)
    assert gdf.geometry.iloc[1].contains(Point(gdf["lon"].iloc[1], gdf["lat"].iloc[1]))


def test_nominatim_reply_to_gdf_without_geojson_makes_lon_lat_points() -> None:
    reply = [
        {
            "osm_type": "node",
            "osm_id": 1,
            "lat": "22.5",
            "lon": "114.1",
            "category": "place",
            "type": "suburb",
            "importance": 0.5,
            "name": "甲",
            "display_name": "甲, 罗湖区",
        }
    ]
    expected = gpd.GeoDataFrame(
        {
            "query": ["甲"],
            "name": ["甲"],
            "display_name": ["甲, 罗湖区"],
            "osm_type": ["node"],
            "osm_id": pd.array([1], dtype="Int64"),
            "category": ["place"],
            "type": ["suburb"],
            "importance": pd.array([0.5], dtype="Float64"),
            "lon": [114.1],
            "lat": [22.5],
        },
        geometry=[Point(114.1, 22.5)],
        crs="EPSG:4326",
    )
    assert_geodataframe_equal(nominatim_reply_to_gdf(reply, query="甲"), expected)


def test_nominatim_reply_to_gdf_accepts_format_json_class_key() -> None:
    reply = [{"lat": "22.5", "lon": "114.1", "class": "railway", "type": "station"}]
    gdf = nominatim_reply_to_gdf(reply, query="x")
    assert gdf["category"].tolist() == ["railway"]
    assert gdf["name"].tolist() == [None]


def test_nominatim_reply_to_gdf_empty_reply_keeps_the_schema() -> None:
    gdf = nominatim_reply_to_gdf([], query="nowhere")
    assert len(gdf) == 0
    assert list(gdf.columns) == NOMINATIM_COLUMNS
    assert gdf.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"error": "Bad request"}, "answered 'q' with an error: Bad request"),
        ({"features": []}, "not a jsonv2 list of places"),
        ([{"name": "no coordinates"}], "not a jsonv2 list of places"),
    ],
)
def test_nominatim_reply_to_gdf_rejects_other_replies(reply: Any, message: str) -> None:
    with pytest.raises(NetworkError, match=message):
        nominatim_reply_to_gdf(reply, query="q")


def test_nominatim_request_params(settings: OnlineSettings) -> None:
    url, params = nominatim_request(" 莲塘口岸 ", settings=settings, limit=3)
    assert url == "https://nominatim.openstreetmap.org/search"
    assert params == {
        "q": "莲塘口岸",
        "format": "jsonv2",
        "polygon_geojson": 1,
        "limit": 3,
        "accept-language": "zh-CN",
    }
    _, boxed = nominatim_request(
        "莲塘口岸", settings=settings, viewbox=(114.05, 22.51, 114.23, 22.63)
    )
    assert boxed["viewbox"] == "114.05,22.51,114.23,22.63"
    assert boxed["bounded"] == 0


@pytest.mark.parametrize("district", ["luohu", "futian"])
def test_the_viewbox_is_the_district_records_boundary(district: str) -> None:
    """Derived from the district record (no district's box is written in code)."""
    from shapely.geometry import box

    from geo.district import get_district
    from geo.gazetteer import load_gazetteer
    from geo.online import viewbox_of

    record = get_district(district)
    gaz = load_gazetteer(record)
    boundary = gaz[(gaz["kind"] == "district") & (gaz["name"] == record.name)].geometry.iloc[0]
    viewbox = box(*viewbox_of(district))
    assert viewbox.contains(boundary)
    # but not by much: the box is no more than twice the district's bounding box
    assert viewbox.area < 2 * box(*boundary.bounds).area
    assert all(round(v, 2) == v for v in viewbox_of(district))


def test_geocode_online_falls_back_to_nominatim(
    local_server, nominatim_reply, tmp_path, monkeypatch, capsys
) -> None:
    """``planmap geocode --online``: the gazetteer first; Nominatim (one timed request through
    geo._http, with the district's viewbox) for a name it does not know; printed, not stored."""
    from geo.online import viewbox_of
    from planmap.cli import main

    base, reply = local_server
    reply.body = json.dumps(nominatim_reply).encode("utf-8")
    monkeypatch.setenv("PLANMAP_NOMINATIM_URL", base)
    monkeypatch.setenv("PLANMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PLANMAP_ONLINE", raising=False)
    assert main(["geocode", "莲塘口岸"]) == 0  # known offline: no request
    assert main(["geocode", "不存在的地方"]) == 1  # offline by default
    assert reply.requests == []
    capsys.readouterr()
    assert main(["geocode", "不存在的地方", "--online"]) == 0
    out, err = capsys.readouterr()
    assert (
        out
        == "osm:node/9900000010  莲塘口岸  -  114.150290  22.556030  railway/station  online  -\n"
    )
    assert "is not in the gazetteer; OpenStreetMap Nominatim" in err
    ((method, path),) = reply.requests
    left, bottom, right, top = viewbox_of()
    assert method == "GET"
    assert f"viewbox={left:g}%2C{bottom:g}%2C{right:g}%2C{top:g}" in path


def test_geocode_online_failure_is_one_line(monkeypatch, tmp_path, capsys) -> None:
    from planmap.cli import main

    monkeypatch.setenv("PLANMAP_NOMINATIM_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("PLANMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLANMAP_TIMEOUT", "2")
    assert main(["geocode", "不存在的地方", "--online"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("planmap geocode: 127.0.0.1: ")
    assert "\n" not in err


@pytest.mark.parametrize(("query", "limit"), [("  ", 5), ("莲塘", 0), ("莲塘", 41)])
def test_nominatim_request_rejects_bad_arguments(
    settings: OnlineSettings, query: str, limit: int
) -> None:
    with pytest.raises(ValueError, match="nominatim_search: "):
        nominatim_request(query, settings=settings, limit=limit)


# --------------------------------------------------------------------------- cache and network


def test_cache_key_ignores_parameter_order_but_not_values() -> None:
    a = cache_key("http://h/search", {"q": "莲塘", "limit": 5})
    assert a == cache_key("http://h/search", {"limit": "5", "q": "莲塘"})
    assert a != cache_key("http://h/search", {"q": "莲塘", "limit": 6})
    assert a != cache_key("http://other/search", {"q": "莲塘", "limit": 5})
    assert len(a) == 64


def test_nominatim_search_from_cache_with_the_network_blocked(
    settings: OnlineSettings, nominatim_reply: list, connect_attempts: list
) -> None:
    url, params = nominatim_request("莲塘口岸", settings=settings)
    _prefill(url, params, nominatim_reply, settings=settings)

    gdf = nominatim_search("莲塘口岸", settings=settings)

    assert connect_attempts == []
    assert_geodataframe_equal(gdf, nominatim_reply_to_gdf(nominatim_reply, query="莲塘口岸"))


@pytest.mark.timeout(10)  # a missing timeout would hang, not fail
def test_cache_miss_with_the_network_blocked_is_a_one_line_network_error(
    settings: OnlineSettings, connect_attempts: list
) -> None:
    local = dataclasses.replace(settings, nominatim_url="http://127.0.0.1:9/")
    started = time.perf_counter()
    with pytest.raises(NetworkError) as info:
        nominatim_search("莲塘口岸", settings=local)
    elapsed = time.perf_counter() - started

    message = str(info.value)
    assert connect_attempts, "the request never reached the (blocked) socket"
    assert "\n" not in message
    assert message.startswith("127.0.0.1: ")
    assert "network blocked by the test" in message
    assert elapsed < 2
    assert not local.cache_dir.exists() or not any(local.cache_dir.iterdir())


def test_disabled_settings_refuse_even_with_a_cached_reply(
    tmp_path: Path, nominatim_reply: list, connect_attempts: list
) -> None:
    disabled = OnlineSettings(cache_dir=tmp_path)
    url, params = nominatim_request("莲塘口岸", settings=disabled)
    _prefill(url, params, nominatim_reply, settings=disabled)

    with pytest.raises(NetworkError, match=f"^{DISABLED_MESSAGE}$"):
        nominatim_search("莲塘口岸", settings=disabled)
    with pytest.raises(NetworkError, match=f"^{DISABLED_MESSAGE}$"):
        get_json(url, params, settings=disabled)
    with pytest.raises(NetworkError, match=f"^{DISABLED_MESSAGE}$"):
        osm_features(BBOX, {"railway": "station"}, settings=disabled)
    assert connect_attempts == []


def test_get_json_caches_atomically_and_leaves_no_temp_files(
    settings: OnlineSettings, local_server: tuple[str, _Reply], nominatim_reply: list
) -> None:
    base, reply = local_server
    reply.body = json.dumps(nominatim_reply).encode()
    params = {"q": "莲塘口岸", "format": "jsonv2"}

    first = get_json(base + "/search", params, settings=settings)
    second = get_json(base + "/search", params, settings=settings)

    assert first == second == nominatim_reply
    assert len(reply.requests) == 1, "the second call should come from the cache"
    files = sorted(p.name for p in settings.cache_dir.iterdir())
    assert files == [f"{cache_key(base + '/search', params)}.json"]


def test_failed_cache_write_removes_its_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "k.json"
    with pytest.raises(TypeError):
        _http._write_atomic(target, {"ok": 1, "bad": object()})  # fails mid-write
    assert list(target.parent.iterdir()) == []


def test_damaged_cache_file_is_a_miss(
    settings: OnlineSettings, local_server: tuple[str, _Reply]
) -> None:
    base, reply = local_server
    reply.body = b'[{"lat": "22.5", "lon": "114.1"}]'
    path = cache_path(base, {"q": "x"}, settings=settings)
    path.parent.mkdir(parents=True)
    path.write_text('[{"lat": "22.', encoding="utf-8")  # a torn write from an old version

    assert get_json(base, {"q": "x"}, settings=settings) == [{"lat": "22.5", "lon": "114.1"}]
    assert json.loads(path.read_text("utf-8")) == [{"lat": "22.5", "lon": "114.1"}]


def test_request_sends_user_agent_and_params(
    settings: OnlineSettings, local_server: tuple[str, _Reply]
) -> None:
    base, reply = local_server
    reply.body = b"[]"
    local = dataclasses.replace(settings, nominatim_url=base)
    assert len(nominatim_search("莲塘口岸", settings=local, viewbox=(1, 2, 3, 4))) == 0
    method, path = reply.requests[0]
    assert method == "GET"
    assert path.startswith("/api/search?")
    assert "format=jsonv2" in path
    assert "viewbox=1%2C2%2C3%2C4&bounded=0" in path
    assert reply.user_agents == ["planmap/0.1"]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (503, b"{}", r"^127\.0\.0\.1: HTTP 503 Service Unavailable$"),
        (200, b"<html>\nbusy</html>", r"^127\.0\.0\.1: reply is not JSON: '<html> busy</html>'$"),
    ],
)
def test_bad_replies_are_one_line_errors_and_not_cached(
    settings: OnlineSettings,
    local_server: tuple[str, _Reply],
    status: int,
    body: bytes,
    message: str,
) -> None:
    base, reply = local_server
    reply.status, reply.body = status, body
    with pytest.raises(NetworkError, match=message):
        get_json(base, {"q": "x"}, settings=settings)
    assert not settings.cache_dir.exists() or not list(settings.cache_dir.iterdir())


@pytest.mark.timeout(10)  # a missing timeout would hang, not fail
def test_silent_server_times_out_after_the_timeout(
    settings: OnlineSettings, silent_server: str
) -> None:
    quick = dataclasses.replace(settings, timeout_s=0.5)
    started = time.perf_counter()
    with pytest.raises(NetworkError, match=r"^127\.0\.0\.1: no reply within 0\.5 s$"):
        get_json(silent_server, {"q": "x"}, settings=quick)
    assert 0.4 < time.perf_counter() - started < 3


def test_throttle_spaces_requests_to_one_host(
    settings: OnlineSettings, local_server: tuple[str, _Reply]
) -> None:
    base, reply = local_server
    reply.body = b"[]"
    spaced = dataclasses.replace(settings, min_interval_s=0.3)
    get_json(base, {"q": "a"}, settings=spaced)
    started = time.perf_counter()
    get_json(base, {"q": "b"}, settings=spaced)
    assert time.perf_counter() - started >= 0.25
    started = time.perf_counter()
    get_json(base, {"q": "b"}, settings=spaced)  # cached: no wait
    assert time.perf_counter() - started < 0.2


# --------------------------------------------------------------------------- osmnx / Overpass


@pytest.mark.timeout(10)  # a missing timeout would hang, not fail
def test_osm_features_with_nothing_listening_fails_fast_without_sleeping(
    settings: OnlineSettings, no_long_sleep: list[float]
) -> None:
    closed = dataclasses.replace(settings, overpass_url=CLOSED_PORT_URL, timeout_s=1)
    started = time.perf_counter()
    with pytest.raises(NetworkError) as info:
        osm_features(BBOX, {"railway": "station"}, settings=closed)
    elapsed = time.perf_counter() - started

    assert str(info.value).startswith("127.0.0.1: ")
    assert "refused" in str(info.value).lower()
    assert "\n" not in str(info.value)
    assert elapsed < 2
    assert max(no_long_sleep, default=0) < 1


@pytest.mark.timeout(10)  # a missing timeout would hang, not fail
def test_osm_features_with_the_network_blocked_fails_fast(
    settings: OnlineSettings, connect_attempts: list, no_long_sleep: list[float]
) -> None:
    blocked = dataclasses.replace(settings, overpass_url="http://127.0.0.1:9/api", timeout_s=1)
    started = time.perf_counter()
    with pytest.raises(NetworkError, match="network blocked by the test"):
        osm_features(BBOX, {"railway": "station"}, settings=blocked)
    assert time.perf_counter() - started < 2
    assert connect_attempts


@pytest.mark.parametrize("status", [429, 504])
@pytest.mark.timeout(10)
def test_osm_features_busy_server_fails_at_once_instead_of_sleeping_55_s(
    settings: OnlineSettings,
    local_server: tuple[str, _Reply],
    no_long_sleep: list[float],
    status: int,
) -> None:
    base, reply = local_server
    reply.status = status
    busy = dataclasses.replace(settings, overpass_url=base)
    started = time.perf_counter()
    with pytest.raises(NetworkError, match=rf"^127\.0\.0\.1: HTTP {status} .*try again later"):
        osm_features(BBOX, {"railway": "station"}, settings=busy)
    assert time.perf_counter() - started < 2
    assert [m for m, _ in reply.requests] == ["POST"], "no status check, no retry"
    assert reply.user_agents == ["planmap/0.1"]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"<html>\n<p>Not here</p></html>", r"^127\.0\.0\.1: HTTP 404 Not Found"),
        (200, b"<html>\nbusy</html>", r"^127\.0\.0\.1: bad reply: 200 OK <html> busy</html>$"),
    ],
)
def test_osm_features_bad_replies_are_one_line_errors(
    settings: OnlineSettings,
    local_server: tuple[str, _Reply],
    status: int,
    body: bytes,
    message: str,
) -> None:
    base, reply = local_server
    reply.status, reply.body = status, body
    local = dataclasses.replace(settings, overpass_url=base)
    with pytest.raises(NetworkError, match=message) as info:
        osm_features(BBOX, {"railway": "station"}, settings=local)
    assert "\n" not in str(info.value)


def test_osm_features_parses_a_served_overpass_reply_and_caches_it(
    settings: OnlineSettings,
    local_server: tuple[str, _Reply],
    fixtures_dir: Path,
    no_long_sleep: list[float],
) -> None:
    base, reply = local_server
    reply.body = (fixtures_dir / "osm" / "overpass_stations.json").read_bytes()
    local = dataclasses.replace(settings, overpass_url=base)

    gdf = osm_features(BBOX, {"railway": "station"}, settings=local)

    assert list(gdf.columns[:2]) == ["element", "id"]
    assert gdf.crs.to_epsg() == 4326
    # osmnx keeps only what lies inside the area asked for: 仙湖路 (114.134) is west of it
    assert gdf["name"].tolist() == ["莲塘口岸"]
    assert gdf.geometry.iloc[0].equals_exact(LIANTANG, tolerance=1e-9)
    assert list((local.cache_dir / "osmnx").glob("*.json")), "osmnx should cache under ours"

    again = osm_features(BBOX, {"railway": "station"}, settings=local)
    assert len(reply.requests) == 1
    assert_geodataframe_equal(again, gdf)


def test_osm_features_with_no_match_is_empty(
    settings: OnlineSettings, local_server: tuple[str, _Reply]
) -> None:
    base, reply = local_server
    reply.body = b'{"version": 0.6, "elements": []}'
    gdf = osm_features(
        BBOX, {"railway": "station"}, settings=dataclasses.replace(settings, overpass_url=base)
    )
    assert len(gdf) == 0
    assert gdf.crs.to_epsg() == 4326


def test_osmnx_settings_are_restored_after_a_failure(settings: OnlineSettings) -> None:
    import osmnx as ox

    names = ["overpass_url", "requests_timeout", "requests_kwargs", "cache_folder"]
    names += ["overpass_rate_limit", "doh_url_template", "http_user_agent", "use_cache"]
    before = {n: getattr(ox.settings, n) for n in names}
    getaddrinfo = socket.getaddrinfo

    closed = dataclasses.replace(settings, overpass_url=CLOSED_PORT_URL, timeout_s=1)
    with pytest.raises(NetworkError):
        osm_features(BBOX, {"railway": "station"}, settings=closed)
    # settings are checked inside the block, then restored when it raises
    with pytest.raises(RuntimeError), osmnx_configured(closed):  # noqa: PT012
        assert ox.settings.overpass_url == CLOSED_PORT_URL
        assert ox.settings.overpass_rate_limit is False
        raise RuntimeError("boom")

    assert {n: getattr(ox.settings, n) for n in names} == before
    assert socket.getaddrinfo is getaddrinfo
