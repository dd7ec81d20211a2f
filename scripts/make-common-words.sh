#!/usr/bin/env bash
# Rebuild data/check/common-words.txt from Debian's wamerican-small (SCOWL
# size 35): its lower-case, letters-only words, sorted in the C locale.
# Needs apt-get (network); the result is committed, not made at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download wamerican-small >/dev/null && dpkg-deb -x wamerican-small_*.deb x)
grep -E '^[a-z]+$' "$tmp/x/usr/share/dict/american-english-small" | LC_ALL=C sort -u \
	> data/check/common-words.txt
wc -l data/check/common-words.txt
