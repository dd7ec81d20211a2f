/* tool_main.c — main() of the standalone briefing-model tool (libc, libm,
 * pthreads only): the same subcommands as `briefing model`. */
#include "engine/engine.h"

int main(int argc, char **argv)
{
	return eng_tool_main(argc, argv);
}
