"""Hostile strings pushed through every output (map HTML, app, CSV, KML, GeoPackage, sheet).

Each one must come out as the literal text it is: nothing evaluated by Jinja (branca renders
scripts through it), nothing run by the browser, nothing interpreted by a spreadsheet.
"""

from __future__ import annotations

#: evaluates to 49 if it is ever rendered as a template
CANARY = "{{ 7*7 }}"
#: creates a folder named ``Cycler_PWNED`` in the working directory if it is ever rendered
PAYLOAD = "{{ cycler.__init__.__globals__.os.makedirs(cycler.__name__ ~ '_PWNED') }}"
PAYLOAD_DIR = "Cycler_PWNED"
LOOP = "{% for x in range(3) %}LOOP{% endfor %}"
COMMENT = "{# hidden #}visible"
SCRIPT = "</script><script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned = 1">'
BIDI = "abc\u202edcba\u202c"
FORMULA = '=HYPERLINK("http://example.invalid","x")'

#: strings a file name can hold (no "/" or NUL)
FILE_NAMES = [CANARY, PAYLOAD, LOOP, COMMENT, "<img src=x onerror=1>", BIDI]
#: every string, for titles, names, notes and ids
ALL = [CANARY, PAYLOAD, LOOP, COMMENT, SCRIPT, IMG, BIDI, FORMULA, "x" * 5000]
