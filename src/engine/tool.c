/* tool.c — the model tool: `briefing model ...` and the standalone
 * `briefing-model ...` (same subcommands):
 *   info FILE                      architecture, shapes, types, size, template, memory
 *   run FILE -p PROMPT [options]   stream a generation to stdout
 *   bench FILE [options]           pp/tg tokens per second, batch sizes 1, 4, 16
 *   synth --shape S --type T --vocab-from FILE -o OUT [--fast]   seeded random GGUF
 *   quantize IN OUT --type T [--pure] [...]   requantise a model (llama-quantize's job)
 * This is the one engine file that prints: it is a command-line front end. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/tiers.h"
#include "engine/tokenizer.h"
#include "engine/cpu/cpu_int.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress_tty(void *ud, float f)
{
	(void)ud;
	fprintf(stderr, "\rloading %3d%%", (int)(f * 100.0f + 0.5f));
	if (f >= 1.0f)
		fprintf(stderr, "\r            \r");
	fflush(stderr);
}

static eng_model *open_model(const char *path, int prefault)
{
	struct eng_model_params mp = { .prefault = prefault };
	char err[512];
	eng_model *m = NULL;
	if (isatty(2))
		mp.progress = progress_tty;
	enum eng_err e = eng_model_load(path, &mp, &m, err, sizeof err);
	if (e != ENG_OK) {
		fprintf(stderr, "briefing model: %s: %s%s%s\n", path, eng_strerror(e), err[0] ? ": " : "",
			err);
		return NULL;
	}
	return m;
}

static void human_bytes(char *buf, size_t n, uint64_t b);

/* 1 when a is one of the NULL-terminated names */
static int one_of(const char *a, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(a, *names))
			return 1;
	return 0;
}

/* --device, --vram-budget, --ram-budget (run, bench, info) */
struct dev_opts {
	enum eng_device device;
	uint64_t vram, ram;
};

/* 1: argv[*i] was one of ours (value consumed); 0: not ours; -1: bad value
 * (message printed) */
static int dev_opt(const char *cmd, int argc, char **argv, int *i, struct dev_opts *o)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (strcmp(a, "--device") && strcmp(a, "--vram-budget") && strcmp(a, "--ram-budget"))
		return 0;
	if (!v) {
		fprintf(stderr, "model %s: %s needs a value\n", cmd, a);
		return -1;
	}
	(*i)++;
	if (!strcmp(a, "--device")) {
		if (eng_device_parse(v, &o->device)) {
			fprintf(stderr, "model %s: --device must be auto, cpu or cuda (not '%s')\n", cmd, v);
			return -1;
		}
		return 1;
	}
	uint64_t *dst = !strcmp(a, "--vram-budget") ? &o->vram : &o->ram;
	if (eng_size_parse(v, dst) || *dst == 0) {
		fprintf(stderr, "model %s: %s: '%s' is not a size (e.g. 512M, 22G)\n", cmd, a, v);
		return -1;
	}
	return 1;
}

static void print_pass_stats(FILE *f, const char *prefix, const struct eng_pass_stats *st)
{
	char b0[32], b1[32], b2[32];
	const double np = st->passes ? (double)st->passes : 1.0;
	const double streamed = (double)(st->bytes[1] + st->bytes[2]);
	human_bytes(b0, sizeof b0, (uint64_t)(st->bytes[0] / np));
	human_bytes(b1, sizeof b1, (uint64_t)(st->bytes[1] / np));
	human_bytes(b2, sizeof b2, (uint64_t)(st->bytes[2] / np));
	fprintf(f, "%s%llu passes, %llu tokens (%.2f a pass), %.1f ms a pass; per pass %s resident, "
		   "%s from RAM, %s from the file; streamed at %.2f GB/s; waited for weights %.1f ms a pass%s\n",
		prefix, (unsigned long long)st->passes, (unsigned long long)st->tokens, st->tokens / np,
		st->seconds * 1e3 / np, b0, b1, b2, st->seconds > 0 ? streamed / st->seconds / 1e9 : 0.0,
		st->wait_seconds * 1e3 / np, f == stdout ? " -->" : "");
}

static void print_plan(FILE *f, const char *prefix, const struct eng_pass_stats *st, const char *suffix)
{
	char b0[32], b1[32], b2[32];
	human_bytes(b0, sizeof b0, st->plan_bytes[0]);
	human_bytes(b1, sizeof b1, st->plan_bytes[1]);
	human_bytes(b2, sizeof b2, st->plan_bytes[2]);
	fprintf(f, "%s%d of %d layers streamed; weights %s resident, %s in RAM, %s read from the file each pass%s\n",
		prefix, st->layers_streamed, st->n_layer, b0, b1, b2, suffix);
}

static void human_bytes(char *buf, size_t n, uint64_t b)
{
	if (b >= (1ull << 30))
		snprintf(buf, n, "%.2f GiB", (double)b / (1ull << 30));
	else if (b >= (1ull << 20))
		snprintf(buf, n, "%.2f MiB", (double)b / (1ull << 20));
	else
		snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
}

static const char *type_name(uint32_t t)
{
	const char *n = eng_type_name(t);
	return n ? n : "?";
}

/* ---- info ------------------------------------------------------------------- */

/* The weight tiers a context would get (`model info --ram-budget SIZE`):
 * bytes per tier, layers streamed, the smallest budget, and the least time
 * a pass takes reading the streamed bytes at the file's measured read
 * bandwidth. The CPU plan is computed without making a context; for
 * another backend the context is made and its plan read back. 0, or 1
 * with the reason on stderr. */
