/* `handoff log ...`: the log lives where the configuration says unless the caller names
 * it (--log-dir or HANDOFF_LOG_DIR); the commands themselves are in cmd_log.c. */
#include <stdio.h>
#include <stdlib.h>

#include "app/cli/cli.h"
#include "app/cli/cmd_log.h"
#include "util/fs.h"

int ho_cli_log_main(ho_config *cfg, int argc, char **argv)
{
	const char *dir = ho_config_get(cfg, "kiosk.log");
	char *def = NULL;
	int rc;

	if (getenv("HANDOFF_LOG_DIR") == NULL) {
		if (dir[0] == '\0')
			dir = def = ho_strfmt("%s/log", ho_config_get(cfg, "kiosk.state"));
		if (dir == NULL || setenv("HANDOFF_LOG_DIR", dir, 1) < 0) {
			free(def);
			return 12;
		}
	}
	rc = ho_cli_log(argc - 1, argv + 1);
	free(def);
	return rc;
}
