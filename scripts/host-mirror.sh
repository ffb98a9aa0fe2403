#!/bin/sh
# scripts/host-mirror.sh: print the URI the host's apt takes Debian's main
# suite from (deb822 .sources first, then one-line .list files), or
# http://deb.debian.org/debian. Used by scripts/trixie-root.sh and
# scripts/bookworm-root.sh to debootstrap from the host's own mirror.
_hm=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
	/^[ \t]*$/ { if (uri != "" && main) { print uri; exit } uri = ""; main = 0; next }
	tolower($1) == "uris:" { uri = $2 }
	tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i !~ /-/) main = 1 }
	END { if (uri != "" && main) print uri }' | head -n 1)
[ -n "$_hm" ] || _hm=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	awk '$1 == "deb" && $3 !~ /-/ && $2 ~ /debian\/?$/ { print $2; exit }')
echo "${_hm:-http://deb.debian.org/debian}"
