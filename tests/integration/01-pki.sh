#!/bin/sh
# The test PKI has the properties the other tests rely on: OpenSSL's
# sslclient purpose (old ejabberd, Metronome) rejects a serverAuth-only leaf
# and a clientAuth leaf under a serverAuth-only intermediate, while the
# sslserver purpose (Prosody) accepts them; expired and mismatched inputs
# really are bad.
. "$(dirname "$0")/../lib.sh"
need_cmd openssl
P=$(pki)

# verify PURPOSE NAME: 0 if NAME.pem verifies under root with NAME.chain.pem
verify() {
	openssl verify -purpose "$1" -CAfile "$P/root.pem" \
		-untrusted "$P/$2.chain.pem" "$P/$2.pem" >"$T/verify.out" 2>&1
}
pass() { verify "$1" "$2" || { cat "$T/verify.out"; fail "$2 should pass $1"; }; }
deny() { ! verify "$1" "$2" || fail "$2 should fail $1"; }

pass sslclient leaf-both
pass sslserver leaf-both
deny sslclient leaf-server
pass sslserver leaf-server
deny sslclient leaf-both-under-server
pass sslserver leaf-both-under-server
pass sslclient leaf-both-under-noeku
deny sslserver leaf-expired
deny sslclient leaf-expired
deny sslserver leaf-notyet
pass sslclient ej.peer.test
pass sslserver pr.peer.test

# the expired leaf fails for its dates, not for anything else
verify sslserver leaf-expired || true
assert_grep 'expired' "$T/verify.out"

# mismatch.key is not the key of mismatch.pem; leaf-both.key is
pub() { openssl pkey -in "$1" -pubout 2>/dev/null; }
certpub() { openssl x509 -in "$1" -noout -pubkey; }
[ "$(certpub "$P/leaf-both.pem")" = "$(pub "$P/leaf-both.key")" ] || fail "leaf-both key does not match"
[ "$(certpub "$P/mismatch.pem")" != "$(pub "$P/mismatch.key")" ] || fail "mismatch key matches"

# keys are private
for k in "$P"/*.key; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k is not mode 0600"
done

# fullchain is leaf then intermediate, without the root
[ "$(grep -c 'BEGIN CERTIFICATE' "$P/leaf-server.fullchain.pem")" = 2 ] || fail "fullchain must hold 2 certs"
say "ok"
