#!/bin/sh
# peers-prosody.sh [PROSODYCTL-ARGS...]: the remote domains a running Prosody
# federates with right now, one per line (for peers_command in s2sguard.conf).
# Reads `prosodyctl shell s2s show` (Prosody 0.12+, mod_admin_shell), whose
# table has the remote domain in its 4th column. Run it as root or as the
# prosody user (the admin socket).
set -eu
prosodyctl "$@" shell s2s show 2>/dev/null |
	awk -F'|' 'NF >= 4 && $3 ~ /<--|-->/ { gsub(/[[:space:]]/, "", $4); if ($4 != "") print $4 }' |
	sort -u
