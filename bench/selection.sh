#!/usr/bin/env bash
# What a briefing keeps (issue 10): relevant items, off-topic items and
# multi-source stories kept on the fixture day and the sample week.
# BRIEFING_BIN=path compares another build (e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x "${BRIEFING_BIN:-./briefing}" ] || make -j2 briefing >/dev/null
python3 bench/selection.py
