/* chat.c — chat templates without a Jinja engine.
 *
 * tokenizer.chat_template is recognised by signature substrings (the same
 * markers llama.cpp's llm_chat_detect_template keys on), and each family is
 * rendered by a few lines of C that produce what its template produces.
 * BOS is left out: the tokenizer adds it when encoding with add_special.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer.h"

static const char *const tmpl_names[ENG_CHAT__COUNT] = {
	[ENG_CHAT_UNKNOWN] = "unknown",
	[ENG_CHAT_CHATML] = "chatml",
	[ENG_CHAT_LLAMA3] = "llama3",
	[ENG_CHAT_LLAMA2] = "llama2",
	[ENG_CHAT_MISTRAL] = "mistral",
	[ENG_CHAT_MISTRAL_V1] = "mistral-v1",
	[ENG_CHAT_MISTRAL_V3] = "mistral-v3",
	[ENG_CHAT_MISTRAL_V7] = "mistral-v7",
	[ENG_CHAT_PHI3] = "phi3",
};

const char *eng_chat_template_name(enum eng_chat_tmpl k)
{
	if ((int)k < 0 || k >= ENG_CHAT__COUNT)
		return "unknown";
	return tmpl_names[k];
}

const char *eng_chat_template_names(void)
{
	return "chatml, llama3, llama2, mistral, mistral-v1, mistral-v3, mistral-v7, phi3";
}

enum eng_chat_tmpl eng_chat_template_from_name(const char *name)
{
	if (!name)
		return ENG_CHAT_UNKNOWN;
	for (int k = 1; k < ENG_CHAT__COUNT; k++)
		if (strcmp(name, tmpl_names[k]) == 0)
			return (enum eng_chat_tmpl)k;
	/* common aliases */
	if (strcmp(name, "llama-3") == 0 || strcmp(name, "llama3.1") == 0 || strcmp(name, "llama3.2") == 0)
		return ENG_CHAT_LLAMA3;
	if (strcmp(name, "llama-2") == 0 || strcmp(name, "llama2-sys") == 0)
		return ENG_CHAT_LLAMA2;
	if (strcmp(name, "smollm") == 0 || strcmp(name, "qwen") == 0 || strcmp(name, "qwen2") == 0)
		return ENG_CHAT_CHATML;
	return ENG_CHAT_UNKNOWN;
}

static int has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

enum eng_chat_tmpl eng_chat_template_detect(const char *t)
{
	if (!t)
		return ENG_CHAT_UNKNOWN;
	enum eng_chat_tmpl byname = eng_chat_template_from_name(t);
	if (byname != ENG_CHAT_UNKNOWN)
		return byname;
	if (has(t, "<|im_start|>"))
		return has(t, "<|im_sep|>") ? ENG_CHAT_UNKNOWN /* phi-4's variant: not supported */
					    : ENG_CHAT_CHATML;
	if (strncmp(t, "mistral", 7) == 0 || has(t, "[INST]")) {
		if (has(t, "[SYSTEM_PROMPT]"))
			return ENG_CHAT_MISTRAL_V7;
		if (has(t, "' [INST] ' + system_message") || has(t, "[AVAILABLE_TOOLS]"))
			return has(t, " [INST]") ? ENG_CHAT_MISTRAL_V1 : ENG_CHAT_MISTRAL_V3;
		return has(t, "<<SYS>>") ? ENG_CHAT_LLAMA2 : ENG_CHAT_MISTRAL;
	}
	if (has(t, "<|start_header_id|>") && has(t, "<|end_header_id|>"))
		return ENG_CHAT_LLAMA3;
	if (has(t, "<|assistant|>") && has(t, "<|end|>"))
		return ENG_CHAT_PHI3;
	return ENG_CHAT_UNKNOWN;
}

