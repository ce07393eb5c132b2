"""Fuzzing every parser a planner can feed from the command line (issue 9): the spec, the siting
rules, report text (bytes and files), the user store's import of old overrides files, and the
CLI's options. Each generated input must give a result or one :class:`PlanmapError` in one
line; any other exception fails the test, and ``deadline`` bounds each case (no hang).

Hypothesis runs derandomized (the same cases every run, in CI too) with no example database.
The app's GeoJSON upload parser is fuzzed with the app's tests.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import json
import math
import os
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import PlanmapError, SpecError
from geo.model import Kind, LayerGroup, Precision, Status
from geo.paths import default_spec

SETTINGS = settings(
    max_examples=1000,
    deadline=2000,  # ms per case
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SPEC_PATH = default_spec()
SITING_PATH = SPEC_PATH.parent / "siting.toml"
SPEC_TEXT = SPEC_PATH.read_text(encoding="utf-8")
SITING_TEXT = SITING_PATH.read_text(encoding="utf-8")

#: strings that have broken something somewhere, mixed into every generated value
HOSTILE = [
    "",
    " ",
    "gpkg_x",
    "rtree_x",
    "layer_styles",
    "con",
    "{{ 7*7 }}",
    "</script>",
    "\u202e",
    "\x00",
    "a\nb",
    "x" * 300,
    "罗湖口岸",
    "莲塘口岸",
    "nan",
    "inf",
    "-1",
    "1e309",
]
VOCABULARY = [
    *Status.values(),
    *Kind.values(),
    *Precision.values(),
    *LayerGroup.values(),
    "sites",
    "service_areas",
]
TOML_CHARS = "[]{}=\"',.\n#-_ 0123456789abcxyz罗湖\\"


def _scalars() -> st.SearchStrategy:
    return st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(HOSTILE + VOCABULARY),
    )


def _values(keys: list[str]) -> st.SearchStrategy:
    return st.recursive(
        _scalars(),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=8,
    )


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string (ASCII, \\u escapes)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise TypeError(type(value))


def toml_text(doc: dict) -> str:
    """A document as TOML (every value inline)."""
    return "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in doc.items()) + "\n"


def _slots(node: object) -> list[tuple[object, object]]:
    """Every (container, key) of a document, depth first."""
    out: list[tuple[object, object]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        out.append((node, key))
        out.extend(_slots(child))
    return out


#: values that matter for particular fields (the names every output must accept, ranks,
#: distances, places), drawn for those fields half the time
_NAMES = ["gpkg_x", "rtree_x", "sqlite_x", "layer_styles", "LAYER_STYLES", "con", "nul", "com1"]
_NAMES += ["lpt9", "Ports", "a-b", "a.b", "x" * 48, "x" * 49, "", "ports", "metro_lines", "_a"]
_NUMBERS = [-1, 0, 1, 1000, 1001, 10**20, -0.0, 1e-300, float("nan"), float("inf"), -float("inf")]
FIELDS = {
    "name": st.one_of(
        st.sampled_from(_NAMES),
        st.sampled_from(_NAMES),
        st.from_regex(r"\A[a-z][a-z0-9_]{0,50}\Z"),
    ),
    "place": st.sampled_from(["罗湖口岸", "羅湖口岸", "Luohu Port", "luohu kouan", "罗湖口案", ""]),
    "z": st.sampled_from(_NUMBERS),
    "max_outside_m": st.sampled_from(_NUMBERS),
    "outside_tolerance_m": st.sampled_from(_NUMBERS),
    "proposals": st.sampled_from(["", "sites", "service_areas", "Sites", "x"]),
}


def mutated_doc(doc: dict) -> st.SearchStrategy:
    """The document with one to three values replaced, removed or added, as TOML (the value
    strategies built once per document)."""
    keys = sorted({str(k) for c, k in _slots(doc) if isinstance(c, dict)})
    return _mutated(doc, _values(keys), st.sampled_from(keys) | st.text(max_size=6))


@st.composite
def _mutated(draw, doc: dict, values: st.SearchStrategy, new_key: st.SearchStrategy) -> str:
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(doc) or [(doc, "x")]
        fields = [slot for slot in slots if slot[1] in FIELDS]
        if fields and draw(st.booleans()):
            slots = fields
        container, key = slots[draw(st.integers(0, len(slots) - 1))]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if op == "replace":
            special = FIELDS.get(key) if isinstance(key, str) else None
            container[key] = draw(
                special if special is not None and draw(st.booleans()) else values
            )
        elif op == "delete":
            del container[key]
        else:
            target = container[key]
            if isinstance(target, dict):
                target[draw(new_key)] = draw(values)
            elif isinstance(target, list):
                target.append(draw(values))
            else:
                container[key] = [target, draw(values)]
    return toml_text(doc)


@st.composite
def mutated_text(draw, text: str) -> str:
    """The text with one to three slices replaced by generated characters."""
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = draw(st.text(alphabet=TOML_CHARS, max_size=20) | st.text(max_size=8))
        text = text[:start] + insert + text[end:]
    return text


def one_line_or_result(call):
    """``call()``'s result, or None after a one-line PlanmapError; anything else propagates."""
    try:
        return call()
    except PlanmapError as exc:
        message = str(exc)
        assert message.strip(), "an empty message"
        assert "\n" not in message, message
        assert "Traceback" not in message, message
        return None


