#!/bin/sh
# peers-ejabberd.sh [EJABBERDCTL-ARGS...]: the remote domains a running
# ejabberd has outgoing s2s connections to, one per line (for peers_command
# in s2sguard.conf). ejabberd has no command listing them, so this dumps its
# in-memory `s2s` table ({s2s, {From, To}, Pid} records) to a private
# temporary file and prints each To.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
if [ "$(id -u)" -eq 0 ] && id ejabberd >/dev/null 2>&1; then
	chown ejabberd "$d"
fi
ejabberdctl "$@" dump_table "$d/s2s.txt" s2s >/dev/null 2>&1 || exit 0
sed -n 's/^{s2s,{<<"[^"]*">>,<<"\([^"]*\)">>}.*/\1/p' "$d/s2s.txt" | sort -u
