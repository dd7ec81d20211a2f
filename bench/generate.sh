#!/usr/bin/env bash
# bench/generate.sh — a 10-story briefing with the engine backend, three ways:
#   COMPARE=batch (default): all story entries decoded together (one batch)
#                 against one story at a time;
#   COMPARE=pack: new prompts packed into shared prefill passes (the engine's
#                 default) against one prompt per pass
#                 (BRIEFING_ENGINE_NO_PACK=1), both batched;
#   COMPARE=peer: the demo briefing through `briefing generate` with
#                 `[llm] backend = engine` against the same briefing with
#                 `[llm] backend = openai` sent to llama.cpp's llama-server
#                 (LLAMA_SERVER=/path/to/llama-server: 4 slots, continuous
#                 batching, the same model and threads, greedy), on
#                 127.0.0.1 only. Without LLAMA_SERVER the engine side runs
#                 alone and the report says the peer was skipped and why.
#                 llama.cpp is never part of this repository: build it
#                 elsewhere (bench/results/generate-peer-*.md says how).
#
# Builds a demo archive from data/samples/ (the 10-story evening edition of
# 2026-02-21), then runs the whole brief_generate pipeline (select, cluster,
# rank, write, check, store). batch and pack go through
# bench/generate_bench.c with llm_config.max_batch = 0 (batched: every story
# in one eng_generate_batch) and = 1 (one story at a time), or packed and
# not; peer goes through the CLI (`briefing generate --verbose`, a config
# file per side). The two sides alternate, best of RUNS, each run on a fresh
# copy of the archive (and, for peer, a freshly started llama-server, so no
# prompt cache survives from one run to the next). Every engine run also
# reports the weight passes its briefing's provenance holds (passes, the
# tokens they carried, prefill and decode seconds, device). Prints a
# markdown report on stdout:
#   bench/generate.sh > bench/results/generate-$(date +%F).md
#   COMPARE=peer THREADS=2 RUNS=2 LLAMA_SERVER=/tmp/llamacpp/build/bin/llama-server \
#       bash bench/generate.sh > bench/results/generate-peer-$(date +%F).md
# Environment:
#   MODEL    a GGUF file. batch/pack default: one synthesised with
#            `briefing model synth` with SHAPE, Q8_0, and the Llama 3
#            vocabulary of the corpus's tiny-llama3-tied-q4_k_m.gguf; random
#            weights, so the text is nonsense but every story runs to its
#            token limit: same work both ways. peer default:
#            .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
#            (scripts/fetch-smollm2.sh), a real model with a chat template
#            that both sides apply.
#   SHAPE    (1024x8x8x8x2816)  THREADS (2)  RUNS (2)  COMPARE (batch)
#   LLAMA_SERVER  (peer) the llama-server binary; PEER_CTX (20480: 4 slots
#            of 5120, room for the assessment's ~3650-token prompt and its
#            640-token limit); PEER_PARALLEL (4); PEER_ARGS (more
#            llama-server options, e.g. "-fa"; default none)
#   BRIEFING_SHARED (../shared) locates the corpus.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
SHAPE=${SHAPE:-1024x8x8x8x2816}
THREADS=${THREADS:-2}
RUNS=${RUNS:-2}
COMPARE=${COMPARE:-batch}
SHARED=${BRIEFING_SHARED:-$(cd .. && pwd)/shared}
PEER_CTX=${PEER_CTX:-20480}
PEER_PARALLEL=${PEER_PARALLEL:-4}
PEER_ARGS=${PEER_ARGS:-}
# paths given relative to where the script was called from
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
[ -z "${MODEL:-}" ] || MODEL=$(abspath "$MODEL")
[ -z "${LLAMA_SERVER:-}" ] || LLAMA_SERVER=$(abspath "$LLAMA_SERVER")
case "$COMPARE" in
batch) labels=("batched (all stories in one eng_generate_batch)" "one story at a time (max_batch 1)") ;;
pack) labels=("packed prefill (several prompts a pass; the default)" "one prompt a pass (BRIEFING_ENGINE_NO_PACK=1)") ;;
peer) labels=("in-process engine (backend = engine, all stories batched)" "llama-server (backend = openai, $PEER_PARALLEL slots, continuous batching)") ;;
*) echo "COMPARE must be batch, pack or peer" >&2; exit 2 ;;
esac
if [ "$COMPARE" = peer ]; then
	make --no-print-directory -j2 briefing >&2
