#!/usr/bin/env bash
# Speculative decoding (issue 9) on SmolLM2-135M-Instruct (Q4_1): with a
# draft requantised from it (Q4_0, made by briefing-model quantize) and with
# the model as its own draft (the acceptance ceiling). Prints markdown:
#   1. briefing-model bench --draft: greedy text generation of 64 tokens from
#      real prompts, one sequence and a batch of 4, without and with the draft
#      at k = 1..8 and the adaptive k: tokens/s, acceptance, tokens a verify pass;
#   2. the demo's briefing (data/samples, 10 stories) written through the
#      engine without and with each draft (draft_k = 4): the weight passes of
#      the stories' call and of the tagline-and-assessment call
#      (BRIEFING_ENGINE_TRACE), per decoded token.
# Takes about 15 minutes on 2 cores. Usage: bash bench/speculative.sh [-t THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${2:-2}
make -j2 briefing briefing-model >/dev/null
bash scripts/fetch-smollm2.sh >/dev/null
M=.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
D=$tmp/SmolLM2-135M-Instruct.Q4_0.gguf
./briefing-model quantize "$M" "$D" --type Q4_0 >/dev/null

echo "# Speculative decoding, $(date -u +%F)"
echo
echo "- Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; threads $threads"
echo "- Command: \`bash bench/speculative.sh\`"
echo "- Model: $(basename "$M"); drafts: the same file requantised to Q4_0"
echo "  (\`briefing-model quantize ... --type Q4_0\`) and the model itself"
echo
echo "## 1. Text generation (briefing-model bench --draft, greedy, 64 tokens)"
echo
[ -n "${SPEC_SKIP_BENCH:-}" ] || for d in "$D" "$M"; do
	for k in 1 2 3 4 5 6 7 8 0; do
		echo "### draft $(basename "$d"), k $([ "$k" = 0 ] && echo adaptive || echo "$k")"
		echo
		./briefing-model bench "$M" -t "$threads" -p 16 -n 64 -b 1,4 --draft "$d" --draft-k "$k" |
			grep -E '^\| (llama|model|---) |sg64|^<!-- sg' | grep -v -E 'pp16|tg64'
		echo
	done
done

echo "## 2. The demo's briefing through the engine"
echo
export HOME=$tmp XDG_CONFIG_HOME=$tmp/c XDG_DATA_HOME=$tmp/d BRIEFING_NO_DEFAULT_FEEDS=1 TZ=UTC
export BRIEFING_NOW=$(date -d '2026-02-21 19:00Z' +%s)
mkdir -p "$tmp/c/briefing"
for f in data/samples/*.xml; do ./briefing --db "$tmp/b.db" feeds add "$f" >/dev/null; done
./briefing --db "$tmp/b.db" fetch --quiet
echo "| draft | call | requests | passes | tokens made | passes a token | accepted | seconds |"
echo "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"
for d in none "$D" "$M"; do
	if [ "$d" = none ]; then : > "$tmp/c/briefing/config"
	else printf '[llm]\ndraft = %s\ndraft_k = 4\n' "$d" > "$tmp/c/briefing/config"; fi
	t0=$(date +%s.%N)
	BRIEFING_ENGINE_TRACE=1 ./briefing --db "$tmp/b.db" generate --backend engine --model "$M" \
		--since 2026-02-14 --quiet 2> "$tmp/trace" || { cat "$tmp/trace"; exit 1; }
	t1=$(date +%s.%N)
	name=$([ "$d" = none ] && echo none || basename "$d")
	awk -v name="$name" -v secs="$(echo "$t1 - $t0" | bc)" '/^engine call:/ {
		n++; sub(/,/, "", $3); req = $3; sub(/,/, "", $5); pas = $5; sub(/,/, "", $7); dec = $7;
		r = $11; dr = $13; ac = $15; mk = $17;
		gsub(/,/, "", r); gsub(/,/, "", dr); gsub(/,/, "", ac);
		# with a draft, the verify passes also carry the rejected tokens:
		# count the tokens the rounds made instead
		if (mk + 0 > 0) dec = mk;
		call = n == 1 ? "stories" : "tagline + assessment";
		ratio = 0; if (dec > 0) ratio = pas / dec;
		acc = "-"; if (dr > 0) acc = ac "/" dr;
		tm = ""; if (n == 1) tm = sprintf("%.0f (all)", secs);
		printf "| %s | %s | %s | %s | %s | %.2f | %s | %s |\n", name, call, req, pas, dec, ratio, acc, tm;
	}' "$tmp/trace"
done