@pytest.fixture(scope="module", autouse=True)
def warm():
    """Imports and caches outside the timed cases (a first import is not a slow parser)."""
    from geo.siting.rules import SitingConfig  # noqa: F401
    from layers.spec import parse_spec

    parse_spec(SPEC_TEXT, path="warm.toml")


# -- the spec ------------------------------------------------------------------------------


def _small_spec() -> dict:
    """The shipped spec cut to three layers of different makes (features with notes and
    statuses, an ``include``, ``proposals``): small documents keep each case cheap."""
    doc = tomllib.loads(SPEC_TEXT)
    by_name = {layer["name"]: layer for layer in doc["layers"]}
    return {**doc, "layers": [by_name["ports"], by_name["metro_lines"], by_name["low_altitude"]]}


SMALL_SPEC = _small_spec()


def _field(name: str, usual: list) -> st.SearchStrategy:
    """Mostly a usual value of the field, sometimes a special one, sometimes anything."""
    special = FIELDS.get(name)
    if special is None:
        return st.sampled_from(usual) | _scalars()
    return st.one_of(special, special, st.sampled_from(usual), _scalars())


_FEATURE_SPEC = st.fixed_dictionaries(
    {"place": _field("place", ["罗湖口岸", "莲塘口岸", "17号线", "东门站"])},
    optional={
        "status": _field("status", Status.values()),
        "note": st.text(max_size=30) | st.sampled_from(HOSTILE),
    },
)
_SELECT_SPEC = st.fixed_dictionaries(
    {"kind": _field("kind", Kind.values())},
    optional={"max_outside_m": _field("max_outside_m", [0, 50, 250.5])},
)
_LAYER_SPEC = st.fixed_dictionaries(
    {
        "name": _field("name", ["ports", "roads", "zones"]),
        "title": st.text(max_size=20) | st.sampled_from(HOSTILE),
        "group": _field("group", LayerGroup.values()),
    },
    optional={
        "visible": st.booleans() | _scalars(),
        "z": _field("z", [0, 10, 50]),
        "check_inside": st.booleans(),
        "clip": st.booleans() | _scalars(),
        "proposals": _field("proposals", ["", "sites"]),
        "include": st.lists(_SELECT_SPEC, max_size=2),
        "features": st.lists(_FEATURE_SPEC, max_size=3),
    },
)
#: a spec written from its grammar: every field of every layer generated
GRAMMAR_SPEC = st.fixed_dictionaries(
    {
        "title": st.text(max_size=20) | st.sampled_from(HOSTILE),
        "district": st.sampled_from(["罗湖区", "luohu", "futian", "福田区", "", "x"]),
        "layers": st.lists(_LAYER_SPEC, max_size=3),
    },
    optional={"outside_tolerance_m": _field("outside_tolerance_m", [250, 400.0])},
).map(toml_text)


@SETTINGS
@given(
    GRAMMAR_SPEC
    | mutated_doc(SMALL_SPEC)
    | mutated_text(toml_text(SMALL_SPEC))
    | mutated_text(SPEC_TEXT)
)
def test_fuzz_spec(text):
    from layers.spec import parse_spec

    spec = one_line_or_result(lambda: parse_spec(text, path="fuzz.toml"))
    if spec is not None:
        assert spec.layers
        assert len({layer.name for layer in spec.layers}) == len(spec.layers)


# -- the siting rules ----------------------------------------------------------------------


