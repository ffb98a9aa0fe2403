#!/bin/sh
# The capabilities s2sguard-check.service keeps (CapabilityBoundingSet,
# read from the unit) are enough for the guard pipeline the timer runs:
# with only those, and no_new_privs, a renewal is inspected, probed by a
# prober that drops to probe_user, and deployed into a directory root does
# not own, with the server's owner and group and a 0640 key. Without
# CAP_CHOWN or CAP_FOWNER the same deployment fails and leaves the old pair
# in place, and without CAP_SETUID the prober refuses to run as root.
# (systemd itself is not running in CI; setpriv applies the bounding set
# the unit would.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd setpriv prosody
[ "$(id -u)" -eq 0 ] || skip "needs root (capabilities)"
P=$(pki)

unit=$TOP/packaging/systemd/s2sguard-check.service
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || fail "no CapabilityBoundingSet in $unit"
# "CAP_CHOWN CAP_FOWNER" -> "-all,+chown,+fowner"
bset="-all$(for c in $caps; do printf ',+%s' "$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done)"
say "bounding set: $bset"

pr=$(free_port)
prosody_start "$T/pr" pr.peer.test "$pr"

# setup_target DIR: the deployed pair in DIR (owned by nobody), DIR.conf
setup_target() {
	mkdir -p "$1"
	cp "$P/leaf-both.fullchain.pem" "$1/xmpp.example.test.crt"
	cp "$P/leaf-both.key" "$1/xmpp.example.test.key"
	chmod 600 "$1/xmpp.example.test.key"
	chown -R nobody:nogroup "$1"
	chmod 755 "$1"
	cat > "$1.conf" <<CONF
[s2sguard]
state_dir = $1.state
ca_file = $P/root.pem
probe_user = nobody

[domain xmpp.example.test]
target = files
cert = $1/xmpp.example.test.crt
key = $1/xmpp.example.test.key
owner = nobody
group = nogroup
key_mode = 0640
policy = warn
probe = always
reload = echo reloaded >> $1.reloads
peers = pr.peer.test
connect = pr.peer.test=127.0.0.1:$pr
CONF
}
# run_hook BSET DIR: s2sguard-hook under the unit's restrictions
run_hook() {
	setpriv --bounding-set "$1" --inh-caps -all --no-new-privs -- \
		"$BUILD/s2sguard-hook" --config "$2.conf" --json \
		--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
		--domain xmpp.example.test > "$2.json" 2> "$2.log"
}

setup_target "$T/srv"
set +e; run_hook "$bset" "$T/srv"; rc=$?; set -e
cat "$T/srv.log"
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "with the unit's capabilities: exit $rc"
cmp -s "$T/srv/xmpp.example.test.crt" "$P/leaf-server.fullchain.pem" || fail "not deployed"
cmp -s "$T/srv/xmpp.example.test.key" "$P/leaf-server.key" || fail "key not deployed"
[ "$(stat -L -c "%a %U %G" "$T/srv/xmpp.example.test.key")" = "640 nobody nogroup" ] ||
	fail "key is $(stat -L -c "%a %U %G" "$T/srv/xmpp.example.test.key"), want 640 nobody nogroup"
[ "$(cat "$T/srv.reloads")" = reloaded ] || fail "not reloaded"
python3 - "$T/srv.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = {p["peer"]: p["verdict"] for p in r["probes"]}
assert v.get("pr.peer.test") == "accepted", r["probes"]
PY

# the controls: the same run without CAP_CHOWN cannot hand the files to
# the server's user, without CAP_FOWNER cannot then set their mode, without
# CAP_SETUID the prober cannot drop root (and never probes as root); all
# three change nothing
for c in chown fowner setuid; do
	setup_target "$T/no$c"
	set +e; run_hook "$(echo "$bset" | sed "s/,+$c//")" "$T/no$c"; rc=$?; set -e
	cat "$T/no$c.log"
	[ "$rc" -eq 3 ] || fail "without CAP_$c: exit $rc, want 3"
	cmp -s "$T/no$c/xmpp.example.test.crt" "$P/leaf-both.fullchain.pem" || fail "changed without CAP_$c"
	[ ! -e "$T/no$c.reloads" ] || fail "reloaded without CAP_$c"
done
say "deployed and probed with $bset; refused without chown, fowner or setuid"
