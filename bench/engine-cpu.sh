#!/usr/bin/env bash
# Our `briefing-model bench` against llama.cpp's `llama-bench` on the same
# GGUF files at each thread count: prompt processing (pp128) and generation
# (tg32) tokens/s, our/llama.cpp ratios, and how close each decode comes to
# the memory-bandwidth bound. Prints markdown.
#
#   bench/engine-cpu.sh LLAMA_BENCH [THREADS] [REPS] [MODEL.gguf ...]
#
# LLAMA_BENCH: the llama-bench binary, or a llama.cpp checkout with
# build/bin/llama-bench (build it outside this repository, CPU only:
#   cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF && cmake --build build --target llama-bench).
# THREADS: a thread count or a comma list (default 1,2); every model is
# measured at every count in this one run, one table per count.
# REPS: each figure is the best of REPS runs (default 3), taken in
# alternation (ours, llama.cpp, ours, ...) so that both see the same load.
# Without MODEL arguments it uses ~1B Llama-3.2-shaped models with seeded
# random weights in Q4_K_M, Q8_0, Q6_K and Q5_K_M, made once with plain
# `briefing-model synth` (not --fast: the files the earlier results used;
# 10-60 s each on 2 cores) into $BENCH_MODELS (default .cache/models,
# git-ignored).
#
# Bandwidth bound: before and after each thread count's runs, bench/membw.c
# (built here into .cache/membw) streams a sum over a $MEMBW_MIB MiB buffer
# (default 1024) with that many threads; the best of its 20 passes, and the
# better of the two (a busy core on a shared machine halves it), in GB/s =
# 1e9 B/s.
# A decode step reads every layer's weights and the output head (with a
# tied output, as in the 1B shape, that is all of token_embd) plus one
# token_embd row; the bytes come from the GGUF tensor table (offset
# differences, so alignment padding is counted: under 32 B a tensor). The
# F16 KV cache read is added at the tg32 midpoint: position 144 for ours
# (tg32 follows the pp128 prompt), 16 for llama-bench (its tg32 starts from
# an empty cache); with the layer and head counts of `briefing-model info`.
# "% bw" = tg32 t/s x bytes a token / measured bandwidth.
# The batched-decode table (ours, -b 1,4,16) runs at the largest count only.
# `make engine` runs first and the binary is copied aside for the run.
# Defaults (4 models, 1,2 threads, 3 reps): about 10 minutes on an idle
# 2-core machine, more under load.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
	sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