@SETTINGS
@given(mutated_doc(tomllib.loads(SITING_TEXT)) | mutated_text(SITING_TEXT))
def test_fuzz_siting_rules(text):
    from geo.config import parse_model
    from geo.siting.rules import SitingConfig

    one_line_or_result(
        lambda: parse_model(
            SitingConfig,
            text,
            name="siting.toml",
            extra={"path": str(SITING_PATH)},
            error=SpecError,
        )
    )


# -- report text ---------------------------------------------------------------------------

REPORT_WORDS = [
    "罗湖口岸",
    "莲塘口岸",
    "文锦渡",
    "建成",
    "推进",
    "规划",
    "。",
    "，",
    "\n",
    "片区",
    "路",
]


def _report_text() -> st.SearchStrategy:
    words = st.sampled_from(REPORT_WORDS + HOSTILE) | st.text(max_size=6)
    return st.lists(words, max_size=60).map("".join)


def _report_bytes() -> st.SearchStrategy:
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030", "big5"])
    encoded = st.tuples(_report_text(), encodings).map(
        lambda te: te[0].encode(te[1], errors="replace")
    )
    return st.one_of(
        encoded,
        st.binary(max_size=600),
        st.tuples(encoded, st.binary(max_size=8)).map(lambda eb: eb[0] + eb[1]),
    )


@pytest.fixture(scope="module")
def matcher():
    from geo.gazetteer import load_gazetteer
    from layers.report import PlaceMatcher, load_rules

    rules = load_rules()
    return PlaceMatcher.from_frame(load_gazetteer(), rules=rules), rules


