#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizer/smollm2.{inp,out}: SmolLM2's tokenization
of test inputs by an independent implementation (Hugging Face `tokenizers`),
for test_engine_tokenizer's smollm pre-tokenizer check. Developer tool, not
part of the build.

    pip install tokenizers          # in a virtualenv
    python3 scripts/gen-tokenizer-fixtures.py SmolLM2-135M-Instruct.Q4_1.gguf SHARED_DIR

The BPE vocab and merges are read from the GGUF; the pre-tokenizer is
SmolLM2's tokenizer.json one: Digits(individual_digits) then ByteLevel
(no prefix space, GPT-2 regex); the 17 CONTROL tokens are special added
tokens (so their text in an input is parsed, as with parse_special).
Output format as llama.cpp's .inp/.out (see shared/corpus/tokenizer/README.md).
"""
import random
import struct
import sys

from tokenizers import Tokenizer, models, pre_tokenizers, AddedToken


def gguf_kv(path):
    f = open(path, 'rb')
    assert f.read(4) == b'GGUF'
    def rd(fmt):
        return struct.unpack('<' + fmt, f.read(struct.calcsize('<' + fmt)))
    def rstr():
        (n,) = rd('Q')
        return f.read(n)
    sizes = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?', 10: 'Q', 11: 'q', 12: 'd'}
    def val(t):
        if t == 8:
            return rstr()
        if t == 9:
            at, n = rd('IQ')
            return [val(at) for _ in range(n)]
        return rd(sizes[t])[0]
    _, _, nkv = rd('IQQ')
    kv = {}
    for _ in range(nkv):
        k = rstr().decode()
        (t,) = rd('I')
        kv[k] = val(t)
    return kv


def main():
    kv = gguf_kv(sys.argv[1])
    shared = sys.argv[2]
    toks = [t.decode('utf-8') for t in kv['tokenizer.ggml.tokens']]
    types = kv['tokenizer.ggml.token_type']
    merges = [tuple(m.decode('utf-8').split(' ', 1)) for m in kv['tokenizer.ggml.merges']]
    tk = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(toks)}, merges=merges))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tk.add_special_tokens([AddedToken(t, special=True, normalized=False)
                           for t, ty in zip(toks, types) if ty == 3])

    sep = '\n__ggml_vocab_test__\n'
    tests = open(shared + '/corpus/tokenizer/ggml-vocab-gpt-2.gguf.inp', encoding='utf-8').read().split(sep)[:-1]
    tests.append(open(shared + '/corpus/engine/long_prompt.txt', encoding='utf-8').read())
    tests.append('<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face'
                 '<|im_end|>\n<|im_start|>user\nSummarise: 3 ships, 12 crew, 1,024 tons.<|im_end|>\n'
                 '<|im_start|>assistant\n')
    random.seed(2)
    pool = list(" \t\n 'sStTmMdD0123456789aZeihn.,!?-_()") + \
        [chr(c) for c in (0xA0, 0xE9, 0x416, 0x4E2D, 0x661, 0x1F600, 0x20AC, 0xBD)]
    for _ in range(60):
        tests.append(''.join(random.choice(pool) for _ in range(random.randint(1, 40))))
    with open('tests/fixtures/tokenizer/smollm2.inp', 'w', encoding='utf-8', newline='') as f:
        for t in tests:
            f.write(t + sep)
    with open('tests/fixtures/tokenizer/smollm2.out', 'w', newline='') as f:
        for t in tests:
            f.write(''.join(' %d' % i for i in tk.encode(t, add_special_tokens=False).ids) + '\n')
    print(len(tests), 'inputs')


if __name__ == '__main__':
    main()
