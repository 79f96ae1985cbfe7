#!/usr/bin/env bash
# Source checks that a compiler does not make (STYLE.md 8):
#  - banned functions: sprintf, vsprintf, strcpy, strcat, strtok, atoi, atol, gets;
#  - every public header opens with a comment saying what the module is for.
# Usage: scripts/check-source.sh [ROOT]
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
status=0
files=$(git ls-files '*.c' '*.h' '*.cc' '*.hh' 2>/dev/null || find . -name '*.[ch]' -o -name '*.cc')
for f in $files; do
	case "$f" in tests/fuzz/corpus/*) continue ;; esac
	# Strip comments and strings roughly, then look for calls.
	hits=$(sed -e 's://.*$::' "$f" | grep -nE '(^|[^_a-zA-Z0-9.>])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)[[:space:]]*\(' || true)
	if [ -n "$hits" ]; then
		echo "$f: banned function:"
		echo "$hits" | sed 's/^/  /'
		status=1
	fi
done
for f in $(git ls-files 'core/*.h' 'burn/*.h' 'dicom/*.h' 'util/*.h' 2>/dev/null); do
	if ! head -n 3 "$f" | grep -q '^/\*'; then
		echo "$f: public header does not open with a comment on the module's purpose"
		status=1
	fi
done
[ $status -eq 0 ] && echo "check-source: ok ($(echo "$files" | wc -w) files)"
exit $status
