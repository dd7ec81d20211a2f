#!/usr/bin/env bash
# The CPU thread pool's hand-off between the many small jobs of a decode
# step: spinning briefly before sleeping (the default) against sleeping at
# once (BRIEFING_POOL_SPIN=0), alternating runs of `model bench` on the same
# synthetic 1B files (Q4_K_M and Q8_0), at 1 and 2 threads. Prints each row
# and the ratio spin/sleep.
#   bash bench/pool-spin.sh [REPS]        (default 3 alternations)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
shared="${BRIEFING_SHARED:-$(cd .. && pwd)/shared}"
vocab="$shared/corpus/tokenizer/ggml-vocab-llama-bpe.gguf"
make -s briefing
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in Q4_K_M Q8_0; do
	./briefing model synth --shape 1b --type $t --vocab-from "$vocab" -o "$tmp/1b-$t.gguf" --fast >/dev/null 2>&1
done
best() { # file threads spin -> "pp tg tg4" best of this run
	BRIEFING_POOL_SPIN=$3 ./briefing model bench "$1" -t "$2" -p 64 -n 32 -b 1,4 -r 3 2>/dev/null |
		awk -F'|' '/pp64 *\|/ && !/x4/ {pp=$8} /tg32 *\|/ && !/x4/ {tg=$8} /tg32 x4/ {tg4=$8}
			   END {printf "%.2f %.2f %.2f\n", pp, tg, tg4}'
}
printf "%-7s %2s  %8s %8s %8s   %8s %8s %8s   %s\n" type thr pp-sleep tg-sleep tg4-sleep \
	pp-spin tg-spin tg4-spin "spin/sleep (pp tg tg4)"
for t in Q4_K_M Q8_0; do
	for th in 1 2; do
		s_pp=0 s_tg=0 s_t4=0 p_pp=0 p_tg=0 p_t4=0
		for r in $(seq "$reps"); do
			read -r a b c < <(best "$tmp/1b-$t.gguf" "$th" 0)
			read -r d e f < <(best "$tmp/1b-$t.gguf" "$th" 20000)
			s_pp=$(echo "$a $s_pp" | awk '{print ($1>$2)?$1:$2}')
			s_tg=$(echo "$b $s_tg" | awk '{print ($1>$2)?$1:$2}')
			s_t4=$(echo "$c $s_t4" | awk '{print ($1>$2)?$1:$2}')
			p_pp=$(echo "$d $p_pp" | awk '{print ($1>$2)?$1:$2}')
			p_tg=$(echo "$e $p_tg" | awk '{print ($1>$2)?$1:$2}')
			p_t4=$(echo "$f $p_t4" | awk '{print ($1>$2)?$1:$2}')
		done
		printf "%-7s %2s  %8s %8s %8s   %8s %8s %8s   %s\n" "$t" "$th" "$s_pp" "$s_tg" "$s_t4" \
			"$p_pp" "$p_tg" "$p_t4" \
			"$(awk -v a="$s_pp" -v b="$s_tg" -v c="$s_t4" -v d="$p_pp" -v e="$p_tg" -v f="$p_t4" \
			   'BEGIN {printf "%.2fx %.2fx %.2fx", d/a, e/b, f/c}')"
	done
done