static int info_plan(eng_model *m, const char *path, int n_ctx, const struct dev_opts *dv)
{
	char note[256], b0[32], b1[32], b2[32];
	const struct eng_backend *be = eng_backend_pick(dv->device, note, sizeof note);
	struct eng_ctx_params cp = { .n_ctx = n_ctx, .n_seq = 1, .device = dv->device,
				     .vram_budget = dv->vram, .ram_budget = dv->ram };
	struct eng_plan pl;
	memset(&pl, 0, sizeof pl);
	if (!be) {
		fprintf(stderr, "model info: %s\n", note);
		return 1;
	}
	if (be == &eng_backend_cpu) {
		char err[256];
		uint64_t fixed = 0;
		enum eng_err e = eng_cpu_plan(m, &cp, &pl, &fixed, err, sizeof err);
		if (e != ENG_OK) {
			fprintf(stderr, "model info: %s: %s\n", eng_strerror(e), err);
			return 1;
		}
		int streamed = 0;
		for (int il = 0; il < pl.n_layer; il++)
			streamed += pl.layer_tier[il] != ENG_TIER_FAST;
		eng_bytes_human(b0, sizeof b0, dv->ram);
		if (dv->ram)
			printf("plan:           cpu, RAM budget %s: %d of %d layers streamed, output head %s\n", b0,
			       streamed, pl.n_layer, pl.out_tier != ENG_TIER_FAST ? "streamed" : "resident");
		else
			printf("plan:           cpu, no RAM budget: every weight used in place from the mapping\n");
		eng_bytes_human(b0, sizeof b0, pl.tier_bytes[ENG_TIER_FAST]);
		eng_bytes_human(b1, sizeof b1, pl.tier_bytes[ENG_TIER_FILE]);
		eng_bytes_human(b2, sizeof b2, pl.slot_bytes);
		if (pl.n_streamed)
			printf("  weights:      %s resident, %s read from the file each pass (%d staging slots of %s)\n",
			       b0, b1, (int)((pl.fast_used - fixed - pl.tier_bytes[ENG_TIER_FAST]) / pl.slot_bytes), b2);
		else
			printf("  weights:      %s resident, nothing read from the file\n", b0);
		eng_bytes_human(b0, sizeof b0, fixed);
		eng_bytes_human(b1, sizeof b1, pl.fast_used);
		printf("  RAM:          %s in all: KV cache, scratch and overhead %s (%d positions) + weights\n", b1,
		       b0, n_ctx);
		eng_bytes_human(b0, sizeof b0, pl.min_fast);
		printf("  minimum:      %s (the smallest --ram-budget that works)\n", b0);
	} else if (dv->device == ENG_DEVICE_AUTO && !dv->ram && !dv->vram) {
		/* making the context would upload the model */
		printf("plan:           %s (pass --device, --vram-budget or --ram-budget for its plan)\n", note);
		return 0;
	} else {
		eng_ctx *c = NULL;
		char err[256];
		enum eng_err e = eng_ctx_new_err(m, &cp, &c, err, sizeof err);
		if (e != ENG_OK) {
			fprintf(stderr, "model info: %s%s%s\n", eng_strerror(e), err[0] ? ": " : "", err);
			return 1;
		}
		struct eng_pass_stats st;
		eng_ctx_stats(c, &st);
		printf("plan:           %s\n", eng_ctx_device_note(c));
		print_plan(stdout, "  weights:      ", &st, "");
		for (int t = 0; t < ENG_TIER_COUNT; t++)
			pl.tier_bytes[t] = st.plan_bytes[t];
		eng_ctx_free(c);
	}
	double host = 0.0, file = 0.0;
	if (pl.tier_bytes[ENG_TIER_HOST])
		host = eng_device_h2d_gbps(dv->device);
	if (pl.tier_bytes[ENG_TIER_FILE])
		/* streamed reads bypass the page cache (O_DIRECT), so it is dropped first */
		file = eng_measure_read_gbps(path, (uint64_t)256 << 20, 1);
	if (pl.tier_bytes[ENG_TIER_HOST] || pl.tier_bytes[ENG_TIER_FILE]) {
		double sec = eng_plan_pass_seconds(&pl, host, file);
		printf("  pass time:    at least %.1f ms a pass", sec * 1e3);
		if (file > 0)
			printf("; file read at %.2f GB/s (first 256 MiB, page cache dropped)", file);
		if (host > 0)
			printf("; host->device at %.1f GB/s", host);
		printf("\n");
	} else {
		printf("  pass time:    nothing streams (compute bound)\n");
	}
	eng_plan_free(&pl);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: model info FILE [-c N_CTX] [--ram-budget SIZE] [--device auto|cpu|cuda]\n"
			"       [--vram-budget SIZE]\n");
		return argc < 2 ? 2 : 0;
	}
	int n_ctx = 0;
	struct dev_opts dv = { ENG_DEVICE_AUTO, 0, 0 };
	for (int i = 2; i < argc; i++) {
		int dr = dev_opt("info", argc, argv, &i, &dv);
		if (dr < 0)
			return 2;
		if (dr > 0)
			continue;
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			n_ctx = atoi(argv[++i]);
		} else {
			fprintf(stderr, "model info: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	eng_model *m = open_model(argv[1], 0);
	if (!m)
		return 1;
	struct eng_model_info in;
	char b1[32], b2[32], b3[32];
	eng_model_get_info(m, &in);
	if (n_ctx <= 0)
		n_ctx = in.n_ctx_train < 4096 ? in.n_ctx_train : 4096;
	printf("file:           %s\n", argv[1]);
	printf("name:           %s\n", in.name[0] ? in.name : "(none)");
	printf("architecture:   %s (GGUF v%u)\n", in.arch_name, eng_gguf_version(m->gguf));
	printf("layers:         %d\n", in.n_layer);
	printf("embedding:      %d\n", in.n_embd);
	printf("heads:          %d query, %d key/value (GQA %d:1), head dim %d\n", in.n_head,
	       in.n_head_kv, in.n_head / in.n_head_kv, in.head_dim);
	printf("feed-forward:   %d (SwiGLU)\n", in.n_ff);
	printf("vocabulary:     %d\n", in.n_vocab);
	printf("context:        %d (trained)\n", in.n_ctx_train);
	printf("rope:           %s, base %g%s\n", in.rope_neox ? "NeoX" : "normal", in.rope_base,
	       in.has_rope_freqs ? ", rope_freqs (Llama 3.1 scaling)" : "");
	printf("rms eps:        %g\n", in.rms_eps);
	printf("output head:    %s\n", in.tied_output ? "tied to token_embd" : "separate");
	human_bytes(b1, sizeof b1, in.file_size);
	human_bytes(b2, sizeof b2, in.weight_bytes);
	printf("size:           %s file, %s weights, %.3f B parameters (%.2f bits/weight)\n", b1, b2,
	       (double)in.n_params / 1e9, in.n_params ? 8.0 * in.weight_bytes / in.n_params : 0.0);
	printf("file type:      %d\n", in.file_type);
	/* tensor types */
	uint64_t cnt[ENG_TYPE_COUNT] = { 0 }, byt[ENG_TYPE_COUNT] = { 0 };
	for (size_t i = 0; i < eng_gguf_n_tensors(m->gguf); i++) {
		const struct eng_gguf_tensor *t = eng_gguf_tensor(m->gguf, i);
		if (t->type < ENG_TYPE_COUNT) {
			cnt[t->type]++;
			byt[t->type] += t->nbytes;
		}
	}
	printf("tensor types:  ");
	for (int t = 0; t < ENG_TYPE_COUNT; t++) {
		if (!cnt[t])
			continue;
		human_bytes(b1, sizeof b1, byt[t]);
		printf(" %s x%" PRIu64 " (%s)", type_name((uint32_t)t), cnt[t], b1);
	}
	printf("\n");
	if (m->tok)
		printf("tokenizer:      %s, pre-tokenizer %s, bos %d, eos %d, eot %d\n",
		       eng_tok_type(m->tok) == ENG_TOK_BPE ? "BPE" : "SentencePiece",
		       eng_tok_pre_name(m->tok), (int)eng_tok_bos(m->tok), (int)eng_tok_eos(m->tok),
		       (int)eng_tok_eot(m->tok));
	else
		printf("tokenizer:      none\n");
	if (in.chat_template) {
		enum eng_chat_tmpl k = eng_chat_template_detect(in.chat_template);
		printf("chat template:  %s (%zu bytes)\n", eng_chat_template_name(k), strlen(in.chat_template));
	} else {
		printf("chat template:  none\n");
	}
	uint64_t kv = eng_model_kv_bytes(m, n_ctx, 1, 0);
	human_bytes(b1, sizeof b1, in.file_size);
	human_bytes(b2, sizeof b2, kv);
	human_bytes(b3, sizeof b3, in.file_size + kv);
	printf("memory needed:  %s mapped + %s F16 KV cache for %d tokens = %s\n", b1, b2, n_ctx, b3);
	printf("kernels:        %s\n", eng_quant_simd_name());
	int rc = info_plan(m, argv[1], n_ctx, &dv);
	eng_model_free(m);
	return rc;
}

/* ---- run -------------------------------------------------------------------- */

struct run_state {
	int32_t *ids;
	int n, cap;
};

static int on_token_print(void *ud, int i, int32_t tok, const char *piece, size_t len)
{
	struct run_state *rs = ud;
	(void)i;
	if (len) {
		fwrite(piece, 1, len, stdout);
		fflush(stdout);
	}
	if (tok >= 0 && rs) {
		if (rs->n == rs->cap) {
			int cap = rs->cap ? rs->cap * 2 : 64;
			int32_t *t = realloc(rs->ids, (size_t)cap * sizeof *t);
			if (!t)
				return 0;
			rs->ids = t;
			rs->cap = cap;
		}
		rs->ids[rs->n++] = tok;
	}
	return 0;
}

static void run_usage(FILE *f)
{
	fprintf(f, "usage: model run FILE -p PROMPT [-p PROMPT]... (a batch) [-n N] [--chat] [--system TEXT]\n"
		   "       [--template NAME]\n"
		   "       [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
		   "       [--presence-penalty P] [--seed S] [--stop STR]... [-t THREADS] [-c N_CTX]\n"
		   "       [--ids] (print the generated token ids to stderr) [--kv-f32] [-v]\n"
		   "       [--device auto|cpu|cuda] [--vram-budget SIZE] [--ram-budget SIZE]\n"
		   "       [--draft FILE [--draft-k K]] (speculative decoding with a draft model of\n"
		   "       the same vocabulary; K tokens a round, default: chosen as it runs)\n");
}

/* Opens the draft model and its context beside c; prints why not. */
static int open_draft(const char *cmd, const char *path, eng_model *m, const struct eng_ctx_params *cp,
		      eng_model **dm, eng_ctx **dc)
{
	char why[256];
	*dm = open_model(path, 0);
	if (!*dm)
		return -1;
	if (eng_vocab_differs(m, *dm, why, sizeof why)) {
		fprintf(stderr, "model %s: %s cannot draft for this model: %s\n", cmd, path, why);
		eng_model_free(*dm);
		*dm = NULL;
		return -1;
	}
	enum eng_err e = eng_ctx_new_err(*dm, cp, dc, why, sizeof why);
	if (e != ENG_OK) {
		fprintf(stderr, "model %s: draft: %s%s%s\n", cmd, eng_strerror(e), why[0] ? ": " : "", why);
		eng_model_free(*dm);
		*dm = NULL;
		return -1;
	}
	return 0;
}

static void print_spec(FILE *f, const char *label, const struct eng_spec_stats *s)
{
	if (!s->rounds)
		return;
	fprintf(f, "%sspeculative: %llu rounds, %llu drafted, %llu accepted (%.0f%%), %.2f tokens a "
		   "target pass, %llu target passes saved, %llu draft passes, last k %d\n", label,
		(unsigned long long)s->rounds, (unsigned long long)s->drafted,
		(unsigned long long)s->accepted, s->drafted ? 100.0 * s->accepted / s->drafted : 0.0,
		s->target_passes ? (double)s->tokens / s->target_passes : 0.0,
		(unsigned long long)(s->tokens > s->target_passes ? s->tokens - s->target_passes : 0),
		(unsigned long long)s->draft_passes, s->k_last);
}

static int cmd_run(int argc, char **argv)
{
	struct eng_gen_params g;
	const char *prompt = NULL, *stops[16], *draft = NULL, *prompts[16];
	int n_prompts = 0;
	int n_stop = 0, threads = 0, n_ctx = 0, verbose = 0, print_ids = 0, kv_f32 = 0, draft_k = 0;
	struct run_state rs = { 0 };
	struct eng_spec_stats spec = { 0 };
	struct dev_opts dv = { ENG_DEVICE_AUTO, 0, 0 };

	eng_gen_default(&g);
	if (argc < 2) {
		run_usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int dr = dev_opt("run", argc, argv, &i, &dv);
		if (dr < 0)
			return 2;
		if (dr > 0)
			continue;
#define NEEDV do { if (!v) { fprintf(stderr, "model run: %s needs a value\n", a); return 2; } i++; } while (0)
		if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) {
			NEEDV;
			prompt = v;
			if (n_prompts == 16) {
				fprintf(stderr, "model run: at most 16 prompts\n");
				return 2;
			}
			prompts[n_prompts++] = v;
		}
		else if (!strcmp(a, "-n")) { NEEDV; g.max_tokens = atoi(v); }
		else if (!strcmp(a, "--chat")) g.chat = 1;
		else if (!strcmp(a, "--system")) { NEEDV; g.system = v; }
		else if (!strcmp(a, "--template")) { NEEDV; g.chat_template = v; g.chat = 1; }
		else if (!strcmp(a, "--temp")) { NEEDV; g.sampling.temperature = strtof(v, NULL); }
		else if (!strcmp(a, "--top-k")) { NEEDV; g.sampling.top_k = atoi(v); }
		else if (!strcmp(a, "--top-p")) { NEEDV; g.sampling.top_p = strtof(v, NULL); }
		else if (!strcmp(a, "--min-p")) { NEEDV; g.sampling.min_p = strtof(v, NULL); }
		else if (!strcmp(a, "--repeat-penalty")) { NEEDV; g.sampling.repeat_penalty = strtof(v, NULL); }
		else if (!strcmp(a, "--presence-penalty")) { NEEDV; g.sampling.presence_penalty = strtof(v, NULL); }
		else if (!strcmp(a, "--seed")) { NEEDV; g.sampling.seed = strtoull(v, NULL, 10); }
		else if (!strcmp(a, "--stop")) { NEEDV; if (n_stop < 16) stops[n_stop++] = v; }
		else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { NEEDV; threads = atoi(v); }
		else if (!strcmp(a, "-c") || !strcmp(a, "--ctx")) { NEEDV; n_ctx = atoi(v); }
		else if (!strcmp(a, "-v")) verbose = 1;
		else if (!strcmp(a, "--ids")) print_ids = 1;
		else if (!strcmp(a, "--kv-f32")) kv_f32 = 1;
		else if (!strcmp(a, "--draft")) { NEEDV; draft = v; }
		else if (!strcmp(a, "--draft-k")) { NEEDV; draft_k = atoi(v); }
		else if (!strcmp(a, "--help")) { run_usage(stdout); return 0; }
		else { fprintf(stderr, "model run: unknown option %s\n", a); run_usage(stderr); return 2; }
#undef NEEDV
	}
	if (!prompt) {
		run_usage(stderr);
		return 2;
	}
	g.stop = stops;
	g.n_stop = n_stop;
	/* one prompt streams; several run as one batch and print at the end */
	g.on_token = n_prompts == 1 ? on_token_print : NULL;
	g.ud = &rs;
	/* read every page up front only when the whole model is to stay in RAM */
	eng_model *m = open_model(argv[1], dv.device == ENG_DEVICE_CPU && !dv.ram);
	if (!m)
		return 1;
	struct eng_ctx_params cp = { .n_ctx = n_ctx, .n_seq = n_prompts, .n_threads = threads, .kv_f32 = kv_f32,
				     .device = dv.device, .vram_budget = dv.vram, .ram_budget = dv.ram };
	eng_ctx *c = NULL;
	char cerr[256];
	enum eng_err e = eng_ctx_new_err(m, &cp, &c, cerr, sizeof cerr);
	if (e != ENG_OK) {
		fprintf(stderr, "model run: %s%s%s\n", eng_strerror(e), cerr[0] ? ": " : "", cerr);
		eng_model_free(m);
		return 1;
	}
	if (verbose) {
		struct eng_pass_stats st;
		eng_ctx_stats(c, &st);
		fprintf(stderr, "device: %s\n", eng_ctx_device_note(c));
		print_plan(stderr, "plan: ", &st, "");
	} else if (strstr(eng_ctx_device_note(c), "no usable GPU")) {
		/* auto fell back to the CPU in a CUDA build: say so */
		fprintf(stderr, "model run: %s\n", eng_ctx_device_note(c));
	}
	eng_model *dm = NULL;
	eng_ctx *dc = NULL;
	if (draft) {
		if (draft_k < 0 || draft_k > 8) {
			fprintf(stderr, "model run: --draft-k takes 1 to 8 (0: chosen as it runs)\n");
			eng_ctx_free(c);
			eng_model_free(m);
			return 2;
		}
		cp.n_ctx = eng_ctx_n_ctx(c);
		if (open_draft("run", draft, m, &cp, &dm, &dc)) {
			eng_ctx_free(c);
			eng_model_free(m);
			return 1;
		}
		g.draft = dc;
		g.draft_k = draft_k;
		g.spec = &spec;
	}
	double t0 = now_s();
	char *out = NULL, *outs[16] = { NULL };
	struct eng_pass_stats s0;
	eng_ctx_stats(c, &s0);
	if (n_prompts == 1) {
		e = eng_generate(c, prompt, &g, &out);
	} else {
		e = eng_generate_batch(c, n_prompts, prompts, &g, outs);
		for (int i = 0; i < n_prompts; i++) {
			printf("[%d] %s\n", i + 1, outs[i] ? outs[i] : "");
			free(outs[i]);
		}
	}
	double t1 = now_s();
	if (rs.n > 0)
		printf("\n");
	if (e == ENG_ERR_TEMPLATE)
		fprintf(stderr, "model run: %s (use --template NAME)\n", eng_ctx_errmsg(c));
	else if (e != ENG_OK)
		fprintf(stderr, "model run: %s: %s\n", eng_strerror(e), eng_ctx_errmsg(c));
	if (verbose) {
		struct eng_pass_stats st;
		eng_ctx_stats(c, &st);
		if (n_prompts == 1)
			fprintf(stderr, "(%d tokens, %.2f s)\n", rs.n, t1 - t0);
		else
			fprintf(stderr, "(%d prompts, %llu tokens decoded, %.2f s)\n", n_prompts,
				(unsigned long long)(st.tokens - s0.tokens - st.prefill_tokens +
						     s0.prefill_tokens), t1 - t0);
		print_pass_stats(stderr, "passes: ", &st);
		print_spec(stderr, "", &spec);
	}
	if (print_ids) {
		fprintf(stderr, "ids:");
		for (int i = 0; i < rs.n; i++)
			fprintf(stderr, " %d", (int)rs.ids[i]);
		fprintf(stderr, "\n");
	}
	free(rs.ids);
	free(out);
	eng_ctx_free(dc);
	eng_model_free(dm);
	eng_ctx_free(c);
	eng_model_free(m);
	return e == ENG_OK ? 0 : 1;
}

