/*
 * app/cli/cli.h - what the `handoff` command's files share: the exit-code mapping and
 * the sub-command entry points that live in their own files.
 */
#ifndef HO_APP_CLI_CLI_H
#define HO_APP_CLI_CLI_H

#include "core/config.h"

/* HO_E* -> documented process exit code (docs/CLI.md). */
int ho_cli_exit_code(int rc);

/* `handoff log ...`; argv[0] is "log". */
int ho_cli_log_main(ho_config *cfg, int argc, char **argv);

#endif
