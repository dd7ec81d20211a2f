#!/usr/bin/env bash
# bench/generate.sh — a 10-story briefing with the engine backend, two ways:
#   COMPARE=batch (default): all story entries decoded together (one batch)
#                 against one story at a time;
#   COMPARE=pack: new prompts packed into shared prefill passes (the engine's
#                 default) against one prompt per pass
#                 (BRIEFING_ENGINE_NO_PACK=1), both batched.
#
# Builds a demo archive from data/samples/ (the 10-story evening edition of
# 2026-02-21), then runs the whole brief_generate pipeline (select, cluster,
# rank, write, check, store) through bench/generate_bench.c with
# llm_config.max_batch = 0 (batched: every story in one eng_generate_batch)
# and = 1 (one story at a time), or packed and not, alternating, best of
# RUNS, each on a fresh copy of the archive. Every run also reports the
# weight passes its briefing's provenance holds (passes, the tokens they
# carried, prefill and decode seconds, device). Prints a markdown report on
# stdout:
#   bench/generate.sh > bench/results/generate-$(date +%F).md
# Environment:
#   MODEL    a GGUF file (default: one synthesised with `briefing model synth`
#            with SHAPE, Q8_0, and the Llama 3 vocabulary of the corpus's
#            tiny-llama3-tied-q4_k_m.gguf; random weights, so the text is
#            nonsense but every story runs to its token limit: same work both ways)
#   SHAPE    (1024x8x8x8x2816)  THREADS (2)  RUNS (2)  COMPARE (batch)
#   BRIEFING_SHARED (../shared) locates the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=${SHAPE:-1024x8x8x8x2816}
THREADS=${THREADS:-2}
RUNS=${RUNS:-2}
COMPARE=${COMPARE:-batch}
SHARED=${BRIEFING_SHARED:-$(cd .. && pwd)/shared}
case "$COMPARE" in
batch) labels=("batched (all stories in one eng_generate_batch)" "one story at a time (max_batch 1)") ;;
pack) labels=("packed prefill (several prompts a pass; the default)" "one prompt a pass (BRIEFING_ENGINE_NO_PACK=1)") ;;
*) echo "COMPARE must be batch or pack" >&2; exit 2 ;;
esac
make --no-print-directory -j2 briefing build/release/libbriefing.a build/release/libbriefing-engine.a >&2

work=$(mktemp -d /tmp/briefing-genbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
export BRIEFING_NO_DEFAULT_FEEDS=1
mkdir -p "$HOME"

cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Isrc -o "$work/generate_bench" bench/generate_bench.c \
	build/release/libbriefing.a build/release/libbriefing-engine.a \
	$(pkg-config --libs ncursesw libcurl libxml-2.0 sqlite3) -lm -lpthread

given=${MODEL:+ MODEL=$(basename "${MODEL:-}")}
if [ -z "${MODEL:-}" ]; then
	MODEL="$work/synth-$SHAPE-q8_0.gguf"
	echo "synthesising $SHAPE Q8_0 ..." >&2
	./briefing model synth --shape "$SHAPE" --type Q8_0 \
		--vocab-from "$SHARED/corpus/engine/tiny-llama3-tied-q4_k_m.gguf" -o "$MODEL" -t "$THREADS" >&2
fi

db="$work/archive.db"
for f in data/samples/*.xml; do ./briefing --db "$db" feeds add "$f" >/dev/null; done
./briefing --db "$db" fetch >/dev/null 2>&1
since=$(date -u -d '2026-02-14' +%s)
now=$(date -u -d '2026-02-21 19:00' +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg)

# mode 0 / 1: the two sides of the comparison
run_mode() {
	if [ "$COMPARE" = batch ]; then
		"$work/generate_bench" "$work/run.db" "$MODEL" "$1" "$THREADS" "$since" "$now"
	elif [ "$1" = 0 ]; then
		env -u BRIEFING_ENGINE_NO_PACK "$work/generate_bench" "$work/run.db" "$MODEL" 0 "$THREADS" "$since" "$now"
	else
		BRIEFING_ENGINE_NO_PACK=1 "$work/generate_bench" "$work/run.db" "$MODEL" 0 "$THREADS" "$since" "$now"
	fi
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

best=("" "") line=("" "") raw=
for r in $(seq "$RUNS"); do
	for m in 0 1; do
		cp "$db" "$work/run.db"
		out=$(run_mode "$m")
		echo "run $r: mode $m: $out" >&2
		raw="$raw- run $r, ${labels[$m]}: $out"$'\n'
		s=$(field seconds "$out")
		if [ -z "${best[$m]}" ] || awk -v a="$s" -v b="${best[$m]}" 'BEGIN{exit !(a<b)}'; then
			best[$m]=$s
			line[$m]=$out
		fi
	done
done
tokens=$(field tokens "${line[0]}")
stories=$(field stories "${line[0]}")
ratio=$(awk -v a="${best[1]}" -v b="${best[0]}" 'BEGIN{printf "%.2f", a/b}')

if [ "$COMPARE" = batch ]; then
	echo "# briefing generate: batched vs one story at a time (engine backend)"
else
	echo "# briefing generate: packed prefill vs one prompt a pass (engine backend)"
fi
echo
echo "- date: $(date -u '+%F %H:%M UTC'); host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) logical CPUs; load average before: $load"
echo "- briefing $(git rev-parse --short HEAD); model: $(basename "$MODEL") ($(du -h "$MODEL" | cut -f1)); threads $THREADS; best of $RUNS alternating runs"
echo "- command: COMPARE=$COMPARE bench/generate.sh (SHAPE=$SHAPE THREADS=$THREADS RUNS=$RUNS$given)"
echo "- the whole pipeline on data/samples/, evening edition 2026-02-21: $stories story entries + tagline + assessment, $tokens tokens generated"
echo
echo "| mode | total seconds | weight passes | tokens through passes | tokens a pass | prefill s | decode s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in 0 1; do
	l=${line[$m]}
	p=$(field passes "$l")
	pt=$(field pass_tokens "$l")
	echo "| ${labels[$m]} | ${best[$m]} | $p | $pt | $(awk -v a="$pt" -v b="$p" 'BEGIN{printf "%.2f", b ? a/b : 0}') | $(field prefill_s "$l") | $(field decode_s "$l") |"
done
echo
if [ "$COMPARE" = batch ]; then
	echo "ratio (one at a time / batched): **$ratio**"
else
	echo "ratio (one prompt a pass / packed): **$ratio**"
fi
echo
echo "Every run:"
echo
printf '%s' "$raw"
