#!/usr/bin/env bash
# bench/stream-cpu.sh — weight streaming on the CPU under --ram-budget.
#
# A 1B-shaped (Llama 3.2) Q4_K_M model with seeded random weights
# (`briefing-model synth --shape 1b --fast`, the stories260K vocabulary, so
# the tied output head is small and even 25 % of the file is above the
# minimum budget) runs `briefing-model bench -p 32 -n 8 -b 1,16` with no
# budget (weights used in place from the mapping) and with budgets of
# 100 %, 50 % and 25 % of its size: tokens/s at batch 1 and 16, the plan,
# and for the streamed decode passes the bytes read from the file per pass,
# the achieved rate (streamed bytes / pass time) and the time waited.
# The bound is measured in the same run on the same file: sequential reads
# of the whole file cold (dd iflag=direct, like the engine's O_DIRECT reads;
# buffered after POSIX_FADV_DONTNEED) and warm (page cache), and for each
# streamed run the same bytes it streams read with dd iflag=direct right
# after it. The ratio achieved / bound says how close a streamed pass comes
# to the disk.
#
#   bash bench/stream-cpu.sh [OUT.md]
#
# OUT defaults to bench/results/stream-cpu-<UTC date>.md. Environment:
# BRIEFING_SHARED (default ../shared), BENCH_MODELS (where the model goes,
# default .cache/models), THREADS (default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bench/results/stream-cpu-$(date -u +%Y-%m-%d).md}
shared=${BRIEFING_SHARED:-../shared}
vocab=$shared/corpus/engine/stories260K.gguf
dir=${BENCH_MODELS:-.cache/models}
threads=${THREADS:-$(nproc)}
tool=./briefing-model

make --no-print-directory -s briefing-model >&2
mkdir -p "$dir" "$(dirname "$out")"
model=$dir/synth-1b-q4_k_m-fast-stories.gguf
if [ ! -f "$model" ]; then
	echo "stream-cpu: synthesising $model" >&2
	$tool synth --shape 1b --type Q4_K_M --fast --vocab-from "$vocab" -o "$model" --seed 1 >&2
fi
size=$(stat -c %s "$model")

