"""A report as safe HTML, each found place in a ``<mark>``."""

from __future__ import annotations

import html
from collections.abc import Mapping

from layers.report.match import PlaceMatcher

__all__ = ["highlight_html"]

# Characters Markdown (and Streamlit's $…$ maths) would interpret, written as entities.
# HTML's own characters are in the same table, so one pass escapes each character once
# (html.escape first would leave '&#x27;' for the Markdown pass to break).
_MD_ESCAPES = str.maketrans(
    {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|$~"}
    | {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "\n": "<br>"}
)


def _esc(part: str) -> str:
    return part.translate(_MD_ESCAPES)


def highlight_html(
    text: str, matcher: PlaceMatcher, *, names: Mapping[str, str] | None = None
) -> str:
    """The normalised text as safe HTML with each found place in a ``<mark>``.

    The text is escaped here (HTML *and* Markdown characters, including ``$``), so the result
    can go to ``st.markdown(..., unsafe_allow_html=True)`` without any report text becoming
    markup. Lines become ``<br>`` so Markdown sees a single HTML block. One pass over the text:
    each character is escaped once, between or inside the marks.

    Parameters
    ----------
    text : str
        Normalised text (:func:`geo.names.normalize_text`).
    matcher : PlaceMatcher
        The matcher.
    names : mapping, optional
        ``{id: canonical name}`` for the ``title`` of each mark.

    Returns
    -------
    str
        ``<div class="planmap-report">…</div>``.
    """
    names = names or {}
    parts = ['<div class="planmap-report">']
    pos = 0
    titles: dict[str, tuple[str, str]] = {}  # id -> (escaped id, escaped title), once per place
    for m in matcher.finditer(text):
        parts.append(_esc(text[pos : m.start]))
        if m.id not in titles:
            # attribute values are HTML-escaped; Markdown does not look inside a tag
            titles[m.id] = (
                html.escape(m.id, quote=True),
                html.escape(f"{names.get(m.id, m.id)} ({m.id})", quote=True),
            )
        fid, title = titles[m.id]
        parts.append(f'<mark data-id="{fid}" title="{title}">{_esc(m.surface)}</mark>')
        pos = m.end
    parts.append(_esc(text[pos:]))
    parts.append("</div>")
    return "".join(parts)
