/*
 * app/cli/cmd_log.h - `handoff log ...`: show, verify, export, report, keygen,
 * fingerprint and rotate-key for the signed handoff log (core/ledger.h).
 *
 * ho_cli_log gets the arguments after "log" (argv[0] is the sub-command) and returns the
 * process exit code documented in docs/CLI.md (0 ok, 1 usage, 7 verification failed,
 * 10 log unusable, ...). The log directory comes from --log-dir, else $HANDOFF_LOG_DIR,
 * else /var/lib/handoff/log.
 */
#ifndef HO_APP_CLI_CMD_LOG_H
#define HO_APP_CLI_CMD_LOG_H

int ho_cli_log(int argc, char **argv);

#endif
