#!/usr/bin/env bash
# The faithfulness check as a measured instrument (issue 12): the labelled
# set of tests/fixtures/faithfulness/ (195 hand-written entries, faithful or
# with one injected wrong fact) through the check exactly as generate runs
# it. Prints precision and recall, per class, and every false alarm and
# miss with the check's reason. make check runs the same test with floors.
set -euo pipefail
cd "$(dirname "$0")/.."
make -j2 build/release/tests/test_brief_faithfulness >/dev/null
FAITHFULNESS_REPORT=1 build/release/tests/test_brief_faithfulness 2>&1 |
	grep -v '^\[' | sed 's/^  //'
