/* The process exit codes of `handoff` (docs/CLI.md), one table for every sub-command. */
#include "app/cli/cli.h"

int ho_cli_exit_code(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case HO_EINVAL:
		return 1;
	case HO_ECONFIG:
		return 2;
	case HO_ENET:
	case HO_EREFUSED:
	case HO_EAUTH:
		return 3;
	case HO_ENOTFOUND:
		return 4;
	case HO_EGUARD:
		return 5;
	case HO_EDEVICE:
	case HO_ETOOBIG:
		return 6;
	case HO_EVERIFY:
		return 7;
	case HO_ECANCEL:
		return 8;
	case HO_EFORMAT:
		return 9;
	case HO_ESTATE:
		return 10;
	default:
		return 12;
	}
}
