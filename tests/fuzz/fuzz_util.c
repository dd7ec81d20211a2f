/* libFuzzer target for util's parsers of untrusted bytes: the terminal
 * sanitiser (its output must be valid UTF-8 with no ESC or C1 control), the
 * display width, UTF-8 repair, and the date parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	for (int keep = 0; keep < 2; keep++) {
		char *out = util_text_sanitize(s, size, keep);
		if (!out)
			continue;
		size_t len = strlen(out), i = 0;
		if (!util_utf8_valid(out, len))
			abort();
		while (i < len) {
			uint32_t cp;
			i += util_utf8_decode(out + i, len - i, &cp);
			if (cp == 0x1B || (cp >= 0x80 && cp <= 0x9F) || cp == 0x7F)
				abort();
		}
		(void)util_text_width(out);
		free(out);
	}
	char *rep = util_utf8_repair(s, size);
	if (rep) {
		if (!util_utf8_valid(rep, strlen(rep)))
			abort();
		free(rep);
	}
	char *z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	int64_t t;
	if (util_time_parse(z, &t) == 0) {
		char iso[32];
		util_time_iso(t, iso, sizeof iso);
	}
	(void)util_time_parse_since(z, 1771700400, &t);
	(void)util_text_width(z);
	free(z);
	return 0;
}