/* ---- bench ------------------------------------------------------------------ */

/* Prompts for the text-generation rows of model bench --draft. */
static const char *const spec_prompts[] = {
	"Write a short news briefing about the semiconductor export controls on China.",
	"Explain in a few paragraphs how high-bandwidth memory is made and why it is scarce.",
	"Summarise the week's news about open-weight language models for a busy reader.",
	"Describe how a chip foundry decides where to build its next fab.",
	"Write a short analysis of why AI data centres need so much electricity.",
	"Explain what speculative decoding is to a software engineer.",
	"Write a briefing on memory chip prices for a technology investor.",
	"Describe the history of the transistor in a few paragraphs.",
};

/* Greedy generation of tg tokens for B prompts, without (dc NULL) or with
 * a draft: a table row, and the passes and acceptance as a comment. */
static int spec_row(eng_model *m, eng_ctx *c, eng_ctx *dc, int draft_k, int B, int tg,
		    const char *label, const char *model, int threads)
{
	const char *prompts[16];
	char *outs[16] = { NULL };
	for (int i = 0; i < B && i < 16; i++)
		prompts[i] = spec_prompts[i % 8];
	struct eng_gen_params g;
	struct eng_spec_stats sp = { 0 };
	eng_gen_default(&g);
	g.max_tokens = tg;
	g.chat = 1;
	g.draft = dc;
	g.draft_k = draft_k;
	g.spec = &sp;
	struct eng_pass_stats a, b;
	eng_ctx_stats(c, &a);
	double t0 = now_s();
	enum eng_err e = eng_generate_batch(c, B, prompts, &g, outs);
	double t1 = now_s();
	eng_ctx_stats(c, &b);
	uint64_t toks = 0;
	for (int i = 0; i < B; i++) {
		if (outs[i]) {
			int32_t *ids = NULL;
			int n = 0;
			if (eng_tokenize(m, outs[i], strlen(outs[i]), 0, 0, &ids, &n) == ENG_OK)
				toks += (uint64_t)n;
			free(ids);
		}
		free(outs[i]);
	}
	if (e != ENG_OK) {
		fprintf(stderr, "model bench: %s: %s\n", eng_strerror(e), eng_ctx_errmsg(c));
		return 1;
	}
	uint64_t dec_passes = (b.passes - a.passes);
	char test[48];
	snprintf(test, sizeof test, "sg%d x%d%s", tg, B, label);
	printf("| %s | | | | %d | %s | %.2f |\n", model, threads, test, toks / (t1 - t0));
	if (dc)
		printf("<!-- %s: %llu target passes (prompts included) for ~%llu tokens; %llu rounds, "
		       "%llu drafted, %llu accepted (%.1f%%), %.2f tokens a verify pass, %llu draft "
		       "passes, last k %d -->\n", test, (unsigned long long)dec_passes,
		       (unsigned long long)toks, (unsigned long long)sp.rounds,
		       (unsigned long long)sp.drafted, (unsigned long long)sp.accepted,
		       sp.drafted ? 100.0 * sp.accepted / sp.drafted : 0.0,
		       sp.target_passes ? (double)sp.tokens / sp.target_passes : 0.0,
		       (unsigned long long)sp.draft_passes, sp.k_last);
	else
		printf("<!-- %s: %llu passes (prompts included) for ~%llu tokens -->\n", test,
		       (unsigned long long)dec_passes, (unsigned long long)toks);
	fflush(stdout);
	return 0;
}