else
	make --no-print-directory -j2 briefing build/release/libbriefing.a build/release/libbriefing-engine.a >&2
fi

work=$(mktemp -d /tmp/briefing-genbench.XXXXXX)
server_pid= client_pid=
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=
	fi
}
# (peer: a signal stops the server and the briefing run at once: the script
# waits for them with `wait`, which a trapped signal interrupts)
stop_client() {
	if [ -n "$client_pid" ]; then
		pkill -TERM -P "$client_pid" 2>/dev/null || true
		kill "$client_pid" 2>/dev/null || true
		wait "$client_pid" 2>/dev/null || true
		client_pid=
	fi
}
trap 'stop_server; stop_client; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data"
export BRIEFING_NO_DEFAULT_FEEDS=1
mkdir -p "$HOME"

db="$work/archive.db"
for f in data/samples/*.xml; do ./briefing --db "$db" feeds add "$f" >/dev/null; done
./briefing --db "$db" fetch >/dev/null 2>&1
since=$(date -u -d '2026-02-14' +%s)
now=$(date -u -d '2026-02-21 19:00' +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# ---- COMPARE=peer: the whole job through the CLI, engine against llama-server

# start llama-server on a free loopback port; 0 once /health answers
start_server() {
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# (this llama-server may abort while it shuts down: no core file, and
	# in $work whatever it leaves)
	(cd "$work" && ulimit -c 0 && exec "$LLAMA_SERVER" -m "$MODEL" --host 127.0.0.1 --port "$port" \
		-np "$PEER_PARALLEL" -cb -t "$THREADS" -tb "$THREADS" -c "$PEER_CTX" --temp 0 --top-k 1 \
		--metrics --no-webui $PEER_ARGS >"$work/server.log" 2>&1) &
	server_pid=$!
	local i
	for i in $(seq 600); do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			wait "$server_pid" 2>/dev/null || true
			server_pid=
			echo "generate: llama-server exited before it was ready:" >&2
			tail -20 "$work/server.log" >&2
			return 1
		fi
		curl -sf --noproxy '*' "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "generate: llama-server not ready after 120 s" >&2
	tail -20 "$work/server.log" >&2
	return 1
}
# a counter of llama-server's /metrics
metric() { awk -v m="llamacpp:$1" '$1 == m { printf "%.6g", $2 }' <<<"$2"; }

# the demo briefing through the CLI with config $1, on a fresh copy of the
# archive; prints "seconds=S ..." (wall of `briefing generate`, the stored
# tokens and seconds, and the --verbose line's passes for the engine)
run_cli() {
	cp "$db" "$work/run.db"
	local t0 t1 s v row
	t0=$(date +%s.%N)
	if ! TZ=UTC BRIEFING_NOW=$now no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost \
		./briefing --config "$1" --db "$work/run.db" generate --edition evening \
		--since 2026-02-14 --verbose >"$work/cli.out" 2>"$work/cli.err"; then
		echo "generate: briefing generate failed ($1):" >&2
		tail -20 "$work/cli.err" >&2
		return 1
	fi
	t1=$(date +%s.%N)
	s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	# the stored provenance: seconds_write is the story entries' llm call;
	# total - plan - write is the tagline's and the assessment's (and the
	# checks and the store)
	row=$(sqlite3 -separator ' ' "$work/run.db" 'SELECT prompt_tokens, completion_tokens,
		seconds_plan, seconds_write, seconds_total FROM briefings ORDER BY id DESC LIMIT 1')
	read -r pt ct sp sw st <<<"$row"
	printf 'seconds=%s prompt_tokens=%s completion_tokens=%s stories_s=%.2f rest_s=%.2f' \
		"$s" "$pt" "$ct" "$sw" "$(awk -v t="$st" -v p="$sp" -v w="$sw" 'BEGIN { print t - p - w }')"
	# engine: 737 weight passes for 15575 tokens (11964 prompt + 3611 decoded; 21.13 a pass); prefill 73.99 s, decode 34.70 s; device cpu
	v=$(grep -m1 '^engine: ' "$work/cli.err" || true)
	if [ -n "$v" ]; then
		sed -n 's/^engine: \([0-9]*\) weight passes for \([0-9]*\) tokens (\([0-9]*\) prompt + \([0-9]*\) decoded.*prefill \([0-9.]*\) s, decode \([0-9.]*\) s.*device \([^ ]*\).*/ passes=\1 pass_tokens=\2 prefill_tokens=\3 decoded=\4 prefill_s=\5 decode_s=\6 device=\7/p' <<<"$v" | tr -d '\n'
		echo "$v" >"$work/verbose.$2"
	fi
	echo
}

