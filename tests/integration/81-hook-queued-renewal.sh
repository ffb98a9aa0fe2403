#!/bin/sh
# Two runs for one domain never lose a certificate: when the second run's
# deadline ends before the first run lets go of the domain (reload = sleep
# 15), the second queues its certificate, says so and exits 6; the first
# run, when it is done, processes the queued certificate through the
# normal pipeline: it is deployed, recorded, and the queue is empty.
. "$(dirname "$0")/../lib.sh"
W=$(pki_copy)
sleep 1	# the late leaf is issued after every leaf of the PKI
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" late --domain xmpp.example.test > /dev/null ||
	fail "cannot issue the late leaf"
mkdir -p "$T/srv"
conf() {	# conf FILE DEADLINE
	cat > "$1" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $W/root.pem
deadline = $2

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
probe = never
reload = sleep 15
reload_timeout = 30
CONF
}
conf "$T/long.conf" 80
conf "$T/short.conf" 6
hook() { _c=$1; shift; s2sguard-hook --config "$_c" --domain xmpp.example.test "$@"; }

hook "$T/long.conf" --cert "$W/leaf-both.fullchain.pem" --key "$W/leaf-both.key" > "$T/first.log" 2>&1 &
first=$!
at_exit "kill $first"
sleep 1
set +e
hook "$T/short.conf" --cert "$W/late.fullchain.pem" --key "$W/late.key" > "$T/second.log" 2>&1
second_rc=$?
set -e
cat "$T/second.log"
[ "$second_rc" -eq 6 ] || fail "second run: exit $second_rc, not 6 (queued)"
grep -q 'queue: another s2sguard run held xmpp.example.test for [0-9]* s: the new certificate is queued in ' \
	"$T/second.log" || fail "the second run's report does not say it queued the certificate"
[ "$(ls "$T/state/queue/xmpp.example.test" | wc -l)" -eq 1 ] || fail "not one queued entry"
kill -0 "$first" 2>/dev/null || fail "the first run ended before the second queued: nothing tested"

set +e
wait "$first"
first_rc=$?
set -e
cat "$T/first.log"
[ "$first_rc" -eq 0 ] || fail "first run: exit $first_rc"
[ "$(openssl x509 -in "$T/srv/xmpp.example.test.crt" -noout -fingerprint)" = \
  "$(openssl x509 -in "$W/late.pem" -noout -fingerprint)" ] ||
	fail "the queued certificate was not deployed"
[ "$(openssl pkey -in "$T/srv/xmpp.example.test.key" -pubout)" = \
  "$(openssl pkey -in "$W/late.key" -pubout)" ] || fail "the queued key was not deployed"
spki=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployed"]["spki_sha256"])' \
	"$T/state/xmpp.example.test.json")
[ "$spki" = "$(openssl pkey -in "$W/late.key" -pubout -outform DER | openssl dgst -sha256 -r | cut -c1-64)" ] ||
	fail "the state does not record the queued certificate as deployed"
[ -z "$(ls -A "$T/state/queue/xmpp.example.test")" ] || fail "the queue was not emptied"
[ "$(ls "$T/state/reports/"*-xmpp.example.test-hook.json | wc -l)" -eq 3 ] ||
	fail "want 3 reports (first run, queued run, queued certificate processed)"
say "queued by the second run (exit 6), deployed by the first when it was done"