int eng_chat_template_default_system(const char *t, char *buf, size_t bufsz)
{
	static const char open[] = "<|im_start|>system";
	if (!t || !buf || !bufsz)
		return 0;
	buf[0] = 0;
	/* only templates that add a system turn when the first message is not one */
	if (!has(t, "!= 'system'") && !has(t, "!= \"system\"") && !has(t, "else"))
		return 0;
	for (const char *p = strstr(t, open); p; p = strstr(p + 1, open)) {
		const char *q = p + sizeof open - 1;
		if (*q == '\n')
			q += 1;
		else if (q[0] == '\\' && q[1] == 'n')
			q += 2;
		else
			continue;
		const char *end = strstr(q, "<|im_end|>");
		if (!end || end == q)
			continue;
		/* a plain literal: no Jinja expression or quote inside */
		int plain = 1;
		for (const char *c = q; c < end; c++)
			if (*c == '\'' || *c == '"' || *c == '{' || *c == '}' || *c == '+')
				plain = 0;
		if (!plain)
			continue;
		size_t n = 0;
		for (const char *c = q; c < end && n + 1 < bufsz; c++) {
			if (c[0] == '\\' && c + 1 < end && c[1] == 'n') {
				buf[n++] = '\n';
				c++;
			} else {
				buf[n++] = *c;
			}
		}
		buf[n] = 0;
		return n > 0;
	}
	return 0;
}

/* ---- rendering ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put_n(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void put(struct sbuf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

/* s without leading/trailing ASCII whitespace (Jinja's strip / trim) */
static void put_trim(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	put_n(b, s, n);
}

static int role_is(const struct eng_chat_msg *m, const char *r)
{
	return strcmp(m->role, r) == 0;
}

static void render_chatml(struct sbuf *b, const struct eng_chat_msg *m, int n, int add)
{
	for (int i = 0; i < n; i++) {
		put(b, "<|im_start|>");
		put(b, m[i].role);
		put(b, "\n");
		put(b, m[i].content);
		put(b, "<|im_end|>\n");
	}
	if (add)
		put(b, "<|im_start|>assistant\n");
}

