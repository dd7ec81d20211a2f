/* tokenizer.h — engine-private: the tokenizer (BPE and SentencePiece as
 * GGUF describes them), detokenisation (whole and streaming) and chat
 * templates. Prefix eng_tok_ / eng_chat_.
 *
 * Behaviour follows llama.cpp (commit c392e50) token for token:
 *   - `tokenizer.ggml.model = gpt2`: byte-level BPE. Text is split by the
 *     pre-tokenizer named in `tokenizer.ggml.pre` (llama3/llama-bpe, qwen2,
 *     smollm, gpt-2 and their aliases; absent or "default": llama.cpp's
 *     default chain), each piece is mapped byte -> code point (GPT-2 map)
 *     and merged by merge rank (lowest first, leftmost on ties).
 *   - `tokenizer.ggml.model = llama`: SentencePiece. Spaces become U+2581,
 *     a space is prefixed at the start and after a special token
 *     (add_space_prefix, default on), pieces merge by highest score, and
 *     anything left that is not a token falls back to <0xNN> byte tokens
 *     (or unk).
 *   - Special tokens (CONTROL, USER_DEFINED, UNKNOWN types) are split out of
 *     the text before the above, longest text first; with parse_special off
 *     only USER_DEFINED ones are.
 *   - BOS/EOS are added per tokenizer.ggml.add_bos_token/add_eos_token, with
 *     llama.cpp's defaults when a key is absent (SPM: BOS yes; BPE: no).
 *
 * Lifetime: eng_tok_load copies everything it needs out of the GGUF, so the
 * tokenizer does not borrow from the reader. A loaded tokenizer is
 * read-only and may be used from several threads at once; an eng_tok_stream
 * belongs to one thread.
 */
#ifndef BRIEFING_ENGINE_TOKENIZER_H
#define BRIEFING_ENGINE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct eng_gguf;
struct eng_tok;

enum eng_tok_type {
	ENG_TOK_SPM = 1,  /* tokenizer.ggml.model "llama" */
	ENG_TOK_BPE = 2,  /* tokenizer.ggml.model "gpt2" */
};

/* Token attributes (llama.cpp's llama_token_attr bits). */
enum {
	ENG_TOK_ATTR_UNKNOWN = 1 << 0,
	ENG_TOK_ATTR_UNUSED = 1 << 1,
	ENG_TOK_ATTR_NORMAL = 1 << 2,
	ENG_TOK_ATTR_CONTROL = 1 << 3,
	ENG_TOK_ATTR_USER_DEFINED = 1 << 4,
	ENG_TOK_ATTR_BYTE = 1 << 5,
	ENG_TOK_ATTR_LSTRIP = 1 << 7,
	ENG_TOK_ATTR_RSTRIP = 1 << 8,
};

/* Builds the tokenizer described by g's tokenizer.* metadata. On success
 * *out is owned by the caller (eng_tok_free). On failure *out = NULL, the
 * code is ENG_ERR_TOKENIZER (or NOMEM / MISSING_KEY / SHAPE) and err (if
 * not NULL) holds a reason, e.g. naming the supported pre-tokenizers. */
enum eng_err eng_tok_load(const struct eng_gguf *g, struct eng_tok **out, char *err, size_t errsz);
void eng_tok_free(struct eng_tok *t);

/* ---- queries ---- */
enum eng_tok_type eng_tok_type(const struct eng_tok *t);
/* The pre-tokenizer's name as resolved ("llama3", "qwen2", "smollm", "gpt2",
 * "default"; "spm" for SentencePiece). Static string. */
const char *eng_tok_pre_name(const struct eng_tok *t);
int eng_tok_n_vocab(const struct eng_tok *t);
int32_t eng_tok_bos(const struct eng_tok *t);   /* -1 when none */
int32_t eng_tok_eos(const struct eng_tok *t);   /* -1 when none */
int32_t eng_tok_eot(const struct eng_tok *t);   /* <|eot_id|>, <|im_end|>, ...; -1 when none */
int32_t eng_tok_unk(const struct eng_tok *t);   /* -1 when none */
int32_t eng_tok_pad(const struct eng_tok *t);   /* -1 when none */
int eng_tok_add_bos(const struct eng_tok *t);   /* 1 if encode(add_special) prepends BOS */
int eng_tok_add_eos(const struct eng_tok *t);
/* End of generation: eos, eot, eom and the other end-of-turn tokens. */
int eng_tok_is_eog(const struct eng_tok *t, int32_t id);
/* Attribute bits of id (0 if out of range). */
unsigned eng_tok_attr(const struct eng_tok *t, int32_t id);
/* Token text as stored in the vocabulary (e.g. "Ġthe", "▁the", "<0x0A>");
 * borrowed from t. NULL if id is out of range. */
const char *eng_tok_text(const struct eng_tok *t, int32_t id, size_t *len);
/* Token id of an exact vocabulary text, or -1. */
int32_t eng_tok_find(const struct eng_tok *t, const char *text, size_t len);

/* ---- encoding ---- */

/* Tokenizes text[0..len) (any bytes; invalid UTF-8 is handled as
 * llama.cpp does). add_special: add BOS/EOS as the metadata asks;
 * parse_special: text of control tokens becomes those tokens.
 * Writes up to max ids and sets *n_out to the number the text needs; if
 * that exceeds max, returns ENG_ERR_INVALID_ARG (call again with a bigger
 * buffer, or use eng_tok_encode_alloc). */
enum eng_err eng_tok_encode(const struct eng_tok *t, const char *text, size_t len, int add_special,
			    int parse_special, int32_t *ids, int max, int *n_out);
/* Same, into a malloc'd array *ids_out (caller frees; non-NULL even when
 * the result is empty). */
