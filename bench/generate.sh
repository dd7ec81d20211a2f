#!/usr/bin/env bash
# bench/generate.sh — a 10-story briefing with the engine backend: all story
# entries decoded together (one batch) against one story at a time.
#
# Builds a demo archive from data/samples/ (the 10-story evening edition of
# 2026-02-21), then runs the whole brief_generate pipeline (select, cluster,
# rank, write, check, store) through bench/generate_bench.c with
# llm_config.max_batch = 0 (batched: every story in one eng_generate_batch)
# and = 1 (one story at a time), alternating, best of RUNS, each on a fresh
# copy of the archive. Prints a markdown report on stdout:
#   bench/generate.sh > bench/results/generate-$(date +%F).md
# Environment:
#   MODEL    a GGUF file (default: one synthesised with `briefing model synth`
#            with SHAPE, Q8_0, and the Llama 3 vocabulary of the corpus's
#            tiny-llama3-tied-q4_k_m.gguf; random weights, so the text is
#            nonsense but every story runs to its token limit: same work both ways)
#   SHAPE    (1024x8x8x8x2816)  THREADS (2)  RUNS (2)
#   BRIEFING_SHARED (../shared) locates the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=${SHAPE:-1024x8x8x8x2816}
THREADS=${THREADS:-2}
RUNS=${RUNS:-2}
SHARED=${BRIEFING_SHARED:-$(cd .. && pwd)/shared}
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

best_b= best_s= line_b= line_s= raw=
for r in $(seq "$RUNS"); do
	for b in 0 1; do
		cp "$db" "$work/run.db"
		out=$("$work/generate_bench" "$work/run.db" "$MODEL" "$b" "$THREADS" "$since" "$now")
		echo "run $r: $out" >&2
		raw="$raw- run $r: $out"$'\n'
		s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
		if [ "$b" = 0 ]; then
			if [ -z "$best_b" ] || awk -v a="$s" -v b="$best_b" 'BEGIN{exit !(a<b)}'; then best_b=$s line_b=$out; fi
		else
			if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN{exit !(a<b)}'; then best_s=$s line_s=$out; fi
		fi
	done
done
tokens=$(sed -n 's/.*tokens=\([0-9]*\).*/\1/p' <<<"$line_b")
stories=$(sed -n 's/.*stories=\([0-9]*\).*/\1/p' <<<"$line_b")
ratio=$(awk -v a="$best_s" -v b="$best_b" 'BEGIN{printf "%.2f", a/b}')

echo "# briefing generate: batched vs one story at a time (engine backend)"
echo
echo "- date: $(date -u '+%F %H:%M UTC'); host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) logical CPUs; load average before: $load"
echo "- briefing $(git rev-parse --short HEAD); model: $(basename "$MODEL") ($(du -h "$MODEL" | cut -f1)); threads $THREADS; best of $RUNS alternating runs"
echo "- command: bench/generate.sh (SHAPE=$SHAPE THREADS=$THREADS RUNS=$RUNS$given)"
echo "- the whole pipeline on data/samples/, evening edition 2026-02-21: $stories story entries + tagline + assessment, $tokens tokens generated"
echo
echo "| mode | total seconds |"
echo "| --- | ---: |"
echo "| batched (all stories in one eng_generate_batch) | $best_b |"
echo "| one story at a time (max_batch 1) | $best_s |"
echo
echo "ratio (one at a time / batched): **$ratio**"
echo
echo "Every run:"
echo
printf '%s' "$raw"
