/* Test driver: `ledger_cli ARGS` behaves like `handoff log ARGS`. */
#include "app/cli/cmd_log.h"

int main(int argc, char **argv)
{
	return ho_cli_log(argc - 1, argv + 1);
}
