#!/bin/sh
# Two runs for one domain never lose a certificate: while a first hook run
# holds the domain (its reload takes 15 s), a second run started 1 s later
# waits for the lock within its own deadline instead of giving up after
# 10 s, then deploys its certificate on top of the first one.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
deadline = 80

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
probe = never
reload = sleep 15
reload_timeout = 30
CONF
hook() { s2sguard-hook --config "$T/s2sguard.conf" --domain xmpp.example.test "$@"; }

hook --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" > "$T/first.log" 2>&1 &
first=$!
at_exit "kill $first"
sleep 1
start=$(date +%s)
set +e
hook --cert "$P/leaf-rsa.fullchain.pem" --key "$P/leaf-rsa.key" > "$T/second.log" 2>&1
second_rc=$?
wait "$first"
first_rc=$?
set -e
took=$(( $(date +%s) - start ))
sed 's/^/    second: /' "$T/second.log"
[ "$first_rc" -eq 0 ] || fail "first run: exit $first_rc: $(cat "$T/first.log")"
[ "$second_rc" -eq 0 ] || fail "second run: exit $second_rc after ${took}s (gave up?)"
[ "$(openssl x509 -in "$T/srv/xmpp.example.test.crt" -noout -fingerprint)" = \
  "$(openssl x509 -in "$P/leaf-rsa.pem" -noout -fingerprint)" ] ||
	fail "the second run's certificate is not the deployed one"
[ "$(openssl pkey -in "$T/srv/xmpp.example.test.key" -pubout)" = \
  "$(openssl pkey -in "$P/leaf-rsa.key" -pubout)" ] || fail "the deployed key is not the second run's"
spki=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["deployed"]["spki_sha256"])' \
	"$T/state/xmpp.example.test.json")
[ "$spki" = "$(openssl pkey -in "$P/leaf-rsa.key" -pubout -outform DER | openssl dgst -sha256 -r | cut -c1-64)" ] ||
	fail "the state does not record the second certificate as deployed"
[ ! -d "$T/state/queue/xmpp.example.test" ] || [ -z "$(ls -A "$T/state/queue/xmpp.example.test")" ] ||
	fail "something was queued although the second run got the lock"
say "second run waited for the lock (${took}s) and deployed its certificate"
