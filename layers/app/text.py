"""Text the app shows through Streamlit: escaped for Markdown, errors as one line."""

from __future__ import annotations

import re

from geo.errors import PlanmapError

__all__ = ["md", "one_line"]

_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md(text: object) -> str:
    """Text safe to pass to ``st.markdown``/``st.error``: every ASCII punctuation mark is
    backslash-escaped, so names and file names show as typed (no links, images, HTML, emoji
    codes or colour directives)."""
    return _MD_PUNCT.sub(r"\\\1", str(text))


def one_line(exc: BaseException) -> str:
    """An error as the one line the app shows (never a traceback)."""
    text = str(exc).strip().splitlines()
    msg = text[0] if text else exc.__class__.__name__
    if not isinstance(exc, PlanmapError):
        msg = f"{exc.__class__.__name__}: {msg}"
    return msg
