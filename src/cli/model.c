/* model.c — `briefing model`: inspect, run and benchmark GGUF models.
 * The engine's own tool does the work (the same code as briefing-model). */
#include "cli/cli.h"
#include "engine/engine.h"

int cli_model_main(const struct cli_global *g, int argc, char **argv)
{
	(void)g;
	return eng_tool_main(argc, argv);
}
