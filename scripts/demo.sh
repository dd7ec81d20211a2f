#!/usr/bin/env bash
# make demo: build a fresh archive from the bundled offline sample feeds
# (data/samples/, no network needed) and show what briefing made of it.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=build/demo
rm -rf "$demo" && mkdir -p "$demo"
export BRIEFING_NO_DEFAULT_FEEDS=1   # the demo uses the offline samples, not the live feed list
b() { ./briefing --db "$demo/briefing.db" "$@"; }

echo "== adding the bundled sample feeds"
for f in data/samples/*.xml; do b feeds add "$f"; done
echo
echo "== fetching (file:// snapshots, the same path as live feeds)"
b fetch
echo
echo "== feeds"
b feeds list
echo
echo "== the 12 newest items"
b items --limit 12
echo
echo "== full-text search: memory"
b search memory
echo
echo "The demo database is $demo/briefing.db; try: ./briefing --db $demo/briefing.db items --since 2026-02-20"
