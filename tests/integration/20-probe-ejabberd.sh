#!/bin/sh
# A strict ejabberd (no dialback) refuses SASL EXTERNAL from a chain its
# purpose check fails, with its own words, and accepts serverAuth+clientAuth;
# with a baseline that it accepts, the refused chain is a regression (exit 2).
# Debian 12's 23.01 refuses chains without clientAuth (serverAuth-only leaf
# or intermediate); Debian 13's 24.12-3+deb13u2 refuses a clientAuth-only
# leaf and takes serverAuth-only ones (tests/lib.sh: EJ_PURPOSE, EJ_REFUSED).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"

P=$(pki)
port=$(free_port) dport=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$port" --direct-tls "$dport"

probe() {
	_leaf=$1; shift
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$P/$_leaf.fullchain.pem" --key "$P/$_leaf.key" \
		--peer "ej.peer.test=127.0.0.1:$port" --json "$@"
}

expect_exit 0 probe leaf-both > "$T/both.json"
assert_grep '"verdict": "accepted"' "$T/both.json"
assert_grep '"peer_cert": "trusted"' "$T/both.json"
assert_grep '"client_cert_requested": true' "$T/both.json"

for leaf in $EJ_REFUSED_ALL; do
	expect_exit 1 probe "$leaf" > "$T/$leaf.json"
	assert_grep '"verdict": "rejected"' "$T/$leaf.json"
	assert_grep "\"reason\": \"$EJ_REFUSAL\"" "$T/$leaf.json"
	assert_grep '"text": "unsupported certificate purpose"' "$T/$leaf.json"
done
# and the chain the other rule refuses is accepted
expect_exit 0 probe "$EJ_ACCEPTED_NEW" > "$T/new.json"
assert_grep '"verdict": "accepted"' "$T/new.json"
# ejabberd's own log agrees (it writes asynchronously: give it a moment)
n=50
until grep -q "Failed inbound s2s EXTERNAL authentication xmpp.example.test -> ej.peer.test" \
	"$(ejabberd_log "$T/ej")"; do
	n=$((n - 1)); [ "$n" -gt 0 ] || fail "ejabberd did not log the EXTERNAL failure"
	sleep 0.1
done

# the same over XEP-0368 direct TLS (ALPN xmpp-server)
s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
	--cert "$P/$EJ_REFUSED.fullchain.pem" --key "$P/$EJ_REFUSED.key" \
	--peer "ej.peer.test=127.0.0.1:$dport/tls" --json > "$T/direct.json" || true
assert_grep '"transport": "direct-tls"' "$T/direct.json"
assert_grep "\"reason\": \"$EJ_REFUSAL\"" "$T/direct.json"

# the deployed pair (both EKUs) is accepted, the renewal is not: regression
expect_exit 2 probe "$EJ_REFUSED" --baseline-cert "$P/leaf-both.fullchain.pem" \
	--baseline-key "$P/leaf-both.key" > "$T/reg.json"
assert_grep '"regression": true' "$T/reg.json"
python3 - "$T/reg.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert r["tool"] == "s2sguard-probe" and r["from"] == "xmpp.example.test", r
assert p["baseline"]["verdict"] == "accepted", p
assert p["verdict"] == "rejected" and p["transport"] == "starttls", p
assert r["summary"]["regressions"] == 1, r["summary"]
for k in ("connect", "tls", "features", "auth", "total"):
    assert isinstance(p["timing_ms"][k], int), (k, p["timing_ms"])
PY

# the table keeps the peer's words too
expect_exit 1 s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
	--cert "$P/$EJ_REFUSED.fullchain.pem" --key "$P/$EJ_REFUSED.key" \
	--peer "ej.peer.test=127.0.0.1:$port" > "$T/table.txt"
assert_grep '^ej.peer.test +127.0.0.1:[0-9]+ +starttls +rejected' "$T/table.txt"
assert_grep "$EJ_REFUSAL" "$T/table.txt"
say "ejabberd ($EJ_PURPOSE purpose): leaf-both and $EJ_ACCEPTED_NEW accepted, $EJ_REFUSED_ALL rejected with the peer's reason"
