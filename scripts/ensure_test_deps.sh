#!/usr/bin/env bash
# Install Debian's Chromium and a CJK font for the browser tests when they are missing.
# Uses the Debian registry only; Playwright never downloads a browser here.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE 'WenQuanYi|Noto Sans CJK' || need+=(fonts-wqy-microhei)
if (( ${#need[@]} )); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure_browser: missing ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "ensure_browser: installing ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
