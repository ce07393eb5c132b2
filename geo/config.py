"""Reading every configuration file one way: bounded text, TOML or JSON, a pydantic model.

Specs, district records, gazetteer places, siting rules, report rules and settings all go
through :func:`load_model` (or :func:`parse_model` for text in hand), so a bad file always
gets the same kind of one-line message naming the file and the field::

    luohu_2025.toml: layers[3].features[2].status: Input should be 'existing', …

Files are read with a size cap (``/dev/zero`` or a huge file is refused, not read forever),
a UTF-8 byte-order mark is accepted, and deeply nested documents are refused instead of
raising ``RecursionError``.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from geo.errors import DataError

__all__ = [
    "MAX_CONFIG_BYTES",
    "Frozen",
    "chosen",
    "load_model",
    "parse_document",
    "parse_model",
    "read_text",
    "where",
]

#: configuration files larger than this are refused (the shipped ones are a few kB)
MAX_CONFIG_BYTES = 8 * 1024 * 1024
#: documents nested deeper than this are refused (the shipped ones nest 4 levels)
MAX_DEPTH = 32

M = TypeVar("M", bound=BaseModel)


class Frozen(BaseModel):
    """Base of every configuration model: immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def chosen(enum: Any) -> Any:
    """A field type for a :class:`geo.model.Choice`: parsed by ``enum.get``, so a bad value
    gets the one message (``status 'maybe' is not one of: existing, …``)."""
    return Annotated[enum, BeforeValidator(lambda value: enum.get(value))]


def read_text(path: str | Path, *, what: str = "file", max_bytes: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of a file (BOM allowed), read at most ``max_bytes`` bytes.

    Raises
    ------
    DataError
        Missing, a folder, unreadable, too large or not UTF-8, naming the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a {what}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise DataError(f"{path}: larger than {max_bytes // (1024 * 1024)} MiB; not a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _depth_ok(text: str) -> bool:
    """Whether brackets nest at most :data:`MAX_DEPTH` deep (a cheap pre-check, strings aside)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest <= MAX_DEPTH * 4


def parse_document(text: str, *, name: str, fmt: str) -> Any:
    """``text`` as JSON or TOML (``fmt``), refusing deep nesting; one-line :class:`DataError`
    naming ``name`` otherwise (the one decoder of every configuration and GeoJSON file)."""
    if not _depth_ok(text):
        raise DataError(f"{name}: nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        doc = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{name}: not valid TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise DataError(f"{name}: nested too deeply") from None
    return doc


def where(loc: tuple[Any, ...]) -> str:
    """``("layers", 3, "title")`` -> ``layers[3].title``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_model(
    model: type[M],
    text: str,
    *,
    name: str,
    fmt: str = "toml",
    extra: dict | None = None,
    error: type[DataError] = DataError,
) -> M:
    """Validate ``text`` (TOML or JSON) into ``model``.

    Parameters
    ----------
    model : pydantic model class
    text : str
        The document.
    name : str
        The file name used in messages.
    fmt : {"toml", "json"}
    extra : dict, optional
        Fields added to the document before validation (e.g. the file's path).
    error : DataError subclass
        The class raised (``SpecError`` for specs).

    Raises
    ------
    DataError
        One line: the file, the field and what is wrong (``+N more`` when there are several).
    """
    try:
        doc = parse_document(text.removeprefix("\ufeff"), name=name, fmt=fmt)
    except DataError as exc:
        raise error(str(exc)) from None
    if not isinstance(doc, dict):
        raise error(f"{name}: expected a table of settings at the top level")
    try:
        return model.model_validate({**doc, **(extra or {})})
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        msg = err["msg"].removeprefix("Value error, ")
        raise error(f"{name}: {where(err['loc'])}: {msg}{more}") from None
    except RecursionError:
        raise error(f"{name}: nested too deeply") from None


def load_model(
    model: type[M],
    path: str | Path,
    *,
    what: str = "file",
    extra: dict | None = None,
    error: type[DataError] = DataError,
) -> M:
    """Read ``path`` (TOML, or JSON by its suffix) and validate it into ``model``."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() in (".json", ".geojson") else "toml"
    try:
        text = read_text(path, what=what)
    except DataError as exc:
        raise error(str(exc)) from None
    return parse_model(model, text, name=path.name, fmt=fmt, extra=extra, error=error)