static void render_llama3(struct sbuf *b, const struct eng_chat_msg *m, int n, int add)
{
	for (int i = 0; i < n; i++) {
		put(b, "<|start_header_id|>");
		put(b, m[i].role);
		put(b, "<|end_header_id|>\n\n");
		put_trim(b, m[i].content);
		put(b, "<|eot_id|>");
	}
	if (add)
		put(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* Llama 2 chat, as its template: a system message goes into the first turn
 * inside <<SYS>>, each turn's content is stripped, every [INST] but the
 * first (whose BOS the tokenizer adds) is preceded by <s>, and an answer is
 * " answer </s>". */
static void render_llama2(struct sbuf *b, const struct eng_chat_msg *m, int n)
{
	const char *sys = NULL;
	int i0 = 0, first_inst = 1;
	if (n > 0 && role_is(&m[0], "system")) {
		sys = m[0].content;
		i0 = 1;
	}
	for (int i = i0; i < n; i++) {
		struct sbuf c = { 0 };
		if (i == i0 && sys) {
			put(&c, "<<SYS>>\n");
			put(&c, sys);
			put(&c, "\n<</SYS>>\n\n");
		}
		put(&c, m[i].content);
		if (c.oom) {
			b->oom = 1;
			free(c.p);
			return;
		}
		if (role_is(&m[i], "user")) {
			put(b, first_inst ? "[INST] " : "<s>[INST] ");
			first_inst = 0;
			put_trim(b, c.p);
			put(b, " [/INST]");
		} else if (role_is(&m[i], "assistant")) {
			put(b, " ");
			put_trim(b, c.p);
			put(b, " </s>");
		}
		free(c.p);
	}
}

/* Mistral v0.1/v0.2 (Llama-2 layout without <<SYS>>, as llama.cpp renders
 * it): a system text leads the turn followed by a newline, contents as
 * given, "[INST] user [/INST]answer</s>". */
static void render_mistral_l2(struct sbuf *b, const struct eng_chat_msg *m, int n)
{
	int inside = 1;
	put(b, "[INST] ");
	for (int i = 0; i < n; i++) {
		if (!inside) {
			inside = 1;
			put(b, "[INST] ");
		}
		put(b, m[i].content);
		if (role_is(&m[i], "system")) {
			put(b, "\n");
		} else if (role_is(&m[i], "user")) {
			put(b, " [/INST]");
		} else {
			put(b, "</s>");
			inside = 0;
		}
	}
}

static void render_mistral(struct sbuf *b, const struct eng_chat_msg *m, int n, enum eng_chat_tmpl k)
{
	if (k == ENG_CHAT_MISTRAL_V7) {
		for (int i = 0; i < n; i++) {
			if (role_is(&m[i], "system")) {
				put(b, "[SYSTEM_PROMPT] ");
				put(b, m[i].content);
				put(b, "[/SYSTEM_PROMPT]");
			} else if (role_is(&m[i], "user")) {
				put(b, "[INST] ");
				put(b, m[i].content);
				put(b, "[/INST]");
			} else {
				put(b, " ");
				put(b, m[i].content);
				put(b, "</s>");
			}
		}
		return;
	}
	int v1 = k == ENG_CHAT_MISTRAL_V1, inside = 0;
	for (int i = 0; i < n; i++) {
		if (!inside) {
			put(b, v1 ? " [INST] " : "[INST] ");
			inside = 1;
		}
		if (role_is(&m[i], "system")) {
			put(b, m[i].content);
			put(b, "\n\n");
		} else if (role_is(&m[i], "user")) {
			put(b, m[i].content);
			put(b, v1 ? " [/INST]" : "[/INST]");
		} else {
			put(b, " ");
			if (v1)
				put(b, m[i].content);
			else
				put_trim(b, m[i].content);
			put(b, "</s>");
			inside = 0;
		}
	}
}

static void render_phi3(struct sbuf *b, const struct eng_chat_msg *m, int n, int add)
{
	for (int i = 0; i < n; i++) {
		put(b, "<|");
		put(b, m[i].role);
		put(b, "|>\n");
		put(b, m[i].content);
		put(b, "<|end|>\n");
	}
	if (add)
		put(b, "<|assistant|>\n");
}

enum eng_err eng_chat_render(enum eng_chat_tmpl k, const struct eng_chat_msg *msgs, int n,
			     int add_assistant, const char *default_system, char **out)
{
	if (out)
		*out = NULL;
	if (!out || n < 0 || (n > 0 && !msgs))
		return ENG_ERR_INVALID_ARG;
	if (k <= ENG_CHAT_UNKNOWN || k >= ENG_CHAT__COUNT)
		return ENG_ERR_TEMPLATE;
	for (int i = 0; i < n; i++)
		if (!msgs[i].role || !msgs[i].content)
			return ENG_ERR_INVALID_ARG;

	/* the conversation, with the default system message in front if needed */
	const struct eng_chat_msg *m = msgs;
	struct eng_chat_msg *tmp = NULL;
	if (default_system && *default_system && !(n > 0 && strcmp(msgs[0].role, "system") == 0)) {
		tmp = malloc((size_t)(n + 1) * sizeof *tmp);
		if (!tmp)
			return ENG_ERR_NOMEM;
		tmp[0].role = "system";
		tmp[0].content = default_system;
		if (n)
			memcpy(tmp + 1, msgs, (size_t)n * sizeof *tmp);
		m = tmp;
		n++;
	}

	struct sbuf b = { 0 };
	put(&b, ""); /* never NULL, even for an empty conversation */
	switch (k) {
	case ENG_CHAT_CHATML: render_chatml(&b, m, n, add_assistant); break;
	case ENG_CHAT_LLAMA3: render_llama3(&b, m, n, add_assistant); break;
	case ENG_CHAT_LLAMA2: render_llama2(&b, m, n); break;
	case ENG_CHAT_MISTRAL: render_mistral_l2(&b, m, n); break;
	case ENG_CHAT_MISTRAL_V1:
	case ENG_CHAT_MISTRAL_V3:
	case ENG_CHAT_MISTRAL_V7: render_mistral(&b, m, n, k); break;
	case ENG_CHAT_PHI3: render_phi3(&b, m, n, add_assistant); break;
	default: break;
	}
	free(tmp);
	if (b.oom) {
		free(b.p);
		return ENG_ERR_NOMEM;
	}
	*out = b.p;
	return ENG_OK;
}
