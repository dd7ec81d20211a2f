/* The plan as text: what `briefing generate --dry-run` shows. */
#include <stdlib.h>

#include "brief/brief_int.h"
#include "util/util.h"

char *brief_plan_text(const struct brief_item *it, size_t n_it, const struct brief_story *s,
		      size_t n, const struct brief_sections *secs)
{
	struct util_buf b;
	int last = -1, ok = 0;
	util_buf_init(&b);
	ok |= util_buf_printf(&b, "%zu stories from %zu items\n", n, n_it);
	for (size_t k = 0; k < n; k++) {
		const struct brief_story *x = &s[k];
		if (x->section < 0 || (size_t)x->section >= secs->n || x->n_items == 0)
			continue;
		const struct brief_section *sec = &secs->s[x->section];
		if (x->section != last) {
			ok |= util_buf_printf(&b, "\n%s%s%s\n", sec->emoji && *sec->emoji ? sec->emoji : "",
					      sec->emoji && *sec->emoji ? " " : "", sec->name);
			last = x->section;
		}
		const struct store_item *lead = &it[x->items[0]].it;
		ok |= util_buf_printf(&b, "  %zu. %s  [score %.1f, %zu source%s]\n", k + 1,
				      lead->title ? lead->title : "(untitled)", x->score, x->n_items,
				      x->n_items == 1 ? "" : "s");
		for (size_t j = 0; j < x->n_items; j++) {
			const struct brief_item *m = &it[x->items[j]];
			ok |= util_buf_printf(&b, "     - %s: %s%s%s\n",
					      m->it.feed_title ? m->it.feed_title : "?",
					      m->it.title ? m->it.title : "(untitled)",
					      m->it.url ? "  " : "", m->it.url ? m->it.url : "");
		}
	}
	if (ok < 0) {
		util_buf_free(&b);
		return NULL;
	}
	return util_buf_steal(&b);
}
