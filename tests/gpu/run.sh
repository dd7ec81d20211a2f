#!/usr/bin/env bash
# make check-gpu: the CUDA backend's tests. Skips (exit 0, with a message)
# where there is no usable GPU. The corpus comes from $BRIEFING_GPU_CORPUS,
# else $BRIEFING_SHARED/corpus/engine, else ../shared/corpus/engine.
set -u
cd "$(dirname "$0")/../.."
corpus=${BRIEFING_GPU_CORPUS:-${BRIEFING_SHARED:-$(cd .. && pwd)/shared}/corpus/engine}
status=0
for t in build/release-cuda/tests/gpu/*; do
	[ -x "$t" ] || continue
	echo "== $(basename "$t")"
	"$t" "$corpus" || status=1
done
# the standalone tool on the GPU: auto picks CUDA, and a forced device that
# is missing is a clear error, not a crash
if ./briefing-model run "$corpus/stories260K.gguf" -p "Once upon a time" -n 16 --device auto -v \
	>/tmp/gpu-run.txt 2>&1; then
	echo "ok    briefing-model run --device auto: $(grep -m1 -i 'device' /tmp/gpu-run.txt)"
else
	echo "FAIL  briefing-model run --device auto"; cat /tmp/gpu-run.txt; status=1
fi
exit $status
