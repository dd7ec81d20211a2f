#!/usr/bin/env bash
# bench/gpu.sh — everything the CUDA backend needs a GPU for, in one call:
# build (make engine CUDA=1), make check-gpu (parity with the CPU backend on
# the corpus models, per-layer NMSE, batched == alone, tier mixes), then the
# benchmarks:
#   - pinned host->device bandwidth (the bound of a streamed pass);
#   - an 8B-shaped Q4_K_M model fully resident: tokens/s at batch 1 and 16,
#     prompt tokens/s;
#   - a 70B-shaped Q4_K_M model under a 22 GB VRAM budget, the rest streamed
#     from pinned RAM: time per pass, achieved GB/s against the bound,
#     tokens/s at batch 1, 4 and 16.
# Models are made on the spot with `briefing-model synth --fast` (the GPU
# machine has no network); the vocabulary comes from the corpus.
#
#   bash bench/gpu.sh            (on the GPU machine, from the repository root)
#
# Environment: OUT (results folder, default bench/tmp/gpu), CORPUS (the
# corpus engine folder, default .gpu/corpus, else ../shared/corpus/engine),
# CUDA_ARCH (default -arch=sm_90), MODELS_DIR (where the synthetic models go:
# /dev/shm when it has room, else /tmp), SKIP_70B=1.
set -u
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
OUT=${OUT:-bench/tmp/gpu}
mkdir -p "$OUT"
CORPUS=${CORPUS:-.gpu/corpus}
[ -d "$CORPUS" ] || CORPUS=../shared/corpus/engine
CUDA_ARCH=${CUDA_ARCH:--arch=sm_90}
J=$(nproc)
log=$OUT/gpu-log.txt
res=$OUT/gpu-results.md
: >"$log"
t0=$SECONDS
step() { echo "== [$((SECONDS - t0)) s] $*" | tee -a "$log"; }

{
	echo "# bench/gpu.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo '```'
	nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,pcie.link.gen.current,pcie.link.width.current --format=csv 2>&1
	echo "cpu: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"
	nvcc --version | tail -1
	echo '```'
} >"$res"

step "build: make engine CUDA=1"
make -j"$J" engine CUDA=1 CUDA_ARCH="$CUDA_ARCH" >>"$log" 2>&1 || { echo "build failed"; tail -40 "$log"; exit 1; }

step "make check-gpu"
BRIEFING_GPU_CORPUS=$CORPUS make -j"$J" check-gpu CUDA_ARCH="$CUDA_ARCH" >"$OUT/check-gpu.txt" 2>&1
gpu_rc=$?
grep -vE '^(cc|nvcc|make)' "$OUT/check-gpu.txt" | tail -60
{
	echo
	echo "## make check-gpu (exit $gpu_rc)"
	echo
	echo '```'
	grep -E '^(ok|FAIL|skip|PASS|SKIP|device)' "$OUT/check-gpu.txt"
	echo '```'
} >>"$res"

VOCAB=$CORPUS/tiny-llama3-tied-q4_k_m.gguf   # the Llama-3 vocabulary (128256 tokens)
if [ -z "${MODELS_DIR:-}" ]; then
	MODELS_DIR=/tmp
	shm=$(df -BG --output=avail /dev/shm 2>/dev/null | tail -1 | tr -dc 0-9)
	[ -n "$shm" ] && [ "$shm" -ge 48 ] && MODELS_DIR=/dev/shm
fi

bench() { # name, model, bench args...
	local name=$1 model=$2; shift 2
	step "bench $name: briefing-model bench $model $*"
	echo >>"$res"
	echo "## $name" >>"$res"
	echo >>"$res"
	echo "\`briefing-model bench $(basename "$model") $*\`" >>"$res"
	echo >>"$res"
	./briefing-model bench "$model" "$@" 2>&1 | tee -a "$res"
}

step "synth 8B Q4_K_M (--fast) into $MODELS_DIR"
./briefing-model synth --fast --shape 8b --type Q4_K_M --vocab-from "$VOCAB" -o "$MODELS_DIR/8b.gguf" 2>&1 | tee -a "$log"
bench "8B-shaped Q4_K_M, fully resident" "$MODELS_DIR/8b.gguf" --device cuda -p 512 -n 64 -b 1,4,16 -t 16
# the kernels for products of more than 8 tokens (same bits, different speed)
for mm in warp rows8 rows16; do
	BRIEFING_CUDA_MM=$mm bench "8B resident, BRIEFING_CUDA_MM=$mm: prompt" "$MODELS_DIR/8b.gguf" \
		--device cuda -p 512 -n 4 -b 1 -t 16
	BRIEFING_CUDA_MM=$mm bench "8B resident, BRIEFING_CUDA_MM=$mm: batch 16" "$MODELS_DIR/8b.gguf" \
		--device cuda -p 16 -n 32 -b 16 -t 16
done

if [ "${SKIP_70B:-0}" != 1 ]; then
	step "synth 70B Q4_K_M (--fast) into $MODELS_DIR"
	./briefing-model synth --fast --shape 70b --type Q4_K_M --vocab-from "$VOCAB" -o "$MODELS_DIR/70b.gguf" 2>&1 | tee -a "$log"
	ls -la "$MODELS_DIR/70b.gguf" | tee -a "$log"
	bench "70B-shaped Q4_K_M, 22 GB VRAM budget, the rest streamed from pinned RAM" "$MODELS_DIR/70b.gguf" \
		--device cuda --vram-budget 22G -p 32 -n 8 -b 1,4,16 -t 16
	bench "70B-shaped Q4_K_M, 22 GB VRAM, 10 GB pinned RAM, the rest read from the file each pass" \
		"$MODELS_DIR/70b.gguf" --device cuda --vram-budget 22G --ram-budget 10G -p 8 -n 4 -b 1,4 -t 16
	rm -f "$MODELS_DIR/70b.gguf"
fi
BRIEFING_BENCH_PASSES=1 bench "8B-shaped Q4_K_M, 2 GB of VRAM (most layers streamed from pinned RAM)" \
	"$MODELS_DIR/8b.gguf" --device cuda --vram-budget 2G -p 64 -n 16 -b 1,16 -t 16
rm -f "$MODELS_DIR/8b.gguf"
step "done"
cp "$log" "$OUT/" 2>/dev/null
echo
cat "$res"
