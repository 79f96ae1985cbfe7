#!/usr/bin/env bash
# Runs a command in a fresh network namespace that has only loopback, so that every
# server the tests and the demo start (Orthanc binds all interfaces) is reachable from
# 127.0.0.1 only. Usage: scripts/netns.sh CMD [ARGS...]
set -euo pipefail
if [ "${HO_IN_NETNS:-}" = 1 ]; then
	exec "$@"
fi
export HO_IN_NETNS=1
exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
