/* libFuzzer target for util's parsers of untrusted bytes: the terminal
 * sanitiser (its output must be valid UTF-8 with no ESC or C1 control), the
 * display width, UTF-8 repair, the date parser and the INI config parser
 * (through a temporary file, as util_config_load reads files). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	static char cfg_path[64];
	if (!cfg_path[0])
		snprintf(cfg_path, sizeof cfg_path, "/tmp/fuzz_util_%ld.conf", (long)getpid());
	if (util_file_write(cfg_path, data, size) == 0) {
		struct util_config *c = NULL;
		char *err = NULL;
		if (util_config_load(cfg_path, &c, &err) == 0) {
			(void)util_config_get(c, "llm.backend");
			(void)util_config_get_long(c, "fetch.timeout", 0);
			util_config_free(c);
		} else if (!err) {
			abort(); /* a failed load always explains itself */
		}
		free(err);
		unlink(cfg_path);
	}
	return 0;
}
