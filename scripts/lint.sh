#!/bin/sh
# lint.sh: banned functions, and the longest functions for a reviewer to look at.
set -eu
banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|atoll)[[:space:]]*\('
if grep -nE "$banned" lib/*.c lib/*.h hooks/*.c acme/*.c 2>/dev/null | grep -v 'lint: allow'; then
	echo "lint: banned function used (see STYLE: snprintf, strtol with checks)" >&2
	exit 1
fi
# Longest functions: a top-level "{" line to its "}" line.
awk '
FNR == 1 { name = "" }
/^[a-z_][a-z0-9_]*\(/ { name = FILENAME ":" $0; sub(/\(.*/, "", name) }
/^\{/ { start = FNR }
/^\}/ && start { len = FNR - start; if (len > 0) printf "%d %s\n", len, name; start = 0 }
' lib/*.c hooks/*.c acme/*.c 2>/dev/null | sort -rn | head -n 5 | sed 's/^/lint: longest: /'
exit 0