static int cmd_bench(int argc, char **argv)
{
	int threads = 0, pp = 128, tg = 32, reps = 1, draft_k = 0;
	const char *draft = NULL;
	int batches[8] = { 1, 4, 16 }, nb = 3;
	struct dev_opts dv = { ENG_DEVICE_AUTO, 0, 0 };

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: model bench FILE [-t THREADS] [-p PP] [-n TG] [-b 1,4,16] [-r REPS]\n"
			"       [--device auto|cpu|cuda] [--vram-budget SIZE] [--ram-budget SIZE]\n"
			"       [--draft FILE [--draft-k K]] (also: greedy text generation of TG tokens\n"
			"       from real prompts, without and with the draft model)\n");
		return argc < 2 ? 2 : 0;
	}
	for (int i = 2; i < argc; i++) {
		int dr = dev_opt("bench", argc, argv, &i, &dv);
		if (dr < 0)
			return 2;
		if (dr > 0)
			continue;
		static const char *const bench_opts[] = { "-t", "-p", "-n", "-r", "-b", "--draft",
							  "--draft-k", NULL };
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!one_of(argv[i], bench_opts)) {
			fprintf(stderr, "model bench: unknown option %s\n", argv[i]);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "model bench: %s needs a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "-t")) threads = atoi(v);
		else if (!strcmp(argv[i], "-p")) pp = atoi(v);
		else if (!strcmp(argv[i], "-n")) tg = atoi(v);
		else if (!strcmp(argv[i], "-r")) reps = atoi(v);
		else if (!strcmp(argv[i], "--draft")) draft = v;
		else if (!strcmp(argv[i], "--draft-k")) draft_k = atoi(v);
		else if (!strcmp(argv[i], "-b")) {
			nb = 0;
			for (char *s = argv[i + 1]; *s && nb < 8;) {
				batches[nb++] = (int)strtol(s, &s, 10);
				if (*s == ',')
					s++;
				else
					break;
			}
		} else {
			fprintf(stderr, "model bench: unknown option %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (threads <= 0)
		threads = eng_pool_default_threads();
	if (reps < 1)
		reps = 1;
	if (pp < 1 || tg < 1) {
		fprintf(stderr, "model bench: -p and -n must be at least 1\n");
		return 2;
	}
	int maxb = 1;
	for (int bi = 0; bi < nb; bi++)
		if (batches[bi] > maxb)
			maxb = batches[bi];
	eng_model *m = open_model(argv[1], dv.device == ENG_DEVICE_CPU && !dv.ram);
	if (!m)
		return 1;
	struct eng_model_info in;
	eng_model_get_info(m, &in);
	char sz[32], np[32];
	human_bytes(sz, sizeof sz, in.weight_bytes);
	if (in.n_params >= 1000000000ull)
		snprintf(np, sizeof np, "%.2f B", in.n_params / 1e9);
	else
		snprintf(np, sizeof np, "%.2f M", in.n_params / 1e6);
	/* one context for every batch size: the weights are placed (and, on a
	 * GPU, uploaded) once */
	struct eng_ctx_params cp = { .n_ctx = pp + tg + 8, .n_seq = maxb, .n_threads = threads,
				     .n_batch = pp, .device = dv.device, .vram_budget = dv.vram,
				     .ram_budget = dv.ram };
	eng_ctx *c = NULL;
	char cerr[256];
	double t_load = now_s();
	enum eng_err ce = eng_ctx_new_err(m, &cp, &c, cerr, sizeof cerr);
	t_load = now_s() - t_load;
	if (ce != ENG_OK) {
		fprintf(stderr, "model bench: %s%s%s\n", eng_strerror(ce), cerr[0] ? ": " : "", cerr);
		eng_model_free(m);
		return 1;
	}
	struct eng_pass_stats st;
	eng_ctx_stats(c, &st);
	char backend[64];
	if (!strcmp(eng_ctx_device(c), "cpu"))
		snprintf(backend, sizeof backend, "cpu (%s)", eng_quant_simd_name());
	else
		snprintf(backend, sizeof backend, "%s", eng_ctx_device(c));
	printf("<!-- device: %s -->\n", eng_ctx_device_note(c));
	print_plan(stdout, "<!-- plan: ", &st, " -->");
	printf("<!-- context ready in %.1f s -->\n", t_load);
	double gbps = strcmp(eng_ctx_device(c), "cpu") ? eng_device_h2d_gbps(dv.device) : 0.0;
	if (gbps > 0)
		printf("<!-- pinned host->device bandwidth: %.1f GB/s; bound for a pass: %.1f ms -->\n", gbps,
		       (st.plan_bytes[1] + st.plan_bytes[2]) / gbps / 1e6);
	printf("| model | size | params | backend | threads | test | t/s |\n");
	printf("| --- | ---: | ---: | --- | ---: | --- | ---: |\n");
	int rc = 0;
	uint64_t rng = 1;
	int32_t *toks = malloc((size_t)pp * sizeof *toks);
	int *seqs = malloc((size_t)maxb * sizeof *seqs);
	int32_t *next = malloc((size_t)maxb * sizeof *next);
	/* logits are computed as llama-bench does: the last prompt token of
	 * pp, every token of tg */
	float *lg = malloc((size_t)maxb * in.n_vocab * sizeof *lg);
	if (!toks || !seqs || !next || !lg) {
		fprintf(stderr, "model bench: out of memory\n");
		rc = 1;
	}
	for (int i = 0; i < pp && rc == 0; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		toks[i] = (int32_t)((rng >> 33) % (uint64_t)in.n_vocab);
	}
	for (int bi = 0; bi < nb && rc == 0; bi++) {
		int B = batches[bi];
		if (B < 1)
			continue;
		double t_pp = 0, t_tg = 0;
		struct eng_pass_stats s_pp = { 0 }, s_tg = { 0 };
		for (int r = 0; r < reps && rc == 0; r++) {
			for (int s = 0; s < B; s++)
				eng_seq_new(c, &seqs[s]);
			eng_ctx_stats_reset(c);
			double t0 = now_s();
			for (int s = 0; s < B && rc == 0; s++)
				if (eng_prefill(c, seqs[s], toks, pp, lg) != ENG_OK)
					rc = 1;
			double t1 = now_s();
			eng_ctx_stats(c, &s_pp);
			eng_ctx_stats_reset(c);
			for (int s = 0; s < B; s++)
				next[s] = toks[(s * 7) % pp];
			for (int k = 0; k < tg && rc == 0; k++)
				if (eng_decode(c, B, seqs, next, lg) != ENG_OK)
					rc = 1;
			double t2 = now_s();
			eng_ctx_stats(c, &s_tg);
			t_pp += t1 - t0;
			t_tg += t2 - t1;
			for (int s = 0; s < B; s++)
				eng_seq_free(c, seqs[s]);
		}
		if (rc) {
			fprintf(stderr, "model bench: %s\n", eng_ctx_errmsg(c));
			break;
		}
		char test[32];
		/* B prompts of pp tokens, one after another */
		snprintf(test, sizeof test, B == 1 ? "pp%d" : "pp%d x%d", pp, B);
		printf("| %s %s | %s | %s | %s | %d | %s | %.2f |\n", in.arch_name, in.name[0] ? in.name : "",
		       sz, np, backend, threads, test, (double)pp * B * reps / t_pp);
		snprintf(test, sizeof test, B == 1 ? "tg%d" : "tg%d x%d", tg, B);
		printf("| %s %s | %s | %s | %s | %d | %s | %.2f |\n", in.arch_name, in.name[0] ? in.name : "",
		       sz, np, backend, threads, test, (double)tg * B * reps / t_tg);
		if (st.layers_streamed || getenv("BRIEFING_BENCH_PASSES")) {
			char pre[64];
			snprintf(pre, sizeof pre, "<!-- tg x%d: ", B);
			print_pass_stats(stdout, pre, &s_tg);
		}
		fflush(stdout);
	}
	if (draft && rc == 0) {
		/* text generation from real prompts, without and with the draft */
		struct eng_ctx_params sp = cp;
		sp.n_ctx = 512 + tg;
		sp.n_batch = 256;
		eng_ctx *sc = NULL, *dc = NULL;
		eng_model *dm = NULL;
		char label[32];
		if (eng_ctx_new_err(m, &sp, &sc, cerr, sizeof cerr) != ENG_OK ||
		    open_draft("bench", draft, m, &sp, &dm, &dc)) {
			fprintf(stderr, "model bench: %s\n", cerr);
			rc = 1;
		}
		snprintf(label, sizeof label, " +draft k%s%.0d", draft_k > 0 ? "" : " adaptive",
			 draft_k > 0 ? draft_k : 0);
		for (int bi = 0; bi < nb && rc == 0; bi++) {
			int B = batches[bi] < 16 ? batches[bi] : 16;
			if (B < 1)
				continue;
			rc = spec_row(m, sc, NULL, 0, B, tg, "", in.arch_name, threads) ||
			     spec_row(m, sc, dc, draft_k, B, tg, label, in.arch_name, threads);
		}
		eng_ctx_free(dc);
		eng_model_free(dm);
		eng_ctx_free(sc);
	}
	free(toks);
	free(seqs);
	free(next);
	free(lg);
	eng_ctx_free(c);
	eng_model_free(m);
	return rc;
}

/* ---- synth ------------------------------------------------------------------ */

struct shape {
	int embd, layers, heads, kv, ff, ctx;
	float rope_base;
	int tied;
	float rope_factor;   /* llama3 rope_freqs factor, 0: none */
};

static int parse_shape(const char *s, struct shape *sh)
{
	memset(sh, 0, sizeof *sh);
	sh->rope_base = 500000.0f;
	sh->ctx = 131072;
	if (!strcmp(s, "1b")) {            /* Llama 3.2 1B */
		*sh = (struct shape){ 2048, 16, 32, 8, 8192, 131072, 500000.0f, 1, 32.0f };
	} else if (!strcmp(s, "8b")) {     /* Llama 3.1 8B */
		*sh = (struct shape){ 4096, 32, 32, 8, 14336, 131072, 500000.0f, 0, 8.0f };
	} else if (!strcmp(s, "70b")) {    /* Llama 3.1/3.3 70B */
		*sh = (struct shape){ 8192, 80, 64, 8, 28672, 131072, 500000.0f, 0, 8.0f };
	} else {
		/* EMBDxLAYERSxHEADSxKVxFF */
		if (sscanf(s, "%dx%dx%dx%dx%d", &sh->embd, &sh->layers, &sh->heads, &sh->kv, &sh->ff) != 5)
			return -1;
		sh->ctx = 4096;
		sh->tied = 0;
		sh->rope_factor = 0;
	}
	if (sh->embd <= 0 || sh->layers <= 0 || sh->heads <= 0 || sh->kv <= 0 || sh->ff <= 0 ||
	    sh->embd % sh->heads || sh->heads % sh->kv)
		return -1;
	return 0;
}

struct synth {
	uint64_t seed;
	int fast;                /* --fast: random quantised blocks, no floats, no quantiser */
	int n_tensors;
	uint32_t types[1024];
	uint64_t ne0[1024];
	int kind[1024];          /* 0 matrix N(0, 0.02^2), 1 norm ~1, 2 rope_freqs */
	float rope_freqs[512];
	struct eng_pool *pool;
	/* per fill call */
	size_t ti;
	uint64_t row0;
	uint64_t n_rows;
	uint64_t rows_per_item;  /* --fast: rows per pool item (about 64 KiB) */
	void *buf;
	size_t row_bytes;
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static float gauss(uint64_t *st)
{
	/* sum of 4 uniforms, scaled to unit variance: cheap and smooth enough */
	double s = 0;
	for (int i = 0; i < 4; i++)
		s += (double)(splitmix(st) >> 11) * (1.0 / 9007199254740992.0);
	return (float)((s - 2.0) * 1.7320508075688772);
}

/* The seed of row R of tensor TI: rows never depend on the chunking or on
 * the thread that makes them. */
static uint64_t row_seed(const struct synth *S, size_t ti, uint64_t r)
{
	return S->seed * 0x100000001b3ull ^ ((uint64_t)ti << 40) ^ r;
}

static void synth_row_task(void *arg, int item, int tid)
{
	struct synth *S = arg;
	(void)tid;
	size_t ti = S->ti;
	uint64_t r = S->row0 + (uint64_t)item, n = S->ne0[ti];
	float row[65536];
	float *x = n <= 65536 ? row : malloc(n * sizeof(float));
	uint64_t st = row_seed(S, ti, r);
	if (!x)
		return;
	for (uint64_t i = 0; i < n; i++) {
		if (S->kind[ti] == 0)
			x[i] = 0.02f * gauss(&st);
		else if (S->kind[ti] == 1)
			x[i] = 1.0f + 0.1f * gauss(&st);
		else
			x[i] = S->rope_freqs[i];
	}
	const struct eng_quant_traits *tr = eng_quant_traits(S->types[ti]);
	tr->quantize(x, (char *)S->buf + (size_t)item * S->row_bytes, (int64_t)n);
	if (x != row)
		free(x);
}

/* ---- synth --fast: random blocks ------------------------------------------
 *
 * A matrix row is first filled with random bytes (8 per splitmix call),
 * then each block's scale fields are overwritten with fixed fp16 values
 * chosen so that the weights come out zero-mean with a standard deviation
 * of about 0.02, like the gaussian rows of the default path:
 *   Q4_0  d = +-0.02/sqrt(21.5)  (E(q-8)^2 = 21.5; random sign: zero mean)
 *   Q5_0  d = +-0.02/sqrt(85.5)  (E(q-16)^2 = 85.5)
 *   Q4_1  d = 0.02/sqrt(21.25), m = -7.5 d   (x = d (q - 7.5))
 *   Q5_1  d = 0.02/sqrt(85.25), m = -15.5 d
 *   Q8_0  d = 0.02/73.6, q in -127..127 (-128 never occurs in real files)
 *   Q4_K  d = 2^-13, dmin = 7.5 d, 6-bit sc random and m = sc, so each
 *         sub-block is d sc (q - 7.5): std d sqrt(E sc^2 21.25) = 0.0206
 *   Q5_K  d = 2^-14, dmin = 15.5 d, m = sc: std 0.0206
 *   Q6_K  d = 2^-14, 8-bit scales narrowed to -32..31: std 0.0208
 * The K-quant d are powers of two so that dmin = 7.5 d or 15.5 d is exact
 * and d stays a normal fp16. F32/F16/BF16 rows are uniform in
 * +-0.02 sqrt(3). */

static void rand_bytes(uint64_t *st, uint8_t *p, size_t n)
{
	/* the hot loop of --fast */
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t r = splitmix(st);
		memcpy(p, &r, 8);
	}
	if (n) {
		uint64_t r = splitmix(st);
		memcpy(p, &r, n);
	}
}

static eng_fp16 fp16_of(double v)
{
	return eng_f32_to_fp16((float)v);
}

static void fast_q4_0(void *row, int64_t nb)
{
	struct eng_block_q4_0 *b = row;
	const eng_fp16 d = fp16_of(0.02 / sqrt(21.5));
	for (int64_t i = 0; i < nb; i++)
		b[i].d = (eng_fp16)(d | (b[i].d & 0x8000));   /* random sign */
}

static void fast_q5_0(void *row, int64_t nb)
{
	struct eng_block_q5_0 *b = row;
	const eng_fp16 d = fp16_of(0.02 / sqrt(85.5));
	for (int64_t i = 0; i < nb; i++)
		b[i].d = (eng_fp16)(d | (b[i].d & 0x8000));
}

/* Q4_1 / Q5_1: weights d * (q - center) for q uniform in 0..2*center+1
 * (d and m = -center * d at the start of every block of bsize bytes) */
static void fast_dm(void *row, int64_t nb, size_t bsize, double var_q, double center)
{
	const eng_fp16 d = fp16_of(0.02 / sqrt(var_q));
	const eng_fp16 m = fp16_of(-center * eng_fp16_to_f32(d));
	for (int64_t i = 0; i < nb; i++) {
		uint8_t *b = (uint8_t *)row + (size_t)i * bsize;
		memcpy(b, &d, 2);
		memcpy(b + 2, &m, 2);
	}
}

static void fast_q4_1(void *row, int64_t nb)
{
	fast_dm(row, nb, sizeof(struct eng_block_q4_1), 21.25, 7.5);
}

static void fast_q5_1(void *row, int64_t nb)
{
	fast_dm(row, nb, sizeof(struct eng_block_q5_1), 85.25, 15.5);
}

static void fast_q8_0(void *row, int64_t nb)
{
	struct eng_block_q8_0 *b = row;
	const eng_fp16 d = fp16_of(0.02 / 73.6);
	for (int64_t i = 0; i < nb; i++) {
		b[i].d = d;
		for (int j = 0; j < ENG_QK8_0; j++)
			b[i].qs[j] = b[i].qs[j] == -128 ? -127 : b[i].qs[j];
	}
}

/* Q4_K/Q5_K packed 6-bit scales with every min equal to its scale: bytes
 * 0..3 random (low 6 bits: sc/m 0..3, top 2: high bits of sc/m 4..7),
 * 4..7 a copy of 0..3, 8..11 the low nibble of sc 4..7 twice. */
static void k_scales_mirror(uint8_t *q)
{
	memcpy(q + 4, q, 4);
	for (int j = 8; j < 12; j++)
		q[j] = (uint8_t)((q[j] & 0x0f) * 0x11);
}

/* Q4_K / Q5_K: d = 2^-e and dmin = center * d (d, dmin and scales at the
 * same offsets in both blocks), scales mirrored so each min equals its scale */
static void fast_k45(void *row, int64_t nb, size_t bsize, double d0, double center)
{
	const eng_fp16 d = fp16_of(d0), dmin = fp16_of(center * d0);
	for (int64_t i = 0; i < nb; i++) {
		uint8_t *b = (uint8_t *)row + (size_t)i * bsize;
		memcpy(b, &d, 2);
		memcpy(b + 2, &dmin, 2);
		k_scales_mirror(b + 4);
	}
}

static void fast_q4_K(void *row, int64_t nb)
{
	fast_k45(row, nb, sizeof(struct eng_block_q4_K), 1.0 / 8192, 7.5);
}

static void fast_q5_K(void *row, int64_t nb)
{
	fast_k45(row, nb, sizeof(struct eng_block_q5_K), 1.0 / 16384, 15.5);
}

static void fast_q6_K(void *row, int64_t nb)
{
	struct eng_block_q6_K *b = row;
	const eng_fp16 d = fp16_of(1.0 / 16384);
	for (int64_t i = 0; i < nb; i++) {
		b[i].d = d;
		for (int j = 0; j < ENG_QK_K / 16; j++)
			b[i].scales[j] = (int8_t)(((uint8_t)b[i].scales[j] >> 2) - 32);
	}
}

#define UNIFORM_A 0.034641016   /* 0.02 sqrt(3): uniform in +-A has std 0.02 */

static void fast_f32(void *row, int64_t n)
{
	uint32_t *u = row;
	for (int64_t i = 0; i < n; i++) {
		float x = (float)(int32_t)u[i] * (float)(UNIFORM_A / 2147483648.0);
		memcpy(&u[i], &x, 4);
	}
}

static void fast_f16(void *row, int64_t n)
{
	uint16_t *u = row;
	for (int64_t i = 0; i < n; i++)
		u[i] = eng_f32_to_fp16((float)(int16_t)u[i] * (float)(UNIFORM_A / 32768.0));
}

static void fast_bf16(void *row, int64_t n)
{
	uint16_t *u = row;
	for (int64_t i = 0; i < n; i++)
		u[i] = eng_f32_to_bf16((float)(int16_t)u[i] * (float)(UNIFORM_A / 32768.0));
}

/* Per type: turns a row of random bytes (n_blocks blocks) into valid
 * weights of std ~0.02. NULL: no fast path (synth then quantises). */
typedef void (*fast_fix_fn)(void *row, int64_t n_blocks);
static const fast_fix_fn fast_fix[ENG_TYPE_COUNT] = {
	[ENG_TYPE_F32] = fast_f32,   [ENG_TYPE_F16] = fast_f16,   [ENG_TYPE_BF16] = fast_bf16,
	[ENG_TYPE_Q4_0] = fast_q4_0, [ENG_TYPE_Q4_1] = fast_q4_1, [ENG_TYPE_Q5_0] = fast_q5_0,
	[ENG_TYPE_Q5_1] = fast_q5_1, [ENG_TYPE_Q8_0] = fast_q8_0, [ENG_TYPE_Q4_K] = fast_q4_K,
	[ENG_TYPE_Q5_K] = fast_q5_K, [ENG_TYPE_Q6_K] = fast_q6_K,
};

static void synth_fast_task(void *arg, int item, int tid)
{
	struct synth *S = arg;
	(void)tid;
	const size_t ti = S->ti;
	const struct eng_quant_traits *tr = eng_quant_traits_ref(S->types[ti]);
	const int64_t nb = (int64_t)S->ne0[ti] / tr->blck_size;
	uint64_t r0 = (uint64_t)item * S->rows_per_item, r1 = r0 + S->rows_per_item;
	if (r1 > S->n_rows)
		r1 = S->n_rows;
	for (uint64_t r = r0; r < r1; r++) {
		uint8_t *row = (uint8_t *)S->buf + (size_t)r * S->row_bytes;
		uint64_t st = row_seed(S, ti, S->row0 + r);
		st = splitmix(&st);   /* decorrelate neighbouring rows' streams */
		rand_bytes(&st, row, S->row_bytes);
		fast_fix[S->types[ti]](row, nb);
	}
}

static enum eng_err synth_fill(void *ud, size_t ti, uint64_t row0, uint64_t n_rows, void *buf)
{
	struct synth *S = ud;
	S->ti = ti;
	S->row0 = row0;
	S->n_rows = n_rows;
	S->buf = buf;
	S->row_bytes = eng_type_row_bytes(S->types[ti], (int64_t)S->ne0[ti]);
	if (S->fast && S->kind[ti] == 0 && fast_fix[S->types[ti]]) {
		/* items of whole rows, about 64 KiB each, so small rows do not
		 * make one pool item (and one atomic increment) apiece */
		S->rows_per_item = S->row_bytes >= (64u << 10) ? 1 : (64u << 10) / S->row_bytes;
		uint64_t n_items = (n_rows + S->rows_per_item - 1) / S->rows_per_item;
		eng_pool_run(S->pool, synth_fast_task, S, (int)n_items);
	} else {
		eng_pool_run(S->pool, synth_row_task, S, (int)n_rows);
	}
	return ENG_OK;
}

/* llama.cpp's use_more_bits for Q4_K_M/Q5_K_M attn_v / ffn_down */
static int more_bits(int i, int n)
{
	return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

static int parse_type(const char *s, uint32_t *base, uint32_t *hi, int *file_type)
{
	static const struct { const char *name; uint32_t base, hi; int ft; } tab[] = {
		{ "F32", ENG_TYPE_F32, ENG_TYPE_F32, 0 },   { "F16", ENG_TYPE_F16, ENG_TYPE_F16, 1 },
		{ "BF16", ENG_TYPE_BF16, ENG_TYPE_BF16, 32 }, { "Q8_0", ENG_TYPE_Q8_0, ENG_TYPE_Q8_0, 7 },
		{ "Q4_0", ENG_TYPE_Q4_0, ENG_TYPE_Q4_0, 2 }, { "Q4_1", ENG_TYPE_Q4_1, ENG_TYPE_Q4_1, 3 },
		{ "Q5_0", ENG_TYPE_Q5_0, ENG_TYPE_Q5_0, 8 }, { "Q5_1", ENG_TYPE_Q5_1, ENG_TYPE_Q5_1, 9 },
		{ "Q4_K", ENG_TYPE_Q4_K, ENG_TYPE_Q4_K, 15 }, { "Q4_K_M", ENG_TYPE_Q4_K, ENG_TYPE_Q6_K, 15 },
		{ "Q5_K", ENG_TYPE_Q5_K, ENG_TYPE_Q5_K, 17 }, { "Q5_K_M", ENG_TYPE_Q5_K, ENG_TYPE_Q6_K, 17 },
		{ "Q6_K", ENG_TYPE_Q6_K, ENG_TYPE_Q6_K, 18 },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		if (!strcasecmp(s, tab[i].name)) {
			*base = tab[i].base;
			*hi = tab[i].hi;
			*file_type = tab[i].ft;
			return 0;
		}
	}
	return -1;
}

static int cmd_synth(int argc, char **argv)
{
	const char *shape_s = NULL, *type_s = "Q4_K_M", *vocab = NULL, *out = NULL;
	uint64_t seed = 1;
	int threads = 0, fast = 0;
	struct shape sh;
	uint32_t tb, th;
	int ftype;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--help")) {
			printf("usage: model synth --shape 1b|8b|70b|EMBDxLAYERSxHEADSxKVxFF --type TYPE "
			       "--vocab-from FILE -o OUT.gguf [--seed S] [-t THREADS] [--fast]\n"
			       "types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K Q4_K_M Q5_K Q5_K_M Q6_K\n"
			       "--fast: write random quantised blocks directly (no floats, no quantiser;\n"
			       "        weights of the same magnitude, other bytes), at about disk speed\n");
			return 0;
		}
		if (!strcmp(argv[i], "--fast")) {
			fast = 1;
			continue;
		}
		static const char *const synth_opts[] = { "--shape", "--type", "--vocab-from", "-o",
							  "--seed", "-t", NULL };
		if (!one_of(argv[i], synth_opts)) {
			fprintf(stderr, "model synth: unknown option %s\n", argv[i]);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "model synth: %s needs a value\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--shape")) shape_s = v;
		else if (!strcmp(argv[i], "--type")) type_s = v;
		else if (!strcmp(argv[i], "--vocab-from")) vocab = v;
		else if (!strcmp(argv[i], "-o")) out = v;
		else if (!strcmp(argv[i], "--seed")) seed = strtoull(v, NULL, 10);
		else if (!strcmp(argv[i], "-t")) threads = atoi(v);
		else {
			fprintf(stderr, "model synth: unknown option %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (!shape_s || !vocab || !out) {
		fprintf(stderr, "usage: model synth --shape 1b|8b|70b|DIMS --type TYPE --vocab-from FILE -o OUT.gguf "
			"[--seed S] [-t THREADS] [--fast]\n");
		return 2;
	}
	if (parse_shape(shape_s, &sh)) {
		fprintf(stderr, "model synth: bad shape '%s' (1b, 8b, 70b or EMBDxLAYERSxHEADSxKVxFF)\n", shape_s);
		return 2;
	}
	if (parse_type(type_s, &tb, &th, &ftype)) {
		fprintf(stderr, "model synth: unknown type '%s'\n", type_s);
		return 2;
	}
	char err[512];
	struct eng_gguf *vg = NULL;
	enum eng_err e = eng_gguf_open(vocab, &vg, err, sizeof err);
	if (e != ENG_OK) {
		fprintf(stderr, "model synth: %s: %s: %s\n", vocab, eng_strerror(e), err);
		return 1;
	}
	int64_t tk = eng_gguf_find(vg, "tokenizer.ggml.tokens");
	if (tk < 0) {
		fprintf(stderr, "model synth: %s has no tokenizer.ggml.tokens\n", vocab);
		eng_gguf_close(vg);
		return 1;
	}
	uint64_t n_vocab = eng_gguf_kv_arr_n(vg, (size_t)tk);

	struct synth *S = calloc(1, sizeof *S);
	struct eng_gguf_writer *w = NULL;
	if (!S || eng_gguf_writer_new(&w) != ENG_OK) {
		fprintf(stderr, "model synth: out of memory\n");
		free(S);
		eng_gguf_close(vg);
		return 1;
	}
	S->seed = seed;
	S->fast = fast;
	const int hd = sh.embd / sh.heads;
	eng_gguf_writer_add_str(w, "general.architecture", "llama");
	char name[128];
	snprintf(name, sizeof name, "synth-%s-%s", shape_s, type_s);
	eng_gguf_writer_add_str(w, "general.name", name);
	eng_gguf_writer_add_u32(w, "general.file_type", (uint32_t)ftype);
	eng_gguf_writer_add_u32(w, "llama.context_length", (uint32_t)sh.ctx);
	eng_gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)sh.embd);
	eng_gguf_writer_add_u32(w, "llama.block_count", (uint32_t)sh.layers);
	eng_gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)sh.ff);
	eng_gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)sh.heads);
	eng_gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)sh.kv);
	eng_gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)hd);
	eng_gguf_writer_add_f32(w, "llama.rope.freq_base", sh.rope_base);
	eng_gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
	eng_gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)n_vocab);
	for (size_t i = 0; i < eng_gguf_n_kv(vg); i++) {
		const char *k = eng_gguf_kv_key(vg, i);
		if (k && !strncmp(k, "tokenizer.", 10))
			eng_gguf_writer_copy_kv(w, vg, i);
	}

