"""The page a map renders to: no string reaches Jinja as template source.

branca renders every element's script (and header, html) once, then wraps the result in
``Element(text)``, which compiles ``text`` as a *new* Jinja template and renders it again when
the page is written. Any user string that survived the first pass (a layer name from a file
name, a title, an id, an attribution) was therefore template source: ``{{ 7*7 }}`` showed as
``49``, and ``{{ cycler.__init__.__globals__.os… }}`` ran Python.

Two layers of defence, both here:

1. :class:`SafeTemplate`, the template class of every Planmap element: its ``tojson`` filter
   writes ``{`` before ``{``/``%``/``#`` as the JSON escape ``\\u007b``, so data written into a
   script can never form a Jinja delimiter (the browser decodes it back to ``{``). Text shown
   as HTML goes through :func:`html_text` (the one HTML escaping function), which turns
   braces into entities too.
2. :func:`adopt`: a map's root figure keeps the *rendered* text of each element verbatim
   instead of compiling it again, so even a string that slipped past (1) is never evaluated.

Folium's own ``GeoJsonStyleMapper`` relies on that second pass for element-valued styles;
Planmap never uses it (styles are plain dicts).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import folium
from branca.element import Element, Figure
from folium.template import Environment, Template
from markupsafe import Markup

__all__ = ["SafeTemplate", "adopt", "html_text", "js_json", "page_html"]

# A '{' that would open a Jinja block ({{, {%, {#); outside JSON strings none can occur
# (an object key is always a quoted string), so every match is inside a string.
_DELIMITER_OPEN = re.compile(r"\{(?=[{%#])")
_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"},
)


#: HTML escaping plus the braces: branca parses every element's rendered script again as a
#: Jinja template, so "{{ … }}", "{% … %}" or "{# …" in a name, note or excerpt would run on
#: the server (or break the map). As entities they still show as braces.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def html_text(value: Any) -> str:
    """The one escaping of text shown as HTML in a map (tooltips, popups, labels, legend,
    layer switcher, attribution): HTML-escaped and template-inert; empty for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_BRACES)


def js_json(value: Any) -> str:
    """JSON for a ``<script>``: HTML-safe (``< > & '`` escaped, so ``</script>`` cannot close
    the tag) and Jinja-inert (no ``{{``, ``{%`` or ``{#``); the browser reads the same value."""
    text = json.dumps(value, ensure_ascii=False, default=str).translate(_HTML_SAFE)
    return _DELIMITER_OPEN.sub(r"\\u007b", text)


class _SafeEnvironment(Environment):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["tojson"] = lambda value, indent=None: Markup(js_json(value))


class SafeTemplate(Template):
    """A folium template whose ``tojson`` is :func:`js_json`."""

    environment_class = _SafeEnvironment


class _Verbatim(Element):
    """Text rendered once, written as it is (never compiled as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Verbatim"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _VerbatimParts(Element):
    """A figure's header, html or script: keeps each element's rendered text verbatim."""

    def add_child(self, child: Element, name: str | None = None, index: int | None = None):
        text = getattr(child, "_template_str", None)
        if type(child) is Element and text is not None:  # what MacroElement.render makes
            child = _Verbatim(text)
        return super().add_child(child, name=name, index=index)


class _PageFigure(Figure):
    def __init__(self) -> None:
        super().__init__()
        for part in ("header", "html", "script"):
            old = getattr(self, part)
            new = _VerbatimParts()
            for key, child in old._children.items():
                new.add_child(child, name=key)
            new._parent = self
            setattr(self, part, new)


def adopt(m: folium.Map) -> folium.Map:
    """Move ``m`` into a figure that never renders an element's output a second time."""
    m._parent = None  # type: ignore[assignment]  # folium declares Map._parent a Figure
    _PageFigure().add_child(m)
    return m


def page_html(m: folium.Map) -> str:
    """The whole page of a map as HTML text."""
    return m.get_root().render()
