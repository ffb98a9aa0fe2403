#!/bin/sh
# A queued renewal survives the run that should have processed it: the
# second hook run queues its certificate (exit 6) while the first holds the
# domain; the first is then killed (SIGKILL, as the OOM killer or a reboot
# would). The next s2sguard-check processes the queued certificate through
# the normal pipeline: deployed, recorded, the queue emptied.
. "$(dirname "$0")/../lib.sh"
W=$(pki_copy)
sleep 1	# the late leaf is issued after every leaf of the PKI
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" late --domain xmpp.example.test > /dev/null ||
	fail "cannot issue the late leaf"
mkdir -p "$T/srv"
conf() {	# conf FILE DEADLINE RELOAD
	cat > "$1" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $W/root.pem
deadline = $2

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
probe = never
reload = $3
reload_timeout = 30
CONF
}
conf "$T/first.conf" 80 "sleep 15"
conf "$T/second.conf" 6 "echo reloaded >> $T/reloads"
conf "$T/check.conf" 80 "echo reloaded >> $T/reloads"
hook() { _c=$1; shift; s2sguard-hook --config "$_c" --domain xmpp.example.test "$@"; }

setsid s2sguard-hook --config "$T/first.conf" --domain xmpp.example.test \
	--cert "$W/leaf-both.fullchain.pem" --key "$W/leaf-both.key" > "$T/first.log" 2>&1 &
first=$!
at_exit "kill -KILL -$first"
sleep 1
set +e
hook "$T/second.conf" --cert "$W/late.fullchain.pem" --key "$W/late.key" > "$T/second.log" 2>&1
second_rc=$?
set -e
[ "$second_rc" -eq 6 ] || fail "second run: exit $second_rc, not 6 (queued): $(cat "$T/second.log")"
kill -0 "$first" 2>/dev/null || fail "the first run ended before the second queued: nothing tested"
kill -KILL "-$first"	# the hook and its reload, before it could drain the queue
[ "$(ls "$T/state/queue/xmpp.example.test" | wc -l)" -eq 1 ] || fail "not one queued entry"

expect_exit 0 s2sguard-check --config "$T/check.conf" > "$T/check.log" 2>&1
cat "$T/check.log"
[ "$(openssl x509 -in "$T/srv/xmpp.example.test.crt" -noout -fingerprint)" = \
  "$(openssl x509 -in "$W/late.pem" -noout -fingerprint)" ] ||
	fail "s2sguard-check did not deploy the queued certificate"
[ "$(openssl pkey -in "$T/srv/xmpp.example.test.key" -pubout)" = \
  "$(openssl pkey -in "$W/late.key" -pubout)" ] || fail "the queued key was not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "want one reload by s2sguard-check"
spki=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployed"]["spki_sha256"])' \
	"$T/state/xmpp.example.test.json")
[ "$spki" = "$(openssl pkey -in "$W/late.key" -pubout -outform DER | openssl dgst -sha256 -r | cut -c1-64)" ] ||
	fail "the state does not record the queued certificate as deployed"
[ -z "$(ls -A "$T/state/queue/xmpp.example.test")" ] || fail "the queue was not emptied"
# once processed, nothing is left for the next check to do
expect_exit 0 s2sguard-check --config "$T/check.conf" > "$T/check2.log" 2>&1
[ "$(cat "$T/reloads")" = reloaded ] || fail "the second check deployed again"
say "queued by the second run, its holder killed, deployed by s2sguard-check"
