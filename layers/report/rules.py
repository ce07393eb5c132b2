"""Report-reading rules: ``data/report_rules.toml`` validated once into a frozen model.

:func:`load_rules` reads the file through :func:`geo.config.load_model`, so a bad file gets the
one-line message of every configuration file (``report_rules.toml: input.max_bytes: Field
required``). The model mirrors the file's tables: ``[input]`` (limits), ``[matcher]`` (which
names count as mentions in running text), ``[unresolved]`` (place-like phrases) and
``[status]`` (cue words per :class:`geo.model.Status`). Word lists are kept longest first,
the order every rule that tries them needs.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PositiveInt, ValidationError, field_validator

from geo.config import Frozen, chosen, load_model, where
from geo.errors import DataError
from geo.model import Kind, Status
from geo.paths import data_dir

__all__ = [
    "InputRules",
    "MatcherRules",
    "ReportRules",
    "UnresolvedRules",
    "default_rules_path",
    "load_rules",
]

Word = Annotated[str, Field(min_length=1)]


def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(words, key=len, reverse=True))


#: a list of words, tried longest first
Words = Annotated[tuple[Word, ...], AfterValidator(_longest_first)]


class InputRules(Frozen):
    """``[input]``: file and memory limits, evidence kept per place."""

    max_bytes: PositiveInt
    max_sentences_per_place: PositiveInt
    excerpt_sentences: PositiveInt
    excerpt_chars: PositiveInt
    max_sentence_chars: PositiveInt
    max_unresolved: PositiveInt
    display_max_chars: PositiveInt


class MatcherRules(Frozen):
    """``[matcher]``: which names of the index count as mentions in running text."""

    require_suffix: dict[chosen(Kind), tuple[Word, ...]]  # type: ignore[valid-type]
    min_han_chars: PositiveInt
    min_latin_chars: PositiveInt


class UnresolvedRules(Frozen):
    """``[unresolved]``: what a place-like phrase the gazetteer does not know looks like."""

    suffixes: Words
    max_phrase_chars: PositiveInt = 64
    not_followed_by: dict[Word, Words]
    generic_endings: Words
    generic_words: frozenset[Word]
    stop_prefixes: Words
    separators: Words
    coordinators: Words
    organisation_verbs: Words
    classifiers: Words
    english_suffixes: Words
    not_places: frozenset[Word]


class ReportRules(Frozen):
    """The rules of ``data/report_rules.toml`` (see the comments there), validated once."""

    input: InputRules
    matcher: MatcherRules
    unresolved: UnresolvedRules
    status: dict[chosen(Status), Words]  # type: ignore[valid-type]

    @field_validator("status")
    @classmethod
    def _one_status_per_cue(cls, value: dict[Status, tuple[str, ...]]) -> dict:
        seen: dict[str, Status] = {}
        for status, cues in value.items():
            for cue in cues:
                if cue in seen and seen[cue] is not status:
                    raise ValueError(
                        f"cue {cue!r} is given for {seen[cue].value} and {status.value}"
                    )
                seen[cue] = status
        return value

    def replace(self, **changes: Any) -> ReportRules:
        """A copy with some fields changed, validated again (e.g. a lower limit in tests).

        A field is named without its section (``max_bytes=10_000`` changes
        ``input.max_bytes``; field names are unique across sections), or a section is given
        whole (``status={...}``).

        Raises
        ------
        DataError
            A changed value is invalid.
        TypeError
            No section has a field of that name.
        """
        doc = self.model_dump()
        for name, value in changes.items():
            if name in doc:
                doc[name] = value
                continue
            for section in ("input", "matcher", "unresolved"):
                if name in doc[section]:
                    doc[section][name] = value
                    break
            else:
                raise TypeError(f"no report rule {name!r}")
        return _validate(doc)

    @property
    def cues(self) -> dict[str, Status]:
        """``{cue word: status}`` of the ``[status]`` tables."""
        return {cue: status for status, cues in self.status.items() for cue in cues}


def _validate(doc: dict) -> ReportRules:
    try:
        return ReportRules.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise DataError(f"report rules: {where(err['loc'])}: {msg}") from None


def default_rules_path() -> Path:
    """``data/report_rules.toml``."""
    return data_dir() / "report_rules.toml"


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> ReportRules:
    return load_model(ReportRules, path, what="report rules file")


def load_rules(path: str | Path | None = None) -> ReportRules:
    """Load and check the report rules (each file once; the rules are immutable).

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
        The file is missing, not TOML, or a field is missing or invalid (one line naming the
        file and the field).
    """
    path = Path(path) if path else default_rules_path()
    try:
        stat = path.stat()
    except OSError:  # load_model names the problem
        return load_model(ReportRules, path, what="report rules file")
    # read again when the file changes
    return _load(str(path), stat.st_mtime_ns, stat.st_size)