@pytest.fixture(scope="module")
def scratch():
    """A folder on tmpfs where there is one (the store fsyncs each transaction)."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="planmap-fuzz-", dir=base) as folder:
        yield Path(folder)


@SETTINGS
@given(data=_report_bytes())
def test_fuzz_report_reader(matcher, scratch, data):
    from layers.report import decode_bytes, extract, extract_file

    place_matcher, rules = matcher
    text = one_line_or_result(lambda: decode_bytes(data, where="fuzz.txt"))
    if text is not None:
        result = extract(text, matcher=place_matcher, rules=rules)
        assert all(p.mentions >= 1 for p in result.found)
    report = scratch / "report.txt"
    report.write_bytes(data)
    one_line_or_result(lambda: extract_file(report, matcher=place_matcher, rules=rules))


# -- the user store's import of old overrides files ----------------------------------------

_COORD = (
    st.floats(allow_nan=True, allow_infinity=True) | st.floats(113.9, 114.3) | st.floats(22.4, 22.7)
)
_POSITION = st.lists(_COORD, max_size=4)
_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_GEOMETRY = st.one_of(
    st.fixed_dictionaries({"type": st.just("Point"), "coordinates": _POSITION}),
    st.fixed_dictionaries(
        {"type": st.just("LineString"), "coordinates": st.lists(_POSITION, max_size=4)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("Polygon"),
            "coordinates": st.lists(st.lists(_POSITION, max_size=5), max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["MultiPoint", "GeometryCollection", "Bogus"]),
            "coordinates": _JUNK,
        }
    ),
    _JUNK,
)
_TEXTS = st.text(max_size=12) | st.sampled_from(HOSTILE + VOCABULARY)
_PROPERTIES = st.dictionaries(
    st.sampled_from(["id", "note", "drawn_at", "source", "precision", "licence", "other"]),
    _TEXTS | _JUNK,
    max_size=6,
)
_FEATURE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Feature", "Other"]),
        "properties": _PROPERTIES | _JUNK,
        "geometry": _GEOMETRY | st.none(),
    }
)
_CRS = st.fixed_dictionaries(
    {
        "properties": st.fixed_dictionaries(
            {"name": st.sampled_from(["EPSG:4326", "EPSG:3857", "x"])}
        )
    }
)
_OVERRIDES = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["FeatureCollection", "FeatureCollection", "Feature", "x"]),
        "features": st.lists(_FEATURE, max_size=3) | _JUNK,
    },
    optional={"crs": _CRS | _JUNK},
)


def _overrides_bytes() -> st.SearchStrategy:
    text = _OVERRIDES.map(lambda d: json.dumps(d, allow_nan=True, ensure_ascii=False))
    cut = st.tuples(text, st.integers(0, 400)).map(lambda ti: ti[0][: ti[1]])  # truncated
    return st.one_of(
        text.map(str.encode),
        cut.map(str.encode),
        text.map(lambda t: t.encode("utf-8-sig")),
        st.binary(max_size=200),
    )


@SETTINGS
@given(data=_overrides_bytes())
def test_fuzz_overrides_import(scratch, data):
    from layers.store import UserStore

    legacy = scratch / "overrides.geojson"
    legacy.write_bytes(data)
    store_path = scratch / "store.gpkg"
    store = UserStore(store_path)
    before = len(store.locations())
    imported = one_line_or_result(lambda: store.import_geojson(legacy))
    after = store.locations()  # the store stays readable, all or nothing
    if imported is None:
        assert len(after) == before
    if len(after) > 50:
        store_path.unlink()


# -- the command line ----------------------------------------------------------------------


class Reached(BaseException):
    """Raised instead of the expensive work (build, siting, map): the options passed."""


def _paths(root: Path) -> tuple[list[str], list[str]]:
    """Paths for input options and for ``--out``, every one of them in ``root`` or never
    written (copies of the shipped spec and rules: a generated ``--out`` may name any of the
    output paths, and the test runs in ``root``, so ``-`` and ``""`` are in it too)."""
    afile = root / "afile"
    afile.write_text("hello", encoding="utf-8")
    (root / "adir").mkdir(exist_ok=True)
    spec, rules = root / SPEC_PATH.name, root / SITING_PATH.name
    shutil.copy(SPEC_PATH, spec)
    shutil.copy(SITING_PATH, rules)
    outputs = [
        str(afile),
        str(root / "adir"),
        str(root / "nowhere" / "x"),
        str(afile / "under"),
        str(root / "out.html"),
        str(root / "out.geojson"),
        "",
        "-",
    ]
    inputs = [*outputs, str(root / "build"), str(spec), str(rules), "/dev/zero", "/proc/x"]
    return inputs, outputs


NUMBERS = (
    st.sampled_from(
        ["0", "-1", "nan", "inf", "-inf", "1e309", "3", "12", "700", "abc", "", "1_000", "0x10"]
    )
    | st.integers(-(10**6), 10**6).map(str)
    | st.floats().map(str)
)
WORDS = st.text(max_size=10) | st.sampled_from(
    HOSTILE
    + VOCABULARY
    + ["context", "osm", "none", "luohu", "futian", "geojson", "gpkg", "shp", "dxf", "qgis"]
    + ["kml", "csv", "wgs84", "gcj02", "cgcs2000", "epsg:4547", "epsg:99999", "exact", "greedy"]
    + ["zh", "en", "ports", "roads", "port.luohu", "--help"]
)


def _options(
    paths: list[str], outputs: list[str]
) -> dict[str, list[tuple[str, st.SearchStrategy | None]]]:
    path = st.sampled_from(paths)
    out = st.sampled_from(outputs)
    common = [("--district", WORDS), ("--spec", path)]
    return {
        "build": [*common, ("--out", out), ("--report", path)],
        "export": [
            *common,
            ("--format", WORDS),
            ("--out", out),
            ("--layer", WORDS),
            ("--crs", WORDS),
            ("--force", None),
            ("--report", path),
        ],
        "map": [
            *common,
            ("--out", out),
            ("--basemap", WORDS),
            ("--layers-dir", path),
            ("--lang", WORDS),
            ("--highlight", WORDS),
            ("--report", path),
        ],
        "site": [
            ("--district", WORDS),
            ("--n", NUMBERS),
            ("--radius", NUMBERS),
            ("--spacing", NUMBERS),
            ("--demand-spacing", NUMBERS),
            ("--time-limit", NUMBERS),
            ("--solver", WORDS),
            ("--no-fly", path),
            ("--config", path),
            ("--out", out),
            ("--allow-parks", None),
            ("--json", None),
        ],
        "geocode": [("--json", None), ("--kind", WORDS), ("--district", WORDS)],
        "diff": [("--out", out), ("--json", None), ("--spec", path), ("--district", WORDS)],
        "extract": [
            ("--json", None),
            ("--spec", path),
            ("--district", WORDS),
            ("--sentences", NUMBERS),
        ],
        "districts": [],
    }


POSITIONAL = {"geocode": 1, "diff": 2, "extract": 1}


def argv(paths: list[str], outputs: list[str]) -> st.SearchStrategy:
    """A command line: a subcommand, its positionals, some of its options with generated
    values, sometimes a stray token (the strategies built once)."""
    options = _options(paths, outputs)
    chosen = {c: st.lists(st.sampled_from(o), max_size=5) for c, o in options.items() if o}
    return _argv(sorted(options), st.sampled_from(paths) | WORDS, chosen)


@st.composite
def _argv(draw, commands: list[str], positional: st.SearchStrategy, chosen: dict) -> list[str]:
    command = draw(st.sampled_from(commands))
    out = [command]
    for _ in range(POSITIONAL.get(command, 0)):
        out.append(draw(WORDS if command == "geocode" else positional))
    for flag, value in draw(chosen[command]) if command in chosen else []:
        out.append(flag)
        if value is not None:
            out.append(draw(value))
    if draw(st.integers(0, 9)) == 0:  # a stray token
        out.insert(draw(st.integers(1, len(out))), draw(WORDS))
    return out


def _tiny_build(folder: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.model import FEATURE_COLUMNS
    from layers.export import write_build
    from layers.layerset import LayerSet

    row = {c: "" for c in FEATURE_COLUMNS} | {
        "id": "port.luohu",
        "name": "罗湖口岸",
        "layer": "ports",
        "kind": "port",
        "status": "existing",
        "precision": "located",
        "mentions": 0,
        "geometry": Point(114.118, 22.532),
    }
    frame = gpd.GeoDataFrame([row], geometry="geometry", crs=4326)
    write_build(LayerSet.from_frames({"ports": frame}), folder)


CLI_ROOT = Path(tempfile.mkdtemp(prefix="planmap-fuzz-cli-"))
atexit.register(shutil.rmtree, CLI_ROOT, ignore_errors=True)
CLI_PATHS, CLI_OUTPUTS = _paths(CLI_ROOT)


@pytest.fixture(scope="module")
def stubbed_cli(matcher):
    """The expensive steps replaced by :class:`Reached`; the gazetteer and geocoder built once."""
    import geo.geocoder
    import geo.siting
    import layers.build
    import layers.map
    from geo.gazetteer import load_gazetteer
    from planmap.commands import _common
    from planmap.commands import geocode as geocode_command

    _tiny_build(CLI_ROOT / "build")
    gazetteer = load_gazetteer()
    geocoder = geo.geocoder.Geocoder(gazetteer)

    def reached(*args, **kwargs):
        raise Reached

    patch = pytest.MonkeyPatch()
    patch.setattr(_common, "build_with_progress", reached)
    patch.setattr(_common, "evidence_of", reached)
    patch.setattr(layers.build, "build_from_files", reached)
    patch.setattr(geo.siting, "site_landing_points", reached)
    patch.setattr(layers.map, "make_map", reached)
    patch.setattr(geocode_command, "_load", lambda *a, **k: gazetteer)
    patch.setattr(geo.geocoder, "Geocoder", lambda *a, **k: geocoder)
    patch.delenv("PLANMAP_ONLINE", raising=False)
    patch.delenv("PLANMAP_DEBUG", raising=False)
    patch.chdir(CLI_ROOT)
    shipped = {p: p.read_bytes() for p in (SPEC_PATH, SITING_PATH)}
    yield
    assert {p: p.read_bytes() for p in shipped} == shipped  # nothing shipped was written
    patch.undo()


@SETTINGS
@given(args=argv(CLI_PATHS, CLI_OUTPUTS))
def test_fuzz_cli_options(stubbed_cli, args):
    from planmap.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main(args)
        except Reached:
            return  # every option was accepted up to the work itself
        except SystemExit as exc:  # argparse: usage and one error line, exit 2 (0 for --help)
            assert exc.code in (0, 2), exc.code  # noqa: PT017 - a harness, not one case
            return
    lines = [
        line
        for line in err.getvalue().splitlines()
        if line.strip() and "%|" not in line and not line.startswith(("warning:", "note:"))
    ]
    text = err.getvalue()
    assert "Traceback" not in text, (args, text)
    assert "internal error" not in text, (args, text)
    if rc == 0:
        return
    assert rc in (1, 2), (args, rc)
    if rc == 1:  # geocode: a name matched no place
        assert args[0] == "geocode", (args, text)
    assert len(lines) >= 1, (args, text)
    assert all(line.startswith(f"planmap {args[0]}: ") for line in lines), (args, text)
