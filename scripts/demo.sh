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
# The samples are a snapshot of one week in February 2026: the demo's clock
# is set to that Saturday evening so the edition covers them.
export BRIEFING_NOW="${BRIEFING_NOW:-$(date -d '2026-02-21 19:00' +%s)}"
echo "== the evening edition (a configured model if there is one, else the extractive backend)"
b generate --edition evening --since 2026-02-14
echo
echo "== briefing export latest"
b export latest
echo
echo "The demo database is $demo/briefing.db; try:"
echo "  ./briefing --db $demo/briefing.db    # the reader, on this briefing"
echo "  ./briefing --db $demo/briefing.db export latest --format txt"
echo "  ./briefing --db $demo/briefing.db generate --style digest --since 2026-02-14"
echo "  ./briefing --db $demo/briefing.db items --since 2026-02-20"
