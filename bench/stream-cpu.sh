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
# A last step, "passes for a 10-story briefing", runs the demo briefing
# (data/samples/, evening edition of 2026-02-21, as scripts/demo.sh) through
# `briefing generate --verbose` with the engine backend and SmolLM2
# (.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf from
# scripts/fetch-smollm2.sh; skipped, saying so, when it is not there) once
# without a budget and once with `[llm] ram_budget` at about half the model
# file: weight passes, tokens, seconds (from the --verbose line), wall time
# and peak RSS of each. The budget covers the KV cache and scratch of the
# briefing's 10 sequences as well, so half the file can be below the
# engine's minimum: then the run says so and one more runs with the minimum
# the engine names plus half of the weights it does not keep whole (about
# half the layers streamed).
#
#   bash bench/stream-cpu.sh [OUT.md]
#   STEP=briefing bash bench/stream-cpu.sh     # that last step alone, on stdout
#   STEP=peer LLAMA_BENCH=/path/to/llama-bench bash bench/stream-cpu.sh
#
# The peer step (run by the whole script too when LLAMA_BENCH is set): the
# same model under the same memory cap, ours with --ram-budget 25 % and
# llama.cpp's llama-bench on its mmap path (the behaviour we replace), each
# in a cgroup (v1 memory controller) limited to that budget + 64 MiB, which
# counts page cache as well as RSS: pp32 and tg8 tokens/s, alternating, two
# rounds. llama.cpp is built outside the repository; nothing of it is kept
# here. Needs root for the cgroup; skipped, saying why, otherwise.
#
# OUT defaults to bench/results/stream-cpu-<UTC date>.md. Environment:
# BRIEFING_SHARED (default ../shared), BENCH_MODELS (where the model goes,
# default .cache/models), THREADS (default nproc), STEP (all, or briefing).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bench/results/stream-cpu-$(date -u +%Y-%m-%d).md}
shared=${BRIEFING_SHARED:-../shared}
vocab=$shared/corpus/engine/stories260K.gguf
dir=${BENCH_MODELS:-.cache/models}
threads=${THREADS:-$(nproc)}
tool=./briefing-model
step=${STEP:-all}
case "$step" in all | briefing | peer) ;; *) echo "stream-cpu: STEP must be all, briefing or peer" >&2; exit 2 ;; esac

# ---- step "peer": llama.cpp's mmap path under the same memory cap (markdown on stdout)

peer_step() {
	local model=${PEER_MODEL:-$dir/synth-1b-q4_k_m-fast-stories.gguf}
	local cg=/sys/fs/cgroup/memory/briefing-stream-bench
	echo "### Under a memory cap: ours (--ram-budget 25 %) against llama.cpp's mmap path"
	echo
	if [ -z "${LLAMA_BENCH:-}" ] || [ ! -x "${LLAMA_BENCH:-}" ]; then
		echo "skipped: set LLAMA_BENCH to a llama-bench built outside the repository"
		return 0
	fi
	if [ ! -f "$model" ]; then
		echo "skipped: $model is not there (run the whole script once, or set PEER_MODEL)"
		return 0
	fi
	if ! mkdir -p "$cg" 2>/dev/null || [ ! -w "$cg/memory.limit_in_bytes" ]; then
		echo "skipped: no writable cgroup v1 memory controller at $cg"
		return 0
	fi
	local size budget cap
	size=$(stat -c %s "$model")
	budget=$((size / 4))
	cap=$((budget + 64 * 1048576))
	echo "$cap" >"$cg/memory.limit_in_bytes"
	echo "- model: $model ($((size / 1048576)) MiB); budget $((budget / 1048576)) MiB; cgroup memory.limit_in_bytes $((cap / 1048576)) MiB (RSS and page cache)"
	echo "- llama.cpp: $("$LLAMA_BENCH" --help >/dev/null 2>&1; cd "$(dirname "$LLAMA_BENCH")" && git rev-parse --short HEAD 2>/dev/null || echo 'build outside the repository')"
	echo "- commands: \`$tool bench MODEL --device cpu --ram-budget $budget -p 32 -n 8 -b 1 -t $threads\` and \`llama-bench -m MODEL -p 32 -n 8 -t $threads -r 1\`, each as the only process of the cgroup"
	echo
	echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"
	echo
	echo "| round | engine | pp32 t/s | tg8 t/s | peak memory (cgroup) |"
	echo "| --- | --- | ---: | ---: | ---: |"
	local r o pp tg
	for r in 1 2; do
		# each run starts with nothing charged (the page cache a run leaves
		# stays charged to the cgroup otherwise)
		echo 0 >"$cg/memory.force_empty" 2>/dev/null || true
		echo 0 >"$cg/memory.max_usage_in_bytes"
		o=$(sh -c "echo \$\$ > $cg/cgroup.procs; exec $tool bench '$model' --device cpu --ram-budget $budget -p 32 -n 8 -b 1 -t $threads" 2>&1)
		pp=$(printf '%s\n' "$o" | awk -F'|' '/ pp32 /{gsub(/ /,"",$8); print $8}')
		tg=$(printf '%s\n' "$o" | awk -F'|' '/ tg8 /{gsub(/ /,"",$8); print $8}')
		echo "| $r | briefing | $pp | $tg | $(($(cat "$cg/memory.max_usage_in_bytes") / 1048576)) MiB |"
		echo 0 >"$cg/memory.force_empty" 2>/dev/null || true
		echo 0 >"$cg/memory.max_usage_in_bytes"
		o=$(sh -c "echo \$\$ > $cg/cgroup.procs; exec '$LLAMA_BENCH' -m '$model' -p 32 -n 8 -t $threads -r 1" 2>&1)
		pp=$(printf '%s\n' "$o" | awk -F'|' '/ pp32 /{split($8,a," "); print a[1]}')
		tg=$(printf '%s\n' "$o" | awk -F'|' '/ tg8 /{split($8,a," "); print a[1]}')
		echo "| $r | llama.cpp (mmap) | $pp | $tg | $(($(cat "$cg/memory.max_usage_in_bytes") / 1048576)) MiB |"
	done
	echo
	echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	rmdir "$cg" 2>/dev/null || true
}

