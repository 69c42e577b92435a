#!/usr/bin/env bash
# Installs what the test suite needs that PyPI cannot give: headless Chromium and its driver (the html
# report is rendered in a real browser by tests/test_report_md_html.py) and redis-server (the
# datasketch drop-in's Redis storage is tested against a real server). Debian packages; run as root.
# The README's test command runs this between `pip install ".[test]"` and `pytest tests`.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/provision.sh: ${missing[*]} missing; install them as root (apt-get install ${missing[*]})" >&2
    exit 2
fi
echo "tests/provision.sh: installing ${missing[*]} (Debian packages)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
