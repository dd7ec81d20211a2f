/* tiers.c — the weight-tier planner (see tiers.h), size parsing and
 * printing, and a file read-bandwidth probe.
 *
 * The items of a pass are indexed 0 .. n_layer-1 (the layers) and n_layer
 * (the output head). Every item starts as FILE ("not placed yet"); each
 * level of placement (FAST, then HOST) moves some FILE items to its tier
 * with place_level, so whatever no level keeps is read from the file. */
#include "engine/tiers.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Saturating arithmetic: sizes near UINT64_MAX fail to fit, never wrap. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* One level of placement: which of the items still marked FILE stay in
 * this level's memory (tier `to`); the rest stream through n_slots slots
 * of the largest streamed item's size. */
struct level {
	const uint64_t *size;   /* (n) bytes of each item */
	int n;                  /* items: n_layer layers + the output head */
	uint64_t fixed;         /* bytes the level holds besides weights and slots */
	uint64_t budget;        /* bytes allowed in all */
	uint64_t n_slots;
	uint8_t to;             /* the tier the kept items get */
	uint64_t *sorted;       /* (n) scratch */
	uint8_t *work, *best;   /* (n) scratch: the candidate tiers, the best so far */
	/* results */
	uint64_t slot;          /* largest item left streaming, 0 if none */
	uint64_t kept;          /* bytes kept in this level */
	uint64_t min;           /* smallest budget that works */
	uint64_t min_slot;      /* the slot size of that minimum (0: keep everything) */
	uint64_t min_kept;      /* bytes kept at that minimum */
	int min_n_kept;         /* items kept at that minimum */
};

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The plan for slot size s (a size of some candidate item, fixed + items
 * larger than s + n_slots * s <= budget): keep the items larger than s,
 * fill the room first-fit in pass order, shrink the slots to the largest
 * item left and fill again while that frees room. Writes lv->work; returns
 * the bytes kept and the final slot size in *slot_out. */
static uint64_t try_slot(struct level *lv, const uint8_t *tier, uint64_t s, uint64_t need,
			 uint64_t *slot_out)
{
	uint64_t kept = 0, room = lv->budget - need, cur = s;
	for (int i = 0; i < lv->n; i++) {
		lv->work[i] = tier[i];
		if (tier[i] == ENG_TIER_FILE && lv->size[i] > s) {
			lv->work[i] = lv->to;
			kept += lv->size[i];   /* <= need, cannot wrap */
		}
	}
	for (;;) {
		int added = 0;
		uint64_t left = 0;
		for (int i = 0; i < lv->n; i++) {
			if (lv->work[i] != ENG_TIER_FILE)
				continue;
			if (lv->size[i] <= room) {
				lv->work[i] = lv->to;
				room -= lv->size[i];
				kept += lv->size[i];
				added = 1;
			} else if (lv->size[i] > left) {
				left = lv->size[i];
			}
		}
		if (left < cur) {
			/* The slots shrink; the freed room is real (it was reserved). */
			room += lv->n_slots * (cur - left);
			cur = left;
		} else if (!added) {
			break;
		}
		if (cur == 0)
			break;
	}
	*slot_out = cur;
	return kept;
}

/* Places the FILE items of tier[] for one level (see struct level). Returns
 * 0, or -1 when lv->budget < lv->min (tier[] untouched). */