# run_cli in the background, waited for: its line in $out
run_side() {
	run_cli "$@" >"$work/side.out" &
	client_pid=$!
	local rc=0
	wait "$client_pid" || rc=$?
	client_pid=
	out=$(cat "$work/side.out")
	return "$rc"
}

peer_main() {
	MODEL=${MODEL:-$PWD/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf}
	if [ ! -f "$MODEL" ]; then
		echo "generate: $MODEL is missing; bash scripts/fetch-smollm2.sh fetches it" >&2
		exit 1
	fi
	local skip="" r m out s raw="" line=("" "") best=("" "") verb=("" "")
	if [ -z "${LLAMA_SERVER:-}" ]; then
		skip="LLAMA_SERVER is not set (build llama.cpp's llama-server outside the repository and set LLAMA_SERVER=/path/to/llama-server)"
	elif [ ! -x "$LLAMA_SERVER" ]; then
		skip="LLAMA_SERVER=$LLAMA_SERVER is not an executable file"
	elif ! command -v curl >/dev/null; then
		skip="curl is not installed (needed to wait for llama-server's /health)"
	fi
	[ -z "$skip" ] || echo "generate: llama-server peer skipped: $skip" >&2
	printf '[llm]\nbackend = engine\nmodel = %s\nthreads = %s\n' "$MODEL" "$THREADS" >"$work/engine.conf"
	for r in $(seq "$RUNS"); do
		for m in 0 1; do
			if [ "$m" = 0 ]; then
				run_side "$work/engine.conf" 0
			else
				[ -z "$skip" ] || continue
				start_server
				printf '[llm]\nbackend = openai\nbase_url = http://127.0.0.1:%s/v1\nparallel = %s\ntimeout = 1800\n' \
					"$port" "$PEER_PARALLEL" >"$work/openai.conf"
				run_side "$work/openai.conf" 1
				met=$(curl -s --noproxy '*' "http://127.0.0.1:$port/metrics" || true)
				stop_server
				out+=" llama_decode_calls=$(metric n_decode_total "$met") server_prompt_tokens=$(metric prompt_tokens_total "$met")"
				out+=" server_predicted_tokens=$(metric tokens_predicted_total "$met")"
				out+=" server_prompt_s=$(metric prompt_seconds_total "$met") server_predict_s=$(metric tokens_predicted_seconds_total "$met")"
			fi
			echo "run $r: ${labels[$m]}: $out" >&2
			raw="$raw- run $r, ${labels[$m]}: $out"$'\n'
			s=$(field seconds "$out")
			if [ -z "${best[$m]}" ] || awk -v a="$s" -v b="${best[$m]}" 'BEGIN{exit !(a<b)}'; then
				best[$m]=$s
				line[$m]=$out
				[ "$m" = 1 ] || verb[0]=$(cat "$work/verbose.0" 2>/dev/null || true)
			fi
		done
	done
	local load1 e=${line[0]} p=${line[1]}
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "# briefing generate: in-process engine vs llama-server (the same demo briefing)"
	echo
	echo "- date: $(date -u '+%F %H:%M UTC'); host: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) logical CPUs; load average before: $load, after: $load1"
	echo "- briefing $(git rev-parse --short HEAD) (+ working tree); model: $(basename "$MODEL") ($(du -h "$MODEL" | cut -f1)); threads $THREADS; best of $RUNS alternating runs"
	if [ -z "$skip" ]; then
		echo "- llama-server: $LLAMA_SERVER ($("$LLAMA_SERVER" --version 2>&1 | grep -m1 -i version || echo '?'))"
		echo "  \`-m MODEL --host 127.0.0.1 --port FREE -np $PEER_PARALLEL -cb -t $THREADS -tb $THREADS -c $PEER_CTX --temp 0 --top-k 1 --metrics --no-webui${PEER_ARGS:+ $PEER_ARGS}\`, started afresh for each run and stopped after it (its start is not timed)"
	else
		echo "- llama-server: **skipped**: $skip"
	fi
	echo "- command: COMPARE=peer bench/generate.sh (THREADS=$THREADS RUNS=$RUNS${LLAMA_SERVER:+ LLAMA_SERVER=$LLAMA_SERVER} PEER_CTX=$PEER_CTX PEER_PARALLEL=$PEER_PARALLEL${PEER_ARGS:+ PEER_ARGS=\"$PEER_ARGS\"})"
	echo "- each side: \`TZ=UTC BRIEFING_NOW=$now briefing --config CONF --db COPY generate --edition evening --since 2026-02-14 --verbose\`, timed from start to exit (engine: model load included; llama-server: a request at a time per slot, up to $PEER_PARALLEL in flight)"
	echo "  - engine CONF: \`[llm] backend = engine, model = $(basename "$MODEL"), threads = $THREADS\` (greedy: the engine backend's default)"
	echo "  - openai CONF: \`[llm] backend = openai, base_url = http://127.0.0.1:PORT/v1, parallel = $PEER_PARALLEL, timeout = 1800\` (greedy: the server's --temp 0 --top-k 1)"
	echo
	echo "Columns: wall = \`briefing generate\` start to exit; tokens as the backend counted them (stored provenance);"
	echo "stories s = the 10 story entries' call, tagline + assessment s = the rest of the run after planning (both from the stored provenance);"
	echo "passes = the engine's weight passes; for llama-server its llama_decode calls (/metrics n_decode_total; a call of more than 512"
	echo "tokens is several ubatch passes), and its prompt/predict seconds are per-request times summed over the slots (they overlap)."
	echo
	echo "| side | wall s | prompt tokens | completion tokens | stories s | tagline + assessment s | weight passes / llama_decode calls | prefill s | decode s |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	echo "| ${labels[0]} | ${best[0]} | $(field prompt_tokens "$e") | $(field completion_tokens "$e") | $(field stories_s "$e") | $(field rest_s "$e") | $(field passes "$e") passes | $(field prefill_s "$e") | $(field decode_s "$e") |"
	if [ -z "$skip" ]; then
		echo "| ${labels[1]} | ${best[1]} | $(field prompt_tokens "$p") | $(field completion_tokens "$p") | $(field stories_s "$p") | $(field rest_s "$p") | $(field llama_decode_calls "$p") calls | $(field server_prompt_s "$p") (summed) | $(field server_predict_s "$p") (summed) |"
		echo
		echo "ratio (engine / llama-server wall): **$(awk -v a="${best[0]}" -v b="${best[1]}" 'BEGIN{printf "%.2f", a/b}')** ($(awk -v a="${best[0]}" -v b="${best[1]}" 'BEGIN{print (a <= b) ? "the engine is at least as fast" : "the engine is slower"}'))"
	else
		echo "| ${labels[1]} | skipped | | | | | | | |"
		echo
		echo "ratio: none (llama-server peer skipped: $skip)"
	fi
	echo
	echo "engine --verbose (best run): \`${verb[0]}\`"
	echo
	echo "Every run:"
	echo
	printf '%s' "$raw"
}

if [ "$COMPARE" = peer ]; then
	peer_main
	exit 0
fi

# ---- COMPARE=batch / pack: through bench/generate_bench.c

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
