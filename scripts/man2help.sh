#!/bin/sh
# man2help.sh PAGE.1: turn a man page's SYNOPSIS and OPTIONS sections into a
# C header defining HELP_TEXT, so --help and the page cannot drift apart.
# Each option is a ".TP" paragraph whose first line is the option itself.
set -eu
page=$1
awk '
function clean(s) {
	gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); gsub(/\\e/, "\\", s)
	gsub(/\\\(em/, "--", s); gsub(/\\ /, " ", s); gsub(/\\&/, "", s)
	return s
}
function cstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
function emit(s) { printf "\t\"%s\\n\" \\\n", cstr(s) }
/^\.SH / {
	sec = $2; gsub(/"/, "", sec)
	if (sec == "OPTIONS") emit(""); 
	if (sec == "OPTIONS") emit("Options:")
	tp = 0; next
}
sec == "SYNOPSIS" && !/^\./ { line = clean($0); if (line != "") emit("Usage: " line); next }
sec == "SYNOPSIS" && /^\.B / { sub(/^\.B /, ""); emit("Usage: " clean($0)); next }
sec != "OPTIONS" { next }
/^\.TP/ { tp = 1; next }
/^\.(PP|LP|P)$/ { tp = 0; next }
/^\.RS|^\.RE|^\.IP|^\.br|^\.sp/ { next }
/^\.B |^\.BR |^\.I |^\.IR / { sub(/^\.[A-Z]+ /, ""); gsub(/"/, "") }
tp == 1 { emit("  " clean($0)); tp = 2; desc = ""; next }
tp == 2 { text = clean($0); if (text != "") emit("      " text) }
BEGIN { print "/* generated from " ARGV[1] " by scripts/man2help.sh; do not edit */"; print "#define HELP_TEXT \\" }
END { print "\t\"\"" }
' "$page"