#define ADD(nm, type, nd, a, b, kd) do { \
	uint64_t ne_[2] = { (uint64_t)(a), (uint64_t)(b) }; \
	if (S->n_tensors >= 1024) { e = ENG_ERR_INVALID_ARG; goto fail; } \
	S->types[S->n_tensors] = (type); S->ne0[S->n_tensors] = (uint64_t)(a); S->kind[S->n_tensors] = (kd); \
	S->n_tensors++; \
	if ((e = eng_gguf_writer_add_tensor(w, nm, type, nd, ne_, NULL)) != ENG_OK) goto fail; } while (0)

	char nm[96];
	uint32_t embd_t = sh.tied ? th : tb;
	ADD("token_embd.weight", embd_t, 2, sh.embd, n_vocab, 0);
	if (sh.rope_factor > 0) {
		/* llama3 rope scaling as convert_hf_to_gguf.py writes it */
		const float lo = 1.0f, hi = 4.0f, octx = 8192.0f, factor = sh.rope_factor;
		for (int i = 0; i < hd / 2; i++) {
			float freq = 1.0f / powf(sh.rope_base, (2.0f * i) / hd);
			float wavelen = 2.0f * (float)M_PI / freq;
			float lw = octx / lo, hw = octx / hi;
			if (wavelen < hw)
				S->rope_freqs[i] = 1.0f;
			else if (wavelen > lw)
				S->rope_freqs[i] = factor;
			else {
				float smooth = (octx / wavelen - lo) / (hi - lo);
				S->rope_freqs[i] = 1.0f / ((1 - smooth) / factor + smooth);
			}
		}
		ADD("rope_freqs.weight", ENG_TYPE_F32, 1, hd / 2, 1, 2);
	}
	for (int il = 0; il < sh.layers; il++) {
		uint32_t tv = more_bits(il, sh.layers) ? th : tb;
#define N(x) (snprintf(nm, sizeof nm, "blk.%d.%s", il, x), nm)
		ADD(N("attn_norm.weight"), ENG_TYPE_F32, 1, sh.embd, 1, 1);
		ADD(N("attn_q.weight"), tb, 2, sh.embd, sh.embd, 0);
		ADD(N("attn_k.weight"), tb, 2, sh.embd, sh.kv * hd, 0);
		ADD(N("attn_v.weight"), tv, 2, sh.embd, sh.kv * hd, 0);
		ADD(N("attn_output.weight"), tb, 2, sh.embd, sh.embd, 0);
		ADD(N("ffn_norm.weight"), ENG_TYPE_F32, 1, sh.embd, 1, 1);
		ADD(N("ffn_gate.weight"), tb, 2, sh.embd, sh.ff, 0);
		ADD(N("ffn_up.weight"), tb, 2, sh.embd, sh.ff, 0);
		ADD(N("ffn_down.weight"), tv, 2, sh.ff, sh.embd, 0);
#undef N
	}
	ADD("output_norm.weight", ENG_TYPE_F32, 1, sh.embd, 1, 1);
	if (!sh.tied)
		ADD("output.weight", th, 2, sh.embd, n_vocab, 0);
