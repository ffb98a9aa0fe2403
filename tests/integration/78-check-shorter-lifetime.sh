#!/bin/sh
# A held renewal from a CA with shorter lifetimes (a 1-year certificate
# renewed as a 30-day one) expires before the deployed certificate, yet it
# is the newer one: s2sguard-check keeps it pending instead of dropping it.
. "$(dirname "$0")/../lib.sh"
P=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" year --domain xmpp.example.test --days 365
sleep 1	# the renewal is issued later, to the second
sh "$TOP/tests/pki/mkpki.sh" leaf "$P" month --domain xmpp.example.test --days 30 \
	--eku serverAuth --issuer inter-server

mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
probe = never
reload = true
CONF
hook() { s2sguard-hook --config "$T/s2sguard.conf" --domain xmpp.example.test "$@"; }

expect_exit 0 hook --cert "$P/year.fullchain.pem" --key "$P/year.key" > "$T/first.log" 2>&1
expect_exit 2 hook --cert "$P/month.fullchain.pem" --key "$P/month.key" > "$T/hold.log" 2>&1
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "the renewal was not held"

s2sguard-check --config "$T/s2sguard.conf" > "$T/check.log" 2>&1 || true
cat "$T/check.log"
assert_no_grep 'drop-pending' "$T/check.log"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "check dropped the newer, shorter-lived renewal"
cmp -s "$T/srv/xmpp.example.test.crt" "$P/year.fullchain.pem" || fail "the deployed certificate changed"
say ok
