#!/usr/bin/env bash
# Install the Debian packages the tests use when they are missing: Chromium and a CJK font for
# the browser tests (never `playwright install`), and gdal-bin so tests can open our GeoPackage
# with GDAL's own ogrinfo, as a GIS user would; QGIS (qgis, python3-qgis) to open the exported
# project as a GIS analyst does; poppler-utils and fonts-noto-cjk for the print sheets.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
# the print sheets embed WenQuanYi first (its TrueType outlines embed cleanly in a PDF)
fc-list 2>/dev/null | grep -i 'WenQuanYi' >/dev/null || need+=(fonts-wqy-microhei)  # no -q: pipefail + SIGPIPE
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
command -v qgis >/dev/null 2>&1 || need+=(qgis)
/usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1 || need+=(python3-qgis)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null || need+=(fonts-noto-cjk)  # no -q: pipefail + SIGPIPE
if (( ${#need[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure_test_deps: missing ${need[*]}; as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "ensure_test_deps: installing ${need[*]} (Debian packages)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