#undef ADD
	if ((e = eng_pool_new(threads, &S->pool)) != ENG_OK)
		goto fail;
	double t0 = now_s();
	e = eng_gguf_writer_write(w, out, synth_fill, S, err, sizeof err);
	if (e == ENG_OK) {
		double dt = now_s() - t0;
		struct stat st;
		char size[32] = "?";
		double gbs = 0;
		if (stat(out, &st) == 0) {
			human_bytes(size, sizeof size, (uint64_t)st.st_size);
			gbs = dt > 0 ? (double)st.st_size / dt / 1e9 : 0;
		}
		fprintf(stderr, "wrote %s (%d tensors, %s, %.1f s, %.2f GB/s)\n", out, S->n_tensors, size, dt,
			gbs);
	}
fail:
	if (e != ENG_OK)
		fprintf(stderr, "model synth: %s: %s\n", eng_strerror(e), err);
	eng_pool_free(S->pool);
	eng_gguf_writer_free(w);
	eng_gguf_close(vg);
	free(S);
	return e == ENG_OK ? 0 : 1;
}

/* ---- quantize --------------------------------------------------------------- */

static void quantize_usage(FILE *f)
{
	fprintf(f, "usage: model quantize IN.gguf OUT.gguf --type TYPE [--pure]\n"
		   "       [--token-embedding-type T] [--output-tensor-type T] [-t THREADS]\n"
		   "types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K\n"
		   "--pure: every 2-D weight in TYPE (no K-quant mix, no Q6_K output)\n");
}