enum eng_err eng_tok_encode_alloc(const struct eng_tok *t, const char *text, size_t len,
				  int add_special, int parse_special, int32_t **ids_out, int *n_out);

/* ---- decoding ---- */

/* The bytes token id stands for (llama_token_to_piece with special=true:
 * control tokens render as their text, byte tokens as the byte, U+2581 as
 * a space, BPE's byte map reversed). Borrowed from t; NULL and *len = 0 if
 * id is out of range. May be a partial UTF-8 character. */
const char *eng_tok_piece(const struct eng_tok *t, int32_t id, size_t *len);

/* Detokenises a whole sequence like llama_detokenize: remove_special drops a
 * leading BOS / trailing EOS (when the vocab adds them), unparse_special
 * renders control tokens as text (else they vanish); with add_space_prefix
 * (SPM) one leading space of the first token is dropped, but only when the
 * sequence does not start with BOS (llama.cpp's rule, so "<s> Hi" decodes
 * to " Hi"); BPE vocabs with clean-up enabled (gpt2, llama3) tidy " ,"
 * " ." " 's" etc. Writes up to cap bytes (not NUL-terminated; out may be
 * NULL with cap 0) and returns the full length (compare with cap, like
 * snprintf). */
size_t eng_tok_decode(const struct eng_tok *t, const int32_t *ids, int n, int remove_special,
		      int unparse_special, char *out, size_t cap);

/* Streaming detokeniser: feed generated tokens one at a time and get text
 * that is always valid UTF-8 — never half a character. An incomplete
 * multi-byte sequence at the end of a piece is held back until the next
 * token completes it; bytes that can never form a character come out as
 * U+FFFD. */
enum {
	ENG_TOK_STREAM_SPECIAL = 1 << 0,     /* render control tokens' text (else skip them) */
	ENG_TOK_STREAM_LSTRIP_FIRST = 1 << 1, /* drop one leading space of the first text */
};
struct eng_tok_stream;
/* t must outlive the stream. NULL on allocation failure. */
struct eng_tok_stream *eng_tok_stream_new(const struct eng_tok *t, unsigned flags);
void eng_tok_stream_free(struct eng_tok_stream *s);
/* Appends token id; returns the newly completed text (borrowed from s,
 * valid until the next call on s, NUL-terminated) and its length in *len
 * (possibly 0). NULL only on allocation failure. */
const char *eng_tok_stream_push(struct eng_tok_stream *s, int32_t id, size_t *len);
/* Ends the stream: returns what is still held back (as U+FFFD for each
 * incomplete sequence) and resets s for reuse. */
const char *eng_tok_stream_flush(struct eng_tok_stream *s, size_t *len);

/* ---- chat templates (chat.c) -----------------------------------------------
 *
 * No Jinja: the family is recognised from signature substrings of
 * tokenizer.chat_template (or chosen by name), and rendered by C code that
 * produces what the family's template produces. The rendered text holds
 * special-token text (e.g. "<|im_start|>"): encode it with parse_special.
 * BOS is not part of the text (encode with add_special adds it). */
enum eng_chat_tmpl {
	ENG_CHAT_UNKNOWN = 0,
	ENG_CHAT_CHATML,      /* <|im_start|>role\n...<|im_end|>\n (SmolLM, Qwen) */
	ENG_CHAT_LLAMA3,      /* <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> */
	ENG_CHAT_LLAMA2,      /* [INST] <<SYS>>\n..\n<</SYS>>\n\n.. [/INST] ..</s><s>[INST] (Llama 2 chat) */
	ENG_CHAT_MISTRAL,     /* [INST] .. [/INST]..</s>[INST] (Llama-2 style, no <<SYS>>: Mistral v0.1/0.2) */
	ENG_CHAT_MISTRAL_V1,  /*  [INST] .. [/INST] ..</s> */
	ENG_CHAT_MISTRAL_V3,  /* [INST] ..[/INST] ..</s> */
	ENG_CHAT_MISTRAL_V7,  /* [SYSTEM_PROMPT] ..[/SYSTEM_PROMPT][INST] ..[/INST] ..</s> */
	ENG_CHAT_PHI3,        /* <|role|>\n..<|end|>\n */
	ENG_CHAT__COUNT
};

struct eng_chat_msg {
	const char *role;     /* "system", "user", "assistant" */
	const char *content;
};

/* Family of a template text (NULL -> UNKNOWN). A bare family name
 * (see eng_chat_template_names) is accepted too. */
enum eng_chat_tmpl eng_chat_template_detect(const char *tmpl);
/* By name only (the override option); UNKNOWN if the name is not one. */
enum eng_chat_tmpl eng_chat_template_from_name(const char *name);
/* "chatml", "llama3", ...; "unknown". Static string. */
const char *eng_chat_template_name(enum eng_chat_tmpl k);
/* Comma-separated list of the names above, for error messages. */
const char *eng_chat_template_names(void);

/* The system prompt a template adds when the conversation has none (e.g.
 * SmolLM2's ChatML template), copied into buf; 0 if there is none. */
int eng_chat_template_default_system(const char *tmpl, char *buf, size_t bufsz);

/* Renders msgs[0..n) in family k; add_assistant appends the opening of the
 * assistant's turn. default_system (may be NULL) is inserted as a system
 * message when msgs has none. *out is malloc'd and NUL-terminated (caller
 * frees). ENG_ERR_TEMPLATE for UNKNOWN, ENG_ERR_INVALID_ARG for a NULL
 * role/content. */
enum eng_err eng_chat_render(enum eng_chat_tmpl k, const struct eng_chat_msg *msgs, int n,
			     int add_assistant, const char *default_system, char **out);

#endif
