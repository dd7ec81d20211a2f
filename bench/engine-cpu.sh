#!/usr/bin/env bash
# Our `briefing-model bench` against llama.cpp's `llama-bench` on the same
# GGUF files with the same thread count: prompt processing (pp128) and
# generation (tg32) tokens/s, and our/llama.cpp ratios. Prints markdown.
#
#   bench/engine-cpu.sh LLAMA_BENCH [THREADS] [REPS] [MODEL.gguf ...]
#
# LLAMA_BENCH: the llama-bench binary, or a llama.cpp checkout with
# build/bin/llama-bench (build it outside this repository, CPU only:
#   cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF && cmake --build build --target llama-bench).
# Without MODEL arguments it uses ~1B Llama-3.2-shaped models with seeded
# random weights in Q4_K_M and Q8_0, made once with `briefing-model synth`
# into $BENCH_MODELS (default .cache/models, git-ignored).
# Each figure is the best of REPS runs (default 3), taken in alternation
# (ours, llama.cpp, ours, ...) so that both see the same machine load.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
lb=$1
[ -d "$lb" ] && lb=$lb/build/bin/llama-bench
[ -x "$lb" ] || { echo "engine-cpu: no llama-bench at $lb" >&2; exit 2; }
threads=${2:-$(nproc)}
reps=${3:-3}
shift $(( $# < 3 ? $# : 3 ))

make --no-print-directory -s engine >&2
tool=./briefing-model
shared=${BRIEFING_SHARED:-../shared}
vocab=$shared/corpus/tokenizer/ggml-vocab-llama-bpe.gguf
dir=${BENCH_MODELS:-.cache/models}

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
	mkdir -p "$dir"
	for t in Q4_K_M Q8_0; do
		f=$dir/synth-1b-$(echo "$t" | tr 'A-Z' 'a-z').gguf
		if [ ! -f "$f" ]; then
			echo "engine-cpu: synthesising $f" >&2
			$tool synth --shape 1b --type "$t" --vocab-from "$vocab" -o "$f" --seed 1 >&2
		fi
		models+=("$f")
	done
fi

best() { sort -g | tail -1; }

ours() { # model -> "pp tg"
	local out pp tg
	out=$($tool bench "$1" -t "$threads" -p 128 -n 32 -b 1)
	pp=$(echo "$out" | awk -F'|' '$7 ~ /pp128/ {gsub(/ /, "", $8); print $8}')
	tg=$(echo "$out" | awk -F'|' '$7 ~ /tg32/ {gsub(/ /, "", $8); print $8}')
	echo "$pp $tg"
}

theirs() { # model -> "pp tg"
	local out pp tg
	out=$("$lb" -m "$1" -t "$threads" -p 128 -n 32 -r 1 -o csv 2>/dev/null)
	pp=$(echo "$out" | awk -F'","' 'NR > 1 && $26 == "128" && $27 == "0" {print $31}')
	tg=$(echo "$out" | awk -F'","' 'NR > 1 && $26 == "0" && $27 == "32" {print $31}')
	echo "$pp $tg"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
lcommit=$("$lb" --help >/dev/null 2>&1; "$lb" -m "${models[0]}" -t 1 -p 0 -n 1 -r 1 -o csv 2>/dev/null |
	awk -F'","' 'NR == 2 {gsub(/"/, "", $1); print $1}')
echo "# engine CPU benchmark: briefing-model vs llama-bench"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $cpu, $(nproc) logical CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- briefing $(git rev-parse --short HEAD); llama.cpp ${lcommit:-?}; threads $threads; best of $reps alternating runs"
echo
echo "| model | size | ours pp128 | llama.cpp pp128 | ratio | ours tg32 | llama.cpp tg32 | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in "${models[@]}"; do
	op=() ot=() lp=() lt=()
	for r in $(seq "$reps"); do
		read -r a b < <(ours "$m"); op+=("$a"); ot+=("$b")
		read -r a b < <(theirs "$m"); lp+=("$a"); lt+=("$b")
	done
	opb=$(printf '%s\n' "${op[@]}" | best); otb=$(printf '%s\n' "${ot[@]}" | best)
	lpb=$(printf '%s\n' "${lp[@]}" | best); ltb=$(printf '%s\n' "${lt[@]}" | best)
	size=$(du -h "$m" | cut -f1)
	awk -v m="$(basename "$m")" -v sz="$size" -v op="$opb" -v lp="$lpb" -v ot="$otb" -v lt="$ltb" \
		'BEGIN { printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", m, sz, op, lp, op / lp, ot, lt, ot / lt }' 
done
echo
echo "Batched decode (ours; aggregate tokens/s of N sequences advancing together):"
echo
echo "| model | size | params | backend | threads | test | t/s |"
echo "| --- | ---: | ---: | --- | ---: | --- | ---: |"
for m in "${models[@]}"; do
	$tool bench "$m" -t "$threads" -p 16 -n 32 -b 1,4,16 | grep -E 'tg32' || true
done