static int place_level(struct level *lv, uint8_t *tier)
{
	uint64_t total = 0;
	int m = 0;
	for (int i = 0; i < lv->n; i++) {
		if (tier[i] != ENG_TIER_FILE)
			continue;
		lv->sorted[m++] = lv->size[i];
		total = sat_add(total, lv->size[i]);
	}
	qsort(lv->sorted, (size_t)m, sizeof *lv->sorted, cmp_desc);

	/* The minimum: keep everything, or for each slot size s keep what is
	 * larger than s (a prefix of the sorted sizes). */
	uint64_t all = sat_add(lv->fixed, total);
	lv->min = all;
	lv->min_slot = 0;
	lv->min_kept = total;
	lv->min_n_kept = m;
	uint64_t above = 0;
	for (int j = 0; j < m; j++) {
		if (j == 0 || lv->sorted[j] != lv->sorted[j - 1]) {
			uint64_t need = sat_add(sat_add(lv->fixed, above),
						sat_mul(lv->n_slots, lv->sorted[j]));
			if (need < lv->min) {
				lv->min = need;
				lv->min_slot = lv->sorted[j];
				lv->min_kept = above;
				lv->min_n_kept = j;
			}
		}
		above = sat_add(above, lv->sorted[j]);
	}
	if (lv->budget < lv->min)
		return -1;

	if (all <= lv->budget) {
		for (int i = 0; i < lv->n; i++)
			if (tier[i] == ENG_TIER_FILE)
				tier[i] = lv->to;
		lv->slot = 0;
		lv->kept = total;
		return 0;
	}

	/* Each slot size that fits; the one keeping the most bytes wins, ties
	 * to the smaller footprint. */
	int found = 0;
	uint64_t best_kept = 0, best_used = 0, best_slot = 0;
	above = 0;
	for (int j = 0; j < m; j++) {
		uint64_t s = lv->sorted[j];
		if (j == 0 || s != lv->sorted[j - 1]) {
			uint64_t need = sat_add(sat_add(lv->fixed, above), sat_mul(lv->n_slots, s));
			if (need <= lv->budget) {
				uint64_t slot;
				uint64_t kept = try_slot(lv, tier, s, need, &slot);
				uint64_t used = lv->fixed + kept + lv->n_slots * slot;  /* <= budget */
				if (!found || kept > best_kept || (kept == best_kept && used < best_used)) {
					found = 1;
					best_kept = kept;
					best_used = used;
					best_slot = slot;
					memcpy(lv->best, lv->work, (size_t)lv->n);
				}
			}
		}
		above = sat_add(above, s);
	}
	if (!found)   /* cannot happen: budget >= min, and min is one of the candidates */
		return -1;
	memcpy(tier, lv->best, (size_t)lv->n);
	lv->slot = best_slot;
	lv->kept = best_kept;
	return 0;
}

static void budget_message(char *err, size_t errlen, const char *what, const struct level *lv,
			   int n_layer, const uint8_t *tier, const char *fixed_what)
{
	char budget[32], min[32], kept[32], slots[32], fixed[32];
	size_t k = 0;
	if (!err || !errlen)
		return;
	eng_bytes_human(budget, sizeof budget, lv->budget);
	eng_bytes_human(min, sizeof min, lv->min);
	eng_bytes_human(kept, sizeof kept, lv->min_kept);
	eng_bytes_human(slots, sizeof slots, sat_mul(lv->n_slots, lv->min_slot));
	eng_bytes_human(fixed, sizeof fixed, lv->fixed);
	k = (size_t)snprintf(err, errlen, "a %s budget of %s is below the minimum of %s (",
			     what, budget, min);
#define ADD(...) do { if (k < errlen) k += (size_t)snprintf(err + k, errlen - k, __VA_ARGS__); } while (0)
	const char *sep = "";
	if (lv->min_slot == 0) {
		if (lv->min_kept) {
			ADD("all weights %s", kept);
			sep = " + ";
		}
	} else {
		/* Which item has the slot size: a layer or the output head. */
		int head = 1;
		for (int i = 0; i < lv->n; i++) {
			if (tier[i] == ENG_TIER_FILE && lv->size[i] == lv->min_slot) {
				head = i >= n_layer;
				break;
			}
		}
		if (lv->min_kept) {
			ADD("the %d largest item%s kept %s + ", lv->min_n_kept,
			    lv->min_n_kept == 1 ? "" : "s", kept);
		}
		ADD("%s staging x%llu = %s", head ? "the output head's" : "one layer's",
		    (unsigned long long)lv->n_slots, slots);
		sep = " + ";
	}
	if (lv->fixed)
		ADD("%s%s %s", sep, fixed_what, fixed);
	ADD(")");
#undef ADD
}