# GB/s (1e9) of a dd run: "N bytes (...) copied, S s, ..." on stderr
dd_gbps() {
	dd "$@" 2>&1 >/dev/null | awk '/bytes/ && /copied/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) s = $(i - 1);
		gsub(",", ".", s); printf "%.2f", $1 / s / 1e9 }'
}
drop_cache() {
	python3 -c 'import os,sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "$1"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
best() { tr ' ' '\n' | sort -g | tail -1; }
# three O_DIRECT reads of the file, or of MiB [SKIP, SKIP + COUNT) of it
cold_reads() {
	local r="" i
	for i in 1 2 3; do
		drop_cache "$model"
		r+="$(dd_gbps if="$model" of=/dev/null bs=1M iflag=direct "$@") "
	done
	echo "${r% }"
}
echo "stream-cpu: measuring the read bound" >&2
colds=$(cold_reads)
cold=$(best <<<"$colds")
drop_cache "$model"
cold_buf=$(dd_gbps if="$model" of=/dev/null bs=64M)
cat "$model" >/dev/null
warm=$(dd_gbps if="$model" of=/dev/null bs=64M)

# bench FILE BUDGET-ARGS... -> the whole output
bench() {
	$tool bench "$model" --device cpu -t "$threads" -p 32 -n 8 -b 1,16 "$@"
}
# field of a table row: test name -> t/s
tps() { awk -F'|' -v t="$2" '{ x = $7; gsub(/^ +| +$/, "", x) } x == t { gsub(/ /, "", $8); print $8 }' <<<"$1"; }
# "418.03 MiB" / "1.02 GiB" -> MiB (rounded up)
mib() { awk '{ v = $1; if ($2 == "GiB") v *= 1024; if ($2 == "KiB") v /= 1024; printf "%d", v + 0.999 }' <<<"$1"; }

rows=()
details=""
for pct in none 100 50 25; do
	if [ "$pct" = none ]; then
		args=()
		label="no budget (mmap)"
	else
		b=$((size * pct / 100))
		args=(--ram-budget "$b")
		label="$pct % ($(awk -v b="$b" 'BEGIN { printf "%.0f MiB", b / 1048576 }'))"
	fi
	echo "stream-cpu: $label" >&2
	if ! o=$(bench "${args[@]}" 2>&1); then
		rows+=("| $label | $(echo "$o" | tail -1) | | | | | | | | | | | |")
		continue
	fi
	plan=$(sed -n 's/^<!-- plan: \([0-9]* of [0-9]*\) layers streamed.*/\1/p' <<<"$o")
	streamed=$(sed -n 's/^<!-- plan: .* in RAM, \(.*\) read from the file each pass.*/\1/p' <<<"$o")
	# The bound of this run: the same bytes read the same way right after
	# it (the streamed layers are the end of the file; the resident prefix
	# is skipped), best of three. The shared virtual disk's host caches a
	# few hundred MiB, so a smaller streamed set reads faster than the
	# whole file; this compares like with like.
	rb=$cold
	rbs=$colds
	n=$(mib "${streamed:-0 KiB}")
	if [ "$n" -gt 0 ]; then
		total=$(( (size + 1048575) / 1048576 ))
		skip=$(( total > n ? total - n : 0 ))
		rbs=$(cold_reads skip="$skip" count="$n")
		rb=$(best <<<"$rbs")
	fi
	note="nothing streamed"
	[ "$n" -gt 0 ] && note="bound: the same $n MiB read with O_DIRECT right after, $rb GB/s (best of $rbs)"
	details+=$'\n'"### $label"$'\n\n'"$note"$'\n\n```\n'"$o"$'\n```\n'
	# "<!-- tg xB: ... a pass; per pass X resident, Y from RAM, Z from the file; streamed at G GB/s; waited for weights W ms a pass -->"
	for B in 1 16; do
		line=$(grep "^<!-- tg x$B: " <<<"$o" || true)
		file=$(sed -n 's/.*RAM, \(.*\) from the file;.*/\1/p' <<<"$line")
		ms=$(sed -n 's/.*tokens ([0-9.]* a pass), \([0-9.]*\) ms a pass.*/\1/p' <<<"$line")
		gbps=$(sed -n 's/.*streamed at \([0-9.]*\) GB\/s.*/\1/p' <<<"$line")
		wait=$(sed -n 's/.*waited for weights \([0-9.]*\) ms a pass.*/\1/p' <<<"$line")
		ratio=$(awk -v g="${gbps:-0}" -v c="$rb" 'BEGIN { if (g > 0 && c > 0) printf "%.2f", g / c; else print "-" }')
		eval "file$B=\${file:--} ms$B=\${ms:--} gbps$B=\${gbps:--} wait$B=\${wait:--} ratio$B=\$ratio"
	done
	[ "$n" -gt 0 ] || rb="-"
	rows+=("| $label | ${plan:-0 of 16} | $(tps "$o" pp32) | $(tps "$o" tg8) | $(tps "$o" "tg8 x16") | $file1 | $rb | $ms1 | $gbps1 | $wait1 | $ratio1 | $ms16 | $gbps16 | $ratio16 |")
done

{
	echo "# CPU weight streaming under --ram-budget — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- command: \`bash bench/stream-cpu.sh\` (each budget: \`$tool bench MODEL --device cpu -t $threads -p 32 -n 8 -b 1,16 [--ram-budget BYTES]\`)"
	echo "- briefing $(git rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)"
	echo "- machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1); load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- memory (free -g):"
	echo
	echo '```'
	free -g
	echo '```'
	echo
	echo "- model: \`synth --shape 1b --type Q4_K_M --fast --vocab-from stories260K.gguf\`, $(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }') ($size bytes), 16 layers of ~35 MiB, tied head 512 x 2048"
	echo "- sequential reads of the whole file: cold $cold GB/s (dd bs=1M iflag=direct, best of $colds), cold buffered $cold_buf GB/s (bs=64M after POSIX_FADV_DONTNEED), warm (page cache) $warm GB/s"
	echo
	echo "t/s: pp32 = one 32-token prompt; tg8 = 8 decode steps at batch 1; tg8 x16 = 8 steps of 16 sequences (128 tokens)."
	echo "For the decode passes: bytes read from the file per pass; the bound (GB/s): the same bytes read with dd iflag=direct"
	echo "right after the run, best of three (the machine's virtual disk caches a few hundred MiB on the host side, so a"
	echo "smaller streamed set reads faster than the whole file: each run is compared with its own bytes); time per pass;"
	echo "the achieved rate (streamed bytes / pass time); time waited for weights per pass; achieved / bound."
	echo "The achieved rate is over the pass's wall time while the prefetch thread also reads during the resident layers'"
	echo "compute and between passes (the next pass's first two streamed layers), so with few layers streamed it can pass"
	echo "the bound; at batch 1 with most layers streamed the pass is bound by the disk and the ratio says how close it comes."
	echo
	echo "| RAM budget | layers streamed | pp32 t/s | tg8 t/s | tg8 x16 t/s | file/pass | bound GB/s | ms/pass b1 | GB/s b1 | wait ms b1 | ratio b1 | ms/pass b16 | GB/s b16 | ratio b16 |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "## Raw output"
	echo "$details"
} | tee "$out"
echo "stream-cpu: wrote $out" >&2
