#!/bin/sh
# With dialback enabled on the peer, a refused certificate leads the probe
# to ask for dialback, keeping the peer's words about the certificate.
# Nothing serves xmpp.example.test here, so the peers cannot call it back:
# dialback-unverified, never dialback-only (which needs a callback that
# worked; tests/integration/28-dialback-end-to-end.sh has those). A
# self-signed certificate is refused by ejabberd too.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"

P=$(pki)
ej=$(free_port) ejdb=$(free_port) prdb=$(free_port) prlen=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej"
ejabberd_start "$T/ejdb" ej.peer.test "$ejdb" --dialback
prosody_start "$T/prdb" pr.peer.test "$prdb" --dialback
prosody_start "$T/prlen" pr.peer.test "$prlen" --dialback --lenient

probe() {
	_cert=$1 _key=$2 _peer=$3
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$_cert" --key "$_key" --peer "$_peer" --json
}
field() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["probes"][0]; print(eval(sys.argv[2]))' "$@"; }

# ejabberd + dialback, the chain it refuses (EJ_REFUSED: serverAuth-only on
# Debian 12, clientAuth-only on 13): EXTERNAL fails, dialback is tried,
# and ejabberd cannot resolve xmpp.example.test to call it back
expect_exit 1 probe "$P/$EJ_REFUSED.fullchain.pem" "$P/$EJ_REFUSED.key" \
	"ej.peer.test=127.0.0.1:$ejdb" > "$T/ejdb.json"
[ "$(field "$T/ejdb.json" 'p["verdict"]')" = dialback-unverified ] || fail "ejabberd+dialback: $(cat "$T/ejdb.json")"
assert_grep '"reason": "not-authorized: unsupported certificate purpose \(SASL EXTERNAL failed\); dialback unverified: the peer could not reach xmpp.example.test.s server: remote-server-not-found' "$T/ejdb.json"
[ "$(field "$T/ejdb.json" 'p["features"]["dialback"]')" = True ] || fail "dialback feature not seen"
[ "$(field "$T/ejdb.json" 'p["dialback"]["condition"]')" = remote-server-not-found ] || fail "dialback answer not kept"

# ejabberd + dialback, both EKUs: accepted, dialback offered as well
expect_exit 0 probe "$P/leaf-both.fullchain.pem" "$P/leaf-both.key" \
	"ej.peer.test=127.0.0.1:$ejdb" > "$T/ejdb-both.json"
[ "$(field "$T/ejdb-both.json" 'p["verdict"]')" = accepted ] || fail "ejabberd+dialback, leaf-both"

# ejabberd (strict) refuses a self-signed certificate, in its words
expect_exit 1 probe "$P/selfsigned.pem" "$P/selfsigned.key" \
	"ej.peer.test=127.0.0.1:$ej" > "$T/ej-self.json"
[ "$(field "$T/ej-self.json" 'p["verdict"]')" = rejected ] || fail "ejabberd self-signed: $(cat "$T/ej-self.json")"
assert_grep '"reason": "not-authorized: .*self.signed' "$T/ej-self.json"

# Prosody + dialback + s2s_secure_auth: secure auth wins, still rejected
expect_exit 1 probe "$P/selfsigned.pem" "$P/selfsigned.key" \
	"pr.peer.test=127.0.0.1:$prdb" > "$T/prdb-self.json"
[ "$(field "$T/prdb-self.json" 'p["verdict"]')" = rejected ] || fail "prosody secure+dialback self-signed: $(cat "$T/prdb-self.json")"
# Prosody + dialback without secure auth: no EXTERNAL for us, dialback is
# tried, and Prosody cannot call xmpp.example.test back either
expect_exit 1 probe "$P/selfsigned.pem" "$P/selfsigned.key" \
	"pr.peer.test=127.0.0.1:$prlen" > "$T/prlen-self.json"
say "prosody lenient+dialback, self-signed: $(field "$T/prlen-self.json" 'p["verdict"] + " / " + p["reason"]')"
[ "$(field "$T/prlen-self.json" 'p["verdict"]')" = dialback-unverified ] || fail "prosody lenient+dialback self-signed: $(cat "$T/prlen-self.json")"
assert_grep '"reason": "no SASL EXTERNAL offered' "$T/prlen-self.json"

# Prosody + dialback, serverAuth-only chain: still accepted
expect_exit 0 probe "$P/leaf-server.fullchain.pem" "$P/leaf-server.key" \
	"pr.peer.test=127.0.0.1:$prdb" > "$T/prdb.json"
[ "$(field "$T/prdb.json" 'p["features"]["dialback"]')" = True ] || fail "prosody dialback feature not seen"
say "dialback peers: verdicts keep the peers' reasons, and dialback unverified without a callback"