lb=$1
[ -d "$lb" ] && lb=$lb/build/bin/llama-bench
[ -x "$lb" ] || { echo "engine-cpu: no llama-bench at $lb" >&2; exit 2; }
tlist=${2:-1,2}
reps=${3:-3}
shift $(( $# < 3 ? $# : 3 ))
[[ $tlist =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
	{ echo "engine-cpu: THREADS must be a count or a comma list, not $tlist" >&2; exit 2; }
IFS=, read -r -a tcounts <<< "$tlist"
tmax=$(printf '%s\n' "${tcounts[@]}" | sort -n | tail -1)

make --no-print-directory -s engine >&2
# a copy, so that a rebuild in this tree while the run goes on (it takes
# minutes) does not change the engine half way through the tables
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp ./briefing-model "$tmp/briefing-model"
tool=$tmp/briefing-model
shared=${BRIEFING_SHARED:-../shared}
vocab=$shared/corpus/tokenizer/ggml-vocab-llama-bpe.gguf
dir=${BENCH_MODELS:-.cache/models}
membw=.cache/membw
membw_mib=${MEMBW_MIB:-1024}

mkdir -p .cache
if [ ! -x "$membw" ] || [ bench/membw.c -nt "$membw" ]; then
	cc -std=c11 -O2 -march=native -pthread -o "$membw" bench/membw.c
fi

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
	mkdir -p "$dir"
	for t in Q4_K_M Q8_0 Q6_K Q5_K_M; do
		f=$dir/synth-1b-$(echo "$t" | tr '[:upper:]' '[:lower:]').gguf
		if [ ! -f "$f" ]; then
			echo "engine-cpu: synthesising $f" >&2
			$tool synth --shape 1b --type "$t" --vocab-from "$vocab" -o "$f" --seed 1 >&2
		fi
		models+=("$f")
	done
fi

best() { sort -g | tail -1; }

ours() { # model threads -> "pp tg"
	local out pp tg
	out=$($tool bench "$1" -t "$2" -p 128 -n 32 -b 1)
	pp=$(echo "$out" | awk -F'|' '$7 ~ /pp128/ {gsub(/ /, "", $8); print $8}')
	tg=$(echo "$out" | awk -F'|' '$7 ~ /tg32/ {gsub(/ /, "", $8); print $8}')
	echo "${pp:-0} ${tg:-0}"
}

theirs() { # model threads -> "pp tg"
	local out pp tg
	out=$("$lb" -m "$1" -t "$2" -p 128 -n 32 -r 1 -o csv 2>/dev/null) || true
	pp=$(echo "$out" | awk -F'","' 'NR > 1 && $26 == "128" && $27 == "0" {print $31}')
	tg=$(echo "$out" | awk -F'","' 'NR > 1 && $26 == "0" && $27 == "32" {print $31}')
	echo "${pp:-0} ${tg:-0}"
}

# model -> "TOTAL TOKEN_EMBD ROWS TIED": bytes of all tensors and of
# token_embd, token_embd's rows, 1 when there is no output.weight (tied head)
tensor_bytes() {
	python3 - "$1" <<'EOF'
import os, struct, sys
path = sys.argv[1]
f = open(path, "rb")
def rd(fmt):
    return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))
if f.read(4) != b"GGUF":
    sys.exit(path + ": not a GGUF file")
ver, = rd("I")
if ver < 2:
    sys.exit(path + ": GGUF v1 is not read here")
n_tensors, n_kv = rd("QQ")
fixed = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
def skip(t):
    if t in fixed:
        f.seek(fixed[t], 1)
    elif t == 8:
        n, = rd("Q"); f.seek(n, 1)
    elif t == 9:
        et, n = rd("IQ")
        if et in fixed:
            f.seek(fixed[et] * n, 1)
        else:
            for _ in range(n):
                skip(et)
    else:
        sys.exit(path + ": unknown metadata type %d" % t)
align = 32
for _ in range(n_kv):
    n, = rd("Q"); key = f.read(n); t, = rd("I")
    if key == b"general.alignment" and t == 4:
        align, = rd("I")
    else:
        skip(t)
tensors = []
for _ in range(n_tensors):
    n, = rd("Q"); name = f.read(n).decode()
    nd, = rd("I"); dims = rd("Q" * nd); typ, off = rd("IQ")
    tensors.append((off, name, dims))
data = (f.tell() + align - 1) // align * align
end = os.path.getsize(path) - data
tensors.sort()
total = te = rows = 0
names = set()
for i, (off, name, dims) in enumerate(tensors):
    size = (tensors[i + 1][0] if i + 1 < len(tensors) else end) - off
    total += size
    names.add(name)
    if name == "token_embd.weight":
        te, rows = size, dims[1] if len(dims) > 1 else 1
print(total, te, rows, 0 if "output.weight" in names else 1)
EOF
}

# model -> bytes of F16 KV cache one position holds (K and V, every layer)
kv_per_pos() {
	$tool info "$1" | awk '
		/^layers:/ { l = $2 }
		/^heads:/ { for (i = 1; i <= NF; i++) { if ($i == "query,") kv = $(i + 1); if ($i == "dim") hd = $(i + 1) } }
		END { print 2 * l * kv * hd * 2 }'
}

declare -A wbytes kvpos
for m in "${models[@]}"; do
	tb=$(tensor_bytes "$m")
	read -r total te rows tied <<< "$tb"
	row=$(( rows > 0 ? (te + rows - 1) / rows : 0 ))
	wbytes[$m]=$(( total - te + row + (tied ? te : 0) ))
	kvpos[$m]=$(kv_per_pos "$m")
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
lcommit=$("$lb" -m "${models[0]}" -t 1 -p 0 -n 1 -r 1 -o csv 2>/dev/null |
	awk -F'","' 'NR == 2 {gsub(/"/, "", $1); print $1}') || true
echo "# engine CPU benchmark: briefing-model vs llama-bench"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $cpu, $(nproc) logical CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- briefing $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (src modified)'); llama.cpp ${lcommit:-?}; threads $tlist; best of $reps alternating runs"
echo "- MB/token: weight bytes a decode step reads (layers + output head + one embedding row), 1e6 B; % bw: tg32 t/s x (those bytes + the KV cache read at the tg32 midpoint) / the bandwidth above the table"
for n in "${tcounts[@]}"; do
	ts=thread$([ "$n" -eq 1 ] || echo s)
	bw1=$("$membw" -m "$membw_mib" "$n"); la1=$(cut -d' ' -f1-3 /proc/loadavg)
	rows=()
	for m in "${models[@]}"; do
		op=() ot=() lp=() lt=()
		for _ in $(seq "$reps"); do
			read -r a b < <(ours "$m" "$n"); op+=("$a"); ot+=("$b")
			read -r a b < <(theirs "$m" "$n"); lp+=("$a"); lt+=("$b")
		done
		opb=$(printf '%s\n' "${op[@]}" | best); otb=$(printf '%s\n' "${ot[@]}" | best)
		lpb=$(printf '%s\n' "${lp[@]}" | best); ltb=$(printf '%s\n' "${lt[@]}" | best)
		rows+=("$opb $lpb $otb $ltb $m")
	done
	bw2=$("$membw" -m "$membw_mib" "$n"); la2=$(cut -d' ' -f1-3 /proc/loadavg)
	bw=$(printf '%s\n' "$bw1" "$bw2" | best)
	echo
	echo "## $n $ts"
	echo
	echo "Memory read bandwidth (bench/membw.c, $n $ts, $membw_mib MiB, best pass): $bw GB/s, the better of"
	echo "$bw1 before the runs (load average $la1) and $bw2 after them ($la2)"
	echo
	echo "| model | size | MB/token | ours pp128 | llama.cpp pp128 | ratio | ours tg32 | llama.cpp tg32 | ratio | ours % bw | llama.cpp % bw |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for r in "${rows[@]}"; do
		read -r op lp ot lt m <<< "$r"
		awk -v m="$(basename "$m")" -v sz="$(du -h "$m" | cut -f1)" -v op="$op" -v lp="$lp" -v ot="$ot" -v lt="$lt" \
			-v w="${wbytes[$m]}" -v kv="${kvpos[$m]}" -v bw="$bw" '
			function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
			function share(ts, pos) { return bw > 0 ? sprintf("%.0f%%", 100 * ts * (w + kv * pos) / (bw * 1e9)) : "-" }
			BEGIN {
				printf "| %s | %s | %.1f | %.2f | %.2f | %s | %.2f | %.2f | %s | %s | %s |\n", m, sz, w / 1e6,
					op, lp, ratio(op, lp), ot, lt, ratio(ot, lt), share(ot, 144), share(lt, 16)
			}'
	done
done
echo
echo "Batched decode (ours, $tmax thread$([ "$tmax" -eq 1 ] || echo s), one run each; aggregate tokens/s of N sequences advancing together):"
echo
echo "| model | size | params | backend | threads | test | t/s |"
echo "| --- | ---: | ---: | --- | ---: | --- | ---: |"
for m in "${models[@]}"; do
	$tool bench "$m" -t "$tmax" -p 16 -n 32 -b 1,4,16 | grep -E 'tg32' || true
done