enum eng_err eng_plan_make(const struct eng_plan_in *in, struct eng_plan *out, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (out)
		memset(out, 0, sizeof *out);
	if (!in || !out || in->n_layer < 0 || (in->n_layer > 0 && !in->layer_bytes) || in->n_slots < 1) {
		if (err && errlen)
			snprintf(err, errlen, "invalid tier plan input");
		return ENG_ERR_INVALID_ARG;
	}

	int n = in->n_layer + 1;   /* the layers, then the output head */
	uint64_t *size = malloc((size_t)n * sizeof *size);
	uint64_t *sorted = malloc((size_t)n * sizeof *sorted);
	uint8_t *tier = malloc((size_t)n);
	uint8_t *work = malloc((size_t)n);
	uint8_t *best = malloc((size_t)n);
	enum eng_err e = ENG_OK;
	if (!size || !sorted || !tier || !work || !best) {
		e = ENG_ERR_NOMEM;
		goto err;
	}
	for (int i = 0; i < in->n_layer; i++)
		size[i] = in->layer_bytes[i];
	size[n - 1] = in->out_bytes;
	memset(tier, ENG_TIER_FILE, (size_t)n);

	/* FAST */
	struct level fast = {
		.size = size, .n = n, .fixed = in->fixed_fast, .budget = in->fast_budget,
		.n_slots = (uint64_t)in->n_slots, .to = ENG_TIER_FAST,
		.sorted = sorted, .work = work, .best = best,
	};
	if (place_level(&fast, tier) < 0) {
		budget_message(err, errlen, in->fast_name ? in->fast_name : "fast memory", &fast,
			       in->n_layer, tier, "KV cache and scratch");
		e = ENG_ERR_INVALID_ARG;
		goto err;
	}
	out->min_fast = fast.min;
	out->slot_bytes = fast.slot;

	/* HOST (the streamed items; the rest stay FILE) */
	if (in->has_host_tier) {
		struct level host = {
			.size = size, .n = n, .fixed = 0, .budget = in->host_budget,
			.n_slots = (uint64_t)in->n_slots, .to = ENG_TIER_HOST,
			.sorted = sorted, .work = work, .best = best,
		};
		if (place_level(&host, tier) < 0) {
			budget_message(err, errlen, in->host_name ? in->host_name : "host memory", &host,
				       in->n_layer, tier, "");
			e = ENG_ERR_INVALID_ARG;
			goto err;
		}
		out->min_host = host.min;
		out->host_slot_bytes = host.slot;
	}

	for (int i = 0; i < n; i++) {
		out->tier_bytes[tier[i]] = sat_add(out->tier_bytes[tier[i]], size[i]);
		out->n_streamed += tier[i] != ENG_TIER_FAST;
	}
	out->fast_used = sat_add(sat_add(in->fixed_fast, out->tier_bytes[ENG_TIER_FAST]),
				 sat_mul((uint64_t)in->n_slots, out->slot_bytes));
	if (in->has_host_tier)
		out->host_used = sat_add(out->tier_bytes[ENG_TIER_HOST],
					 sat_mul((uint64_t)in->n_slots, out->host_slot_bytes));
	out->n_layer = in->n_layer;
	out->out_tier = tier[n - 1];
	if (in->n_layer > 0) {
		out->layer_tier = tier;   /* the first n_layer entries; the head's is copied above */
		tier = NULL;
	}
	free(size);
	free(sorted);
	free(tier);
	free(work);
	free(best);
	return ENG_OK;
err:
	if (e == ENG_ERR_NOMEM && err && errlen)
		snprintf(err, errlen, "out of memory planning weight tiers");
	free(size);
	free(sorted);
	free(tier);
	free(work);
	free(best);
	memset(out, 0, sizeof *out);
	return e;
}

