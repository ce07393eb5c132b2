#!/usr/bin/env bash
# Rebuild static/vendor/ from the npm registry: exactly the JS/CSS versions folium 0.20 links,
# so maps work with no internet (see layers/assets.py and static/vendor/VENDOR.md).
# Needs npm (registry access) and python3. Idempotent: it rewrites every package folder of
# static/vendor/ (VENDOR.md, written by hand, stays).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pack() {  # pack NAME@VERSION DIR: npm pack the tarball and unpack it into $WORK/DIR
  local spec=$1 dir=$2 tgz
  tgz=$(cd "$WORK" && npm pack "$spec" --silent | tail -n 1)
  mkdir -p "$WORK/$dir"
  tar -xzf "$WORK/$tgz" -C "$WORK/$dir" --strip-components=1
}

# folium 0.20 links Leaflet 1.9.3; its patch release 1.9.4 fixes a crash that breaks every map
# with a MultiPoint or GeometryCollection and a tooltip (Leaflet #8890), so 1.9.4 is served
pack leaflet@1.9.4 leaflet
pack jquery@3.7.1 jquery
pack bootstrap@5.2.2 bootstrap5
pack bootstrap@3.4.1 bootstrap3
pack @fortawesome/fontawesome-free@6.2.0 fontawesome
pack drmonty-leaflet-awesome-markers@2.0.2 awesome
pack leaflet-draw@1.0.2 draw

mkdir -p "$DEST"
find "$DEST" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
keep() {  # keep SRC DST: copy one file, making folders
  mkdir -p "$(dirname "$DEST/$2")"
  cp "$WORK/$1" "$DEST/$2"
}

d=leaflet-1.9.4
keep leaflet/dist/leaflet.js $d/leaflet.js
keep leaflet/dist/leaflet.css $d/leaflet.css
for f in layers.png layers-2x.png marker-icon.png marker-icon-2x.png marker-shadow.png; do
  keep leaflet/dist/images/$f $d/images/$f
done
keep leaflet/LICENSE $d/LICENSE

d=jquery-3.7.1
keep jquery/dist/jquery.min.js $d/jquery.min.js
keep jquery/LICENSE.txt $d/LICENSE.txt

d=bootstrap-5.2.2
keep bootstrap5/dist/js/bootstrap.bundle.min.js $d/js/bootstrap.bundle.min.js
keep bootstrap5/dist/css/bootstrap.min.css $d/css/bootstrap.min.css
keep bootstrap5/LICENSE $d/LICENSE

# folium links the Bootstrap 3.0.0 glyphicons sheet from netdna, which npm does not carry;
# the same glyphicon rules are cut out of bootstrap@3.4.1, with the woff2 font only.
d=bootstrap-3.4.1-glyphicons
keep bootstrap3/dist/fonts/glyphicons-halflings-regular.woff2 $d/fonts/glyphicons-halflings-regular.woff2
keep bootstrap3/LICENSE $d/LICENSE
mkdir -p "$DEST/$d/css"
python3 - "$WORK/bootstrap3/dist/css/bootstrap.css" "$DEST/$d/css/bootstrap-glyphicons.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
start = css.index('@font-face {\n  font-family: "Glyphicons Halflings";')
end = css.index("* {\n  -webkit-box-sizing", start)
part = css[start:end]
part = re.sub(r"src: url[^;]*\.eot\"\);\n\s*src: [^;]*;",
              'src: url("../fonts/glyphicons-halflings-regular.woff2") format("woff2");', part)
assert ".eot" not in part and ".glyphicon-menu-up" in part
out = "/* Glyphicons cut from Bootstrap v3.4.1 (MIT), woff2 only; see VENDOR.md */\n" + part
open(sys.argv[2], "w", encoding="utf-8").write(out)
PY

# Font Awesome: css + woff2 fonts only (the .ttf fallbacks are removed from the src lists).
d=fontawesome-free-6.2.0
for f in fa-brands-400 fa-regular-400 fa-solid-900 fa-v4compatibility; do
  keep fontawesome/webfonts/$f.woff2 $d/webfonts/$f.woff2
done
keep fontawesome/LICENSE.txt $d/LICENSE.txt
mkdir -p "$DEST/$d/css"
python3 - "$WORK/fontawesome/css/all.min.css" "$DEST/$d/css/all.min.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css, n = re.subn(r',url\(\.\./webfonts/[\w-]+\.ttf\) format\("truetype"\)', "", css)
assert n >= 10 and ".ttf" not in css, n
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY

d=leaflet.awesome-markers-2.0.2
keep awesome/js/leaflet.awesome-markers.js $d/leaflet.awesome-markers.js
keep awesome/css/leaflet.awesome-markers.css $d/leaflet.awesome-markers.css
for f in markers-soft.png markers-soft@2x.png markers-shadow.png markers-shadow@2x.png; do
  keep awesome/css/images/$f $d/images/$f
done
keep awesome/package.json $d/package.json  # carries the MIT licence statement

d=leaflet-draw-1.0.2
keep draw/dist/leaflet.draw.js $d/leaflet.draw.js
keep draw/dist/leaflet.draw.css $d/leaflet.draw.css
for f in spritesheet.png spritesheet-2x.png spritesheet.svg; do
  keep draw/dist/images/$f $d/images/$f
done
keep draw/package.json $d/package.json  # carries the MIT licence statement

# folium's own rotation classes for awesome markers (generated in folium's repository, MIT).
d=folium-0.20.0
mkdir -p "$DEST/$d"
python3 - "$DEST/$d/leaflet.awesome.rotate.min.css" <<'PY'
import sys
rules = (f".fa-rotate-{a}{{-ms-transform:rotate({a}deg);-webkit-transform:rotate({a}deg);"
         f"transform:rotate({a}deg)}}" for a in range(1, 360))
open(sys.argv[1], "w", encoding="utf-8").write("".join(rules) + "\n")
PY

du -sh "$DEST"
