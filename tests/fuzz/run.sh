#!/usr/bin/env bash
# Runs every build/fuzz/fuzz_* for $1 seconds each (default 20), each with a
# fresh corpus seeded from ../shared/corpus/feeds (OPML files for the OPML
# target) and, for the feed and OPML targets, the hostile-size documents in
# tests/fuzz/seeds/ (entity bombs, copies that multiply, markup and DTDs
# that cost a parser the square of their size: tests/fuzz/make_seeds.py).
# Exits non-zero if any target finds a crash, leak, sanitizer report, a
# run past -timeout (10 s) or -rss_limit_mb (2 GB), or (the targets check)
# output past the bound feed.h promises. Build the targets first: make fuzz
# (which calls this).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-20}
shared="${BRIEFING_SHARED:-$(cd .. && pwd)/shared}"
feeds="$shared/corpus/feeds"
[ -d "$feeds" ] || { echo "fuzz: no corpus at $feeds" >&2; exit 2; }

status=0 ran=0
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$(mktemp -d)
	mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts"
	case $name in
	fuzz_opml) find "$feeds" -name '*.opml' -exec cp {} "$work/seeds/" \;
		cp tests/fuzz/seeds/opml/* "$work/seeds/" ;;
	fuzz_sections) cp feeds/sections.conf "$work/seeds/" ;;
	fuzz_brief_write) cp prompts/*.txt tests/fixtures/golden/*.md "$work/seeds/" 2>/dev/null ;;
	fuzz_util) cut -f2 "$feeds/feedparser/DATES.tsv" | tail -n +2 | split -l 1 - "$work/seeds/d" ;;
	fuzz_gguf|fuzz_tokenizer) ;;  # these targets build their own inputs
	fuzz_feed) find "$feeds" -type f \( -name '*.xml' -o -name '*.atom' -o -name '*.rdf' \) \
		-size -64k -exec cp {} "$work/seeds/" \; 2>/dev/null
		cp tests/fuzz/seeds/feed/* "$work/seeds/" ;;
	*) find "$feeds" -type f \( -name '*.xml' -o -name '*.atom' -o -name '*.rdf' \) \
		-size -64k -exec cp {} "$work/seeds/" \; 2>/dev/null ;;
	esac
	echo "fuzz: $name for ${secs}s ($(ls "$work/seeds" | wc -l) seeds)"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds" >"$work/log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^Done' "$work/log" | sed 's/^/    /'
	else
		status=1
		echo "fuzz: $name FAILED" >&2
		grep -v '^#' "$work/log" | tail -n 40 >&2
		mkdir -p build/fuzz/crashes
		cp "$work"/artifacts/* build/fuzz/crashes/ 2>/dev/null && \
			echo "fuzz: reproducers in build/fuzz/crashes/" >&2
	fi
	ran=$((ran + 1))
	rm -rf "$work"
done
[ "$ran" -gt 0 ] || { echo "fuzz: no targets in build/fuzz (run make fuzz)" >&2; exit 2; }
exit $status
