/* Logging to stderr for the CLI and UI. */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

static enum util_log_level log_level = UTIL_LOG_WARN;

void util_log_set_level(enum util_log_level lvl)
{
	log_level = lvl;
}

void util_log(enum util_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {
		[UTIL_LOG_ERROR] = "error",
		[UTIL_LOG_WARN] = "warning",
		[UTIL_LOG_INFO] = "info",
		[UTIL_LOG_DEBUG] = "debug",
	};
	if (lvl > log_level)
		return;
	const char *name = (unsigned)lvl <= UTIL_LOG_DEBUG ? names[lvl] : "log";
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (lvl == UTIL_LOG_INFO)
		fprintf(stderr, "briefing: %s\n", msg);
	else
		fprintf(stderr, "briefing: %s: %s\n", name, msg);
}
