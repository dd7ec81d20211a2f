/* openai.c — the "openai" backend (being written). */
#include <stdlib.h>

#include "llm/llm_int.h"
#include "util/util.h"

int llm_openai_open(struct llm *l, const struct llm_config *cfg, char **err)
{
	(void)l;
	if (!cfg->base_url || !*cfg->base_url) {
		*err = util_strdup("openai backend needs a base URL (config [llm] base_url or --base-url)");
		return LLM_ERR_CONFIG;
	}
	*err = util_strdup("the openai backend is not available yet");
	return LLM_ERR_CONFIG;
}
