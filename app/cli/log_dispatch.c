#include <stdio.h>

#include "app/cli/cli.h"

/* Until the ledger lands, `handoff log` says so plainly. */
int ho_cli_log_main(ho_config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	fputs("handoff: the signed log is not available in this build\n", stderr);
	return 10;
}
