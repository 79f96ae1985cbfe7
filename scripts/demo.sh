#!/usr/bin/env bash
# The demo: the whole job as far as it exists, on the simulated hardware.
# Starts the simulated PACS (Orthanc on 127.0.0.1 with synthetic patients), exports the
# demo patient's CR study to a simulated disc, verifies it, and says where the results are.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh"
"$top/scripts/build.sh" "$top/build"
exec "$top/scripts/netns.sh" "$top/scripts/demo-run.sh"
