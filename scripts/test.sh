#!/usr/bin/env bash
# The test command: installs what is missing, builds the normal and the ASan+UBSan
# trees, and runs the suite in a loopback-only network namespace.
#   scripts/test.sh            everything (both trees)
#   HO_CTEST_ARGS="-L unit" scripts/test.sh     a subset, normal tree only
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh"
"$top/scripts/build.sh" "$top/build"
if [ -n "${HO_CTEST_ARGS:-}" ]; then
	# shellcheck disable=SC2086
	exec "$top/scripts/netns.sh" ctest --test-dir "$top/build" --output-on-failure $HO_CTEST_ARGS
fi
"$top/scripts/build.sh" "$top/build-asan" -DHO_SANITIZE=ON
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
"$top/scripts/netns.sh" ctest --test-dir "$top/build" --output-on-failure -j2 -LE bench || status=1
"$top/scripts/netns.sh" ctest --test-dir "$top/build-asan" --output-on-failure -j2 \
	-L 'unit|integration|fault' -LE 'slow|bench' || status=1
exit $status
