"""The only network code in Planmap: settings, a cached JSON GET, and osmnx's network settings.

Online sources are opt-in (``PLANMAP_ONLINE=1``). Every request has a timeout, every reply is
cached as a file keyed by the request, and every failure becomes one
:class:`geo.errors.NetworkError` whose one-line message names the host and the cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from geo.errors import NetworkError

DISABLED_MESSAGE = "online sources are disabled; set PLANMAP_ONLINE=1"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "planmap" / "http"


@dataclass(frozen=True, slots=True)
class OnlineSettings:
    """How Planmap may reach online sources; immutable, passed explicitly.

    Parameters
    ----------
    enabled : bool
        Online sources are used only when True (opt-in).
    nominatim_url : str
        Base URL of the Nominatim server (``/search`` is appended).
    overpass_url : str
        Base URL of the Overpass API (osmnx appends ``/interpreter``).
    timeout_s : float
        Timeout of every request, in seconds (connect and read each).
    cache_dir : pathlib.Path
        Folder of cached replies, one JSON file per request.
    user_agent : str
        HTTP ``User-Agent`` (Nominatim's usage policy requires an identifying one).
    min_interval_s : float
        Least time between two requests to the same host (Nominatim's policy: 1 request/s).
        Only waits when a previous request was that recent; cached replies never wait.
    """

    enabled: bool = False
    nominatim_url: str = "https://nominatim.openstreetmap.org/"
    overpass_url: str = "https://overpass-api.de/api"
    timeout_s: float = 10
    cache_dir: Path = field(default_factory=_default_cache_dir)
    user_agent: str = "planmap/0.1"
    min_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"timeout_s={self.timeout_s!r}: expected a positive number of seconds")
        object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())


def settings_from_env(*, environ: Mapping[str, str] | None = None) -> OnlineSettings:
    """Read online settings from the environment.

    Parameters
    ----------
    environ : Mapping[str, str], optional
        The variables to read; ``os.environ`` by default. Read: ``PLANMAP_ONLINE`` (1/0),
        ``PLANMAP_NOMINATIM_URL``, ``PLANMAP_OVERPASS_URL``, ``PLANMAP_TIMEOUT`` (seconds),
        ``PLANMAP_CACHE_DIR``.

    Returns
    -------
    OnlineSettings
        Defaults for every variable not set.

    Raises
    ------
    ValueError
        If ``PLANMAP_ONLINE`` or ``PLANMAP_TIMEOUT`` has a value that cannot be read.
    """
    env = os.environ if environ is None else environ
    kwargs: dict[str, Any] = {}
    online = env.get("PLANMAP_ONLINE", "").strip().lower()
    if online not in _TRUE + _FALSE:
        raise ValueError(
            f"PLANMAP_ONLINE={env['PLANMAP_ONLINE']!r}: expected one of {', '.join(_TRUE)} "
            f"(on) or {', '.join(repr(v) for v in _FALSE)} (off)"
        )
    kwargs["enabled"] = online in _TRUE
    if url := env.get("PLANMAP_NOMINATIM_URL"):
        kwargs["nominatim_url"] = url
    if url := env.get("PLANMAP_OVERPASS_URL"):
        kwargs["overpass_url"] = url
    if timeout := env.get("PLANMAP_TIMEOUT"):
        try:
            kwargs["timeout_s"] = float(timeout)
        except ValueError:
            raise ValueError(
                f"PLANMAP_TIMEOUT={timeout!r}: expected a positive number of seconds"
            ) from None
    if cache := env.get("PLANMAP_CACHE_DIR"):
        kwargs["cache_dir"] = Path(cache)
    return OnlineSettings(**kwargs)


def cache_key(url: str, params: Mapping[str, Any]) -> str:
    """The cache key of a request: sha256 of the URL and its sorted parameters."""
    canonical = json.dumps(
        [url, sorted((str(k), str(v)) for k, v in params.items())],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cache_path(url: str, params: Mapping[str, Any], *, settings: OnlineSettings) -> Path:
    """The file that caches the reply to a request."""
    return settings.cache_dir / f"{cache_key(url, params)}.json"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _one_line(text: object, *, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _write_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_cache(path: Path) -> dict | list | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # a damaged cache file is a miss, never an error: it is rewritten after the request
        return None


_last_request: dict[str, float] = {}
_throttle_lock = threading.Lock()


def _throttle(host: str, min_interval_s: float) -> None:
    with _throttle_lock:
        wait = _last_request.get(host, -float("inf")) + min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_request[host] = time.monotonic()


def get_json(url: str, params: Mapping[str, Any], *, settings: OnlineSettings) -> dict | list:
    """GET a JSON reply, from the file cache when it holds one.

    Cached replies never expire (planning reports are mapped from a fixed snapshot); delete
    ``settings.cache_dir`` to refresh. Error replies are never cached.

    Parameters
    ----------
    url : str
        The endpoint.
    params : Mapping[str, Any]
        Query parameters (values are sent as strings).
    settings : OnlineSettings
        Whether online sources are enabled, the timeout and the cache folder.

    Returns
    -------
    dict or list
        The parsed JSON reply.

    Raises
    ------
    NetworkError
        If online sources are disabled, or the request fails (no network, timeout, an HTTP
        error status, a reply that is not JSON); the message is one line naming the host.
    """
    if not settings.enabled:
        raise NetworkError(DISABLED_MESSAGE)
    path = cache_path(url, params, settings=settings)
    cached = _read_cache(path)
    if cached is not None:
        return cached

    host = _host(url)
    _throttle(host, settings.min_interval_s)
    try:
        response = requests.get(
            url,
            params={str(k): str(v) for k, v in params.items()},
            headers={"User-Agent": settings.user_agent},
            timeout=settings.timeout_s,
        )
    except requests.Timeout:
        raise NetworkError(f"{host}: no reply within {settings.timeout_s:g} s") from None
    except requests.RequestException as e:
        raise NetworkError(f"{host}: {_cause(e)}") from None
    if not response.ok:
        raise NetworkError(f"{host}: HTTP {response.status_code} {response.reason}")
    try:
        reply = response.json()
    except ValueError:
        raise NetworkError(
            f"{host}: reply is not JSON: {_one_line(response.text, limit=80)!r}"
        ) from None
    _write_atomic(path, reply)
    return reply


def _cause(error: BaseException) -> str:
    """The innermost cause of a requests error, in one line (urllib3 nests them deeply)."""
    seen: set[int] = set()
    inner: BaseException = error
    while True:
        nxt = inner.__cause__ or inner.__context__
        if nxt is None and inner.args and isinstance(inner.args[0], BaseException):
            nxt = inner.args[0]
        if nxt is None and hasattr(inner, "reason") and isinstance(inner.reason, BaseException):
            nxt = inner.reason
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(inner))
        inner = nxt
    text = str(inner)
    # urllib3 prefixes the connection object's repr: keep the human part
    if "Failed to establish a new connection: " in text:
        text = text.split("Failed to establish a new connection: ", 1)[1]
    return _one_line(f"{type(inner).__name__}: {text}" if text else type(inner).__name__)


def _refuse_slow_retries(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests hook: fail at once on 429/504, where osmnx would sleep 55 s and retry."""
    if response.status_code in (429, 504):
        raise NetworkError(
            f"{_host(response.url)}: HTTP {response.status_code} {response.reason} "
            "(server busy; try again later)"
        )


_OSMNX_LOCK = threading.RLock()


NO_MATCHING_FEATURES = "No matching features"


def _osmnx_reason(error: Exception, host: str) -> str:
    """osmnx's "'host' responded: 404 Not Found <body>" without the host, in one short line."""
    text = str(error)
    for prefix in (f"{host!r} responded: ", f"'{host}' responded: "):
        text = text.removeprefix(prefix)
    return _one_line(text, limit=120)


@contextlib.contextmanager
def osmnx_configured(settings: OnlineSettings) -> Iterator[None]:
    """Configure osmnx's global settings for one call, and restore them afterwards.

    Sets the Overpass and Nominatim URLs, the timeout, the cache folder
    (``settings.cache_dir / "osmnx"``) and the user agent. Turns off the Overpass status check
    (which, unreachable, makes osmnx sleep 60 s) and the DNS-over-HTTPS lookup, and installs a
    response hook that raises :class:`NetworkError` on HTTP 429/504 instead of osmnx's 55 s
    sleep-and-retry. ``socket.getaddrinfo``, which osmnx patches to pin a host's address, is
    restored too. osmnx's settings are process-wide, so callers are serialised by a lock.

    Parameters
    ----------
    settings : OnlineSettings
        The settings to apply.

    Yields
    ------
    None

    Raises
    ------
    NetworkError
        If online sources are disabled, or a request made inside the block fails. osmnx's
        "No matching features" (an empty but valid answer) is passed through unchanged.
    """
    if not settings.enabled:
        raise NetworkError(DISABLED_MESSAGE)
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    values = {
        "requests_timeout": settings.timeout_s,
        "nominatim_url": settings.nominatim_url,
        "overpass_url": settings.overpass_url,
        "use_cache": True,
        "cache_folder": settings.cache_dir / "osmnx",
        "cache_only_mode": False,
        "http_user_agent": settings.user_agent,
        "http_referer": settings.user_agent,
        "overpass_rate_limit": False,
        "doh_url_template": None,
        "requests_kwargs": {"hooks": {"response": [_refuse_slow_retries]}},
    }
    host = _host(settings.overpass_url)
    with _OSMNX_LOCK:
        saved = {name: getattr(ox.settings, name) for name in values}
        saved_getaddrinfo = socket.getaddrinfo
        try:
            for name, value in values.items():
                setattr(ox.settings, name, value)
            yield
        except requests.Timeout:
            raise NetworkError(f"{host}: no reply within {settings.timeout_s:g} s") from None
        except requests.RequestException as e:
            raise NetworkError(f"{host}: {_cause(e)}") from None
        except ResponseStatusCodeError as e:
            raise NetworkError(f"{host}: HTTP {_osmnx_reason(e, host)}") from None
        except InsufficientResponseError as e:
            if str(e).startswith(NO_MATCHING_FEATURES):
                raise
            raise NetworkError(f"{host}: bad reply: {_osmnx_reason(e, host)}") from None
        finally:
            for name, value in saved.items():
                setattr(ox.settings, name, value)
            socket.getaddrinfo = saved_getaddrinfo