# ---- step "briefing": passes for a 10-story briefing (markdown on stdout)

# the demo briefing with config $1 on a fresh archive; prints
# "wall=S rss_kib=K rc=RC" and leaves the --verbose output in $bwork/err
briefing_run() {
	local db=$bwork/run.db t0 t1 rc=0 rss
	cp "$bwork/archive.db" "$db"
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		TZ=UTC BRIEFING_NOW=$bnow /usr/bin/time -v -o "$bwork/time" ./briefing --config "$1" --db "$db" \
			generate --edition evening --since 2026-02-14 --verbose >/dev/null 2>"$bwork/err" || rc=$?
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$bwork/time")
	else
		TZ=UTC BRIEFING_NOW=$bnow python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
open(sys.argv[1] + ".rss", "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)' "$bwork/err" ./briefing --config "$1" --db "$db" generate --edition evening \
			--since 2026-02-14 --verbose || rc=$?
		rss=$(cat "$bwork/err.rss" 2>/dev/null || echo "?")
	fi
	t1=$(date +%s.%N)
	echo "wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') rss_kib=${rss:-?} rc=$rc"
}

briefing_step() {
	local smol=${BENCH_MODELS:-.cache/models}/SmolLM2-135M-Instruct.Q4_1.gguf
	echo "## Passes for a 10-story briefing — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	if [ ! -f "$smol" ]; then
		echo "Skipped: $smol is not there (\`bash scripts/fetch-smollm2.sh\` fetches it)."
		return 0
	fi
	make --no-print-directory -s briefing >&2
	smol=$(realpath "$smol")
	local msize half load_b r o v label
	msize=$(stat -c %s "$smol")
	half=$((msize / 2))
	load_b=$(cut -d' ' -f1-3 /proc/loadavg)
	bwork=$(mktemp -d /tmp/briefing-streamcpu.XXXXXX)
	# a subshell: its own HOME and trap, the caller's environment untouched
	(
	trap 'rm -rf "$bwork"' EXIT
	export HOME="$bwork/home" XDG_CONFIG_HOME="$bwork/home/config" XDG_DATA_HOME="$bwork/home/data"
	export BRIEFING_NO_DEFAULT_FEEDS=1
	mkdir -p "$HOME"
	for f in data/samples/*.xml; do ./briefing --db "$bwork/archive.db" feeds add "$f" >/dev/null; done
	./briefing --db "$bwork/archive.db" fetch >/dev/null 2>&1
	bnow=$(date -u -d '2026-02-21 19:00' +%s)
	echo "- briefing $(git rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree); model $(basename "$smol") ($msize bytes, $(awk -v s="$msize" 'BEGIN { printf "%.1f MiB", s / 1048576 }')); $threads threads; device cpu"
	echo "- the demo briefing: data/samples/ archive, \`TZ=UTC BRIEFING_NOW=$bnow briefing --config CONF --db COPY generate --edition evening --since 2026-02-14 --verbose\` (10 story entries, tagline, assessment), each run on a fresh copy of the archive"
	echo "- CONF: \`[llm] backend = engine, model = $(basename "$smol"), threads = $threads\`, and for the budget runs \`ram_budget = BYTES\` (half the file; when that is below the engine's minimum, which counts the KV cache and scratch of the 10 sequences too, the minimum it names plus half the weights it does not keep whole)"
	echo "- peak RSS: $([ -x /usr/bin/time ] && echo '/usr/bin/time -v (maximum resident set size)' || echo 'python resource.getrusage(RUSAGE_CHILDREN).ru_maxrss')"
	echo
	local rows=() raws="" min kept above
	# one_run NAME BUDGET(bytes, or empty) LABEL: a row and its raw line; 1 on failure
	one_run() {
		local o v p t pt d a b g w
		if [ -z "$2" ]; then
			printf '[llm]\nbackend = engine\nmodel = %s\nthreads = %s\n' "$smol" "$threads" >"$bwork/$1.conf"
		else
			printf '[llm]\nbackend = engine\nmodel = %s\nthreads = %s\nram_budget = %s\n' \
				"$smol" "$threads" "$2" >"$bwork/$1.conf"
		fi
		echo "stream-cpu: briefing, $3" >&2
		o=$(briefing_run "$bwork/$1.conf")
		v=$(grep -m1 '^engine: ' "$bwork/err" || true)
		raws+="- $3: $o"$'\n'"  \`${v:-$(tail -1 "$bwork/err")}\`"$'\n'
		if [ -z "$v" ]; then
			rows+=("| $3 | failed: $(tail -1 "$bwork/err" | tr '|' '/') | | | | | | | | |")
			return 1
		fi
		# engine: P weight passes for T tokens (PT prompt + D decoded; X a pass); prefill A s, decode B s[; streamed G GiB, waited W s]; device cpu
		p=$(sed -n 's/^engine: \([0-9]*\) weight passes.*/\1/p' <<<"$v")
		t=$(sed -n 's/.* for \([0-9]*\) tokens.*/\1/p' <<<"$v")
		pt=$(sed -n 's/.*(\([0-9]*\) prompt.*/\1/p' <<<"$v")
		d=$(sed -n 's/.* + \([0-9]*\) decoded.*/\1/p' <<<"$v")
		a=$(sed -n 's/.*prefill \([0-9.]*\) s.*/\1/p' <<<"$v")
		b=$(sed -n 's/.*decode \([0-9.]*\) s.*/\1/p' <<<"$v")
		g=$(sed -n 's/.*streamed \([0-9.]*\) GiB.*/\1/p' <<<"$v")
		w=$(sed -n 's/.*waited \([0-9.]*\) s.*/\1/p' <<<"$v")
		rows+=("| $3 | $p | $t ($pt prompt + $d decoded) | $a | $b | ${g:--} | $(awk -v g="${g:-0}" -v p="$p" 'BEGIN { if (g > 0 && p > 0) printf "%.1f", g * 1024 / p; else print "-" }') | ${w:--} | $(sed -n 's/.*wall=\([^ ]*\).*/\1/p' <<<"$o") | $(awk -v k="$(sed -n 's/.*rss_kib=\([^ ]*\).*/\1/p' <<<"$o")" 'BEGIN { printf "%.1f", k / 1024 }') |")
	}
	mibs() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
	one_run none "" "no budget (mmap)" || true
	if ! one_run half "$half" "ram_budget $half ($(mibs "$half")), half the file"; then
		# "... is below the minimum of 280.4 MiB (the 1 largest item kept 28.7 MiB + ..."
		min=$(sed -n 's/.*below the minimum of \([0-9.]*\) MiB.*/\1/p' "$bwork/err" | head -1)
		kept=$(sed -n 's/.*largest items\{0,1\} kept \([0-9.]*\) MiB.*/\1/p' "$bwork/err" | head -1)
		if [ -n "$min" ]; then
			above=$(awk -v m="$min" -v k="${kept:-0}" -v s="$msize" \
				'BEGIN { printf "%d", m * 1048576 + (s - k * 1048576) / 2 + 1048576 }')
			one_run above "$above" "ram_budget $above ($(mibs "$above")), the minimum + half the weights not kept whole" || true
		fi
	fi
	echo "| run | weight passes | tokens through passes | prefill s | decode s | streamed GiB | MiB a pass | waited s | wall s | peak RSS MiB |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "load average before: $load_b, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "Every run (\`briefing generate --verbose\`'s last line):"
	echo
	printf '%s' "$raws"
	)
}

if [ "$step" = peer ]; then
	peer_step
	exit 0
fi
if [ "$step" = briefing ]; then
	briefing_step
	exit 0
fi

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
{ echo; briefing_step; } | tee -a "$out"
{ echo; peer_step; } | tee -a "$out"
echo "stream-cpu: wrote $out" >&2