void eng_plan_free(struct eng_plan *p)
{
	if (!p)
		return;
	free(p->layer_tier);
	memset(p, 0, sizeof *p);
}

/* ---- sizes ----------------------------------------------------------------- */

void eng_bytes_human(char *buf, size_t n, uint64_t b)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	if (!buf || !n)
		return;
	if (b < 1024) {
		snprintf(buf, n, "%llu B", (unsigned long long)b);
		return;
	}
	double v = (double)b / 1024.0;
	int u = 0;
	/* Move up a unit when the printed value would round to 1024. */
	while (u < 5 && v >= (u >= 2 ? 1023.995 : 1023.95)) {
		v /= 1024.0;
		u++;
	}
	if (u >= 2)
		snprintf(buf, n, "%.2f %s", v, unit[u]);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
}

int eng_size_parse(const char *s, uint64_t *out)
{
	if (!s || !out)
		return -1;
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;

	uint64_t whole = 0, frac = 0, den = 1;
	int n_whole = 0, n_frac = 0;
	for (; *p >= '0' && *p <= '9'; p++, n_whole++) {
		unsigned d = (unsigned)(*p - '0');
		if (whole > (UINT64_MAX - d) / 10)
			return -1;
		whole = whole * 10 + d;
	}
	if (*p == '.') {
		p++;
		/* Up to 15 fraction digits count (den <= 1e15 keeps the long
		 * division below in 64 bits); further digits are ignored. */
		for (; *p >= '0' && *p <= '9'; p++, n_frac++) {
			if (n_frac < 15) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				den *= 10;
			}
		}
		if (!n_frac)
			return -1;
	}
	if (!n_whole && !n_frac)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;

	int shift = 0;
	switch (tolower((unsigned char)*p)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	default: break;
	}
	if (shift) {
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
		if (*p == 'b' || *p == 'B')
			p++;
	} else if (*p == 'b' || *p == 'B') {
		p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	if (!shift && frac)
		return -1;   /* a fraction of a byte */

	if (shift && whole > (UINT64_MAX >> shift))
		return -1;
	uint64_t v = whole << shift;
	/* floor(frac / den * 2^shift) by long division in base 1024: the
	 * remainder stays below den <= 1e15, so rem * 1024 < 2^64. */
	uint64_t part = 0, rem = frac;
	for (int k = 0; k < shift / 10; k++) {
		uint64_t t = rem * 1024;
		part = part * 1024 + t / den;
		rem = t % den;
	}
	if (v > UINT64_MAX - part)
		return -1;
	*out = v + part;
	return 0;
}

/* ---- cost ------------------------------------------------------------------ */

double eng_plan_pass_seconds(const struct eng_plan *p, double host_gbps, double file_gbps)
{
	double s = 0.0;
	if (!p)
		return 0.0;
	if (host_gbps > 0)
		s += (double)p->tier_bytes[ENG_TIER_HOST] / (host_gbps * 1e9);
	if (file_gbps > 0)
		s += (double)p->tier_bytes[ENG_TIER_FILE] / (file_gbps * 1e9);
	return s;
}

double eng_measure_read_gbps(const char *path, uint64_t max_bytes, int drop_cache)
{
	enum { CHUNK = 8 << 20 };
	if (!path)
		return -1.0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1.0;
	if (drop_cache)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	char *buf = malloc(CHUNK);
	if (!buf) {
		close(fd);
		return -1.0;
	}
	struct timespec t0, t1;
	uint64_t done = 0;
	int bad = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (max_bytes == 0 || done < max_bytes) {
		size_t want = CHUNK;
		if (max_bytes && max_bytes - done < want)
			want = (size_t)(max_bytes - done);
		ssize_t r = pread(fd, buf, want, (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			bad = 1;
			break;
		}
		if (r == 0)
			break;
		done += (uint64_t)r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(buf);
	close(fd);
	if (bad || done == 0)
		return -1.0;
	double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	if (sec < 1e-9)
		sec = 1e-9;
	return (double)done / sec / 1e9;
}
