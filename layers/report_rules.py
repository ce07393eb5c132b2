"""Report-reading rules from ``data/report_rules.toml``, and the Han characters they count.

:func:`load_rules` validates the file once into an immutable :class:`ReportRules`; every step of
:mod:`layers.report` (decoding limits, the matcher, unresolved phrases, excerpts) takes one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DataError
from geo.paths import data_dir
from layers.styles import Status

__all__ = ["HAN", "STATUSES", "ReportRules", "is_han", "load_rules"]

STATUSES = tuple(s.value for s in Status)  # the [status] sections of the rules
# Han characters as the rules count them (min_han_chars) and phrases are made of: the CJK
# unified ideographs, extension A and the compatibility ideographs
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han character of :data:`HAN`."""
    return bool(re.match(f"[{HAN}]", char))


@dataclass(frozen=True)
class ReportRules:
    """The rules of ``data/report_rules.toml`` (see the comments there), validated once."""

    max_bytes: int
    max_sentences_per_place: int
    excerpt_sentences: int
    excerpt_chars: int
    max_unresolved: int
    display_max_chars: int
    max_sentence_chars: int
    require_suffix: Mapping[str, tuple[str, ...]]
    min_han_chars: int
    min_latin_chars: int
    suffixes: tuple[str, ...]
    not_followed_by: Mapping[str, tuple[str, ...]]
    generic_endings: tuple[str, ...]
    generic_words: frozenset[str]
    stop_prefixes: tuple[str, ...]
    separators: tuple[str, ...]
    coordinators: tuple[str, ...]
    organisation_verbs: tuple[str, ...]
    classifiers: tuple[str, ...]
    english_suffixes: tuple[str, ...]
    not_places: frozenset[str]
    status_cues: Mapping[str, tuple[str, ...]]

    def replace(self, **changes: object) -> ReportRules:
        """Return a copy with some fields changed (e.g. a lower ``max_bytes`` in tests)."""
        from dataclasses import replace

        return replace(self, **changes)


def load_rules(path: str | Path | None = None) -> ReportRules:
    """Load and check the report rules.

    Parameters
    ----------
    path : str or Path, optional
        Default ``data/report_rules.toml``.

    Returns
    -------
    ReportRules

    Raises
    ------
    DataError
        The file is missing, not TOML, or a field is missing or of the wrong type.
    """
    path = Path(path) if path else data_dir() / "report_rules.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path}: report rules not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from exc

    def get(section: str, key: str, kind: type) -> object:
        value = doc.get(section, {}).get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            what = {int: "an integer", list: "a list", dict: "a table"}[kind]
            raise DataError(f"{path}: [{section}].{key} must be {what}")
        return value

    def words(section: str, key: str) -> tuple[str, ...]:
        value = get(section, key, list)
        if not all(isinstance(v, str) and v for v in value):
            raise DataError(f"{path}: [{section}].{key} must be a list of non-empty strings")
        return tuple(sorted(value, key=len, reverse=True))

    def table(section: str, key: str) -> dict[str, tuple[str, ...]]:
        value = get(section, key, dict)
        out = {}
        for k, v in value.items():
            if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
                raise DataError(f"{path}: [{section}].{key}.{k} must be a list of strings")
            out[k] = tuple(v)
        return out

    ints = {
        key: get("input", key, int)
        for key in (
            "max_bytes",
            "max_sentences_per_place",
            "excerpt_sentences",
            "excerpt_chars",
            "max_unresolved",
            "display_max_chars",
            "max_sentence_chars",
        )
    }
    for key, value in ints.items():
        if value <= 0:
            raise DataError(f"{path}: [input].{key} must be positive")
    return ReportRules(
        **ints,
        require_suffix=table("matcher", "require_suffix"),
        min_han_chars=get("matcher", "min_han_chars", int),
        min_latin_chars=get("matcher", "min_latin_chars", int),
        suffixes=words("unresolved", "suffixes"),
        not_followed_by=table("unresolved", "not_followed_by"),
        generic_endings=words("unresolved", "generic_endings"),
        generic_words=frozenset(words("unresolved", "generic_words")),
        stop_prefixes=words("unresolved", "stop_prefixes"),
        separators=words("unresolved", "separators"),
        coordinators=words("unresolved", "coordinators"),
        organisation_verbs=words("unresolved", "organisation_verbs"),
        classifiers=words("unresolved", "classifiers"),
        english_suffixes=words("unresolved", "english_suffixes"),
        not_places=frozenset(words("unresolved", "not_places")),
        status_cues={s: words("status", s) for s in STATUSES},
    )
