#!/usr/bin/env bash
# Writes tests/fixtures/tokenizer/pretok.txt: how llama.cpp's own
# unicode_regex_split (src/unicode.cpp) splits test inputs with the regex
# lists of the gpt2, llama3, qwen2, smollm and default pre-tokenizers, so
# test_engine_tokenizer can hold our hand-written matchers to it. Developer
# tool, not part of the build; needs g++ and python3.
#   scripts/gen-pretok-fixture.sh LLAMA_CPP_SRC_DIR [SHARED_DIR]
# Line format: KIND HEX_INPUT LEN... (KIND = enum eng_pretok value; each LEN
# is one piece, in code points of the input decoded as llama.cpp does).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$1
shared=${2:-../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/split.cpp" <<'CPP'
#include "unicode.h"
#include <cstdio>
#include <string>
#include <vector>
/* stdin: records (kind byte, u32 length, bytes); stdout: per record the
 * piece lengths in code points */
int main() {
	const std::string gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
	const std::string alt = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|";
	const std::string tail = "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
	const std::vector<std::vector<std::string>> kinds = {
		{ gpt2 },
		{ alt + "\\p{N}{1,3}" + tail },
		{ alt + "\\p{N}" + tail },
		{ "\\p{N}", gpt2 },
		{ "[\\p{P}\\$\\+<=>\\^~\\|]+", gpt2, "\\p{N}+", "[0-9][0-9][0-9]" },
	};
	unsigned char k;
	unsigned len;
	while (fread(&k, 1, 1, stdin) == 1 && fread(&len, 4, 1, stdin) == 1) {
		std::string s(len, '\0');
		if (len && fread(&s[0], 1, len, stdin) != len)
			return 1;
		for (auto &w : unicode_regex_split(s, kinds.at(k))) {
			/* words come back byte-level encoded: undo that, count code points */
			std::string raw;
			for (uint32_t c : unicode_cpts_from_utf8(w))
				raw += (char)unicode_utf8_to_byte(unicode_cpt_to_utf8(c));
			printf(" %zu", unicode_cpts_from_utf8(raw).size());
		}
		printf("\n");
	}
}
CPP
g++ -std=c++17 -O1 -I"$src/src" -o "$tmp/split" "$tmp/split.cpp" "$src/src/unicode.cpp" "$src/src/unicode-data.cpp"
python3 - "$tmp/split" "$shared" <<'PY'
import random, struct, subprocess, sys
split, shared = sys.argv[1], sys.argv[2]
sep = '\n__ggml_vocab_test__\n'
tests = [t.encode() for t in open(shared + '/corpus/tokenizer/ggml-vocab-gpt-2.gguf.inp', encoding='utf-8').read().split(sep)[:-1]]
random.seed(3)
pool = list(" \t\n\r\x0b\x0c\x1c  'sStTmMdDrReEvVlL0123456789aZ.,!?-_()[]$+<=>^~|`@#\"") + [chr(c) for c in (
    0xA0, 0x2003, 0x3000, 0x85, 0xE9, 0xDF, 0x416, 0x4E2D, 0x661, 0xB2, 0x2160, 0x1F600, 0x301, 0x200D,
    0xFE0F, 0x20AC, 0xBD, 0x1780, 0x17B6, 0x5D0, 0xE01, 0x2028, 0x31350, 0x10D40, 0xE000, 0xAD, 0x37E, 0xFF10)]
for _ in range(150):
    s = bytearray(''.join(random.choice(pool) for _ in range(random.randint(1, 40))).encode())
    if random.random() < 0.2:  # invalid UTF-8 too
        for _ in range(random.randint(1, 3)):
            s.insert(random.randint(0, len(s)), random.choice([0x80, 0xC3, 0xE2, 0xF0, 0xFF, 0xBF]))
    tests.append(bytes(s))
data = b''.join(struct.pack('<BI', k, len(t)) + t for k in range(5) for t in tests)
out = subprocess.run([split], input=data, capture_output=True, check=True).stdout.decode().split('\n')
with open('tests/fixtures/tokenizer/pretok.txt', 'w') as f:
    i = 0
    for k in range(5):
        for t in tests:
            f.write('%d %s%s\n' % (k, t.hex() or '-', out[i]))
            i += 1
print(i, 'lines')
PY