static int cmd_quantize(int argc, char **argv)
{
	struct eng_requant_opts o = { .token_embd_type = -1, .output_type = -1 };
	const char *in = NULL, *out = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			quantize_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--pure")) {
			o.pure = 1;
		} else if (!strcmp(a, "--type") || !strcmp(a, "--token-embedding-type") ||
			   !strcmp(a, "--output-tensor-type") || !strcmp(a, "-t")) {
			if (!v) {
				fprintf(stderr, "model quantize: %s needs a value\n", a);
				return 2;
			}
			i++;
			if (!strcmp(a, "--type")) {
				o.type = v;
			} else if (!strcmp(a, "-t")) {
				char *end;
				long t = strtol(v, &end, 10);
				if (*end || t < 1 || t > 1024) {
					fprintf(stderr, "model quantize: -t wants 1..1024 threads, not '%s'\n", v);
					return 2;
				}
				o.threads = (int)t;
			} else {
				int t = eng_type_from_name(v);
				if (t < 0) {
					fprintf(stderr, "model quantize: %s: unknown tensor type '%s' (%s)\n", a, v,
						eng_type_supported_list());
					return 2;
				}
				*(a[2] == 't' ? &o.token_embd_type : &o.output_type) = t;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "model quantize: unknown option %s\n", a);
			return 2;
		} else if (!in) {
			in = a;
		} else if (!out) {
			out = a;
		} else {
			fprintf(stderr, "model quantize: unexpected argument '%s'\n", a);
			return 2;
		}
	}
	if (!in || !out || !o.type) {
		quantize_usage(stderr);
		return 2;
	}
	if (!strcmp(in, out)) {
		fprintf(stderr, "model quantize: the output would replace the input; name another file\n");
		return 2;
	}
	struct eng_requant_report rep;
	char err[512] = "";
	double t0 = now_s();
	enum eng_err e = eng_requantize(in, out, &o, &rep, err, sizeof err);
	if (e != ENG_OK) {
		fprintf(stderr, "model quantize: %s%s%s\n", eng_strerror(e), *err ? ": " : "", err);
		return e == ENG_ERR_INVALID_ARG ? 2 : 1;
	}
	char a[32], b[32];
	human_bytes(a, sizeof a, rep.bytes_in);
	human_bytes(b, sizeof b, rep.bytes_out);
	fprintf(stderr, "wrote %s: %d tensors, %d requantised (%d to a fallback type: rows that do "
		"not split into the type's blocks); %s -> %s, %.1f s\n", out, rep.n_tensors,
		rep.n_requantized, rep.n_fallback, a, b, now_s() - t0);
	return 0;
}

/* ---- entry ------------------------------------------------------------------ */

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s COMMAND ...\n"
		   "  info FILE                         architecture, shapes, types, size, chat template, memory\n"
		   "  run FILE -p PROMPT [-n N] [--chat] [--temp T] ...   stream a generation\n"
		   "  bench FILE [-t N] [-b 1,4,16]     prompt processing and generation tokens/s\n"
		   "  synth --shape 1b|8b|70b|DIMS --type Q4_K_M|Q8_0|... --vocab-from FILE -o OUT.gguf [--fast]\n"
		   "  quantize IN.gguf OUT.gguf --type Q4_K_M|Q8_0|... [--pure]   requantise a model file\n",
		prog);
}

int eng_tool_main(int argc, char **argv)
{
	const char *prog = argc > 0 ? argv[0] : "briefing-model";
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout, prog);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	if (!strcmp(cmd, "synth"))
		return cmd_synth(argc - 1, argv + 1);
	if (!strcmp(cmd, "quantize"))
		return cmd_quantize(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage(stderr, prog);
	return 2;
}
