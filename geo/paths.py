"""Where the shipped data lives. Generated output never goes here."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The shipped data folder (``PLANMAP_DATA`` overrides it)."""
    return Path(os.environ.get("PLANMAP_DATA", REPO_ROOT / "data"))


def facts_dir() -> Path:
    """Geographic facts copied from the team's shared data, with their SOURCES."""
    return data_dir() / "facts"


def default_spec(district: str | None = None) -> Path:
    """The default spec of a district (default: the default district's)."""
    from geo.district import get_district

    return get_district(district).spec_path


def user_dir() -> Path:
    """Per-user files (overrides drawn in the app). ``PLANMAP_USER_DIR`` overrides it."""
    return Path(os.environ.get("PLANMAP_USER_DIR", REPO_ROOT / "data" / "user"))
