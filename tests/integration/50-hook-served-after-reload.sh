#!/bin/sh
# After a deploy, the hook checks that the XMPP server presents the new
# certificate. A real Prosody is the local server, reading s2sguard's target
# (target = prosody, certs_dir = its own pki/), reached through server =.
# With reload = true (a reload that reloads nothing) the server still
# presents the old leaf: the hook says "the reload did not make the server
# use the new certificate" and exits 1. With a real reload (SIGHUP to this
# Prosody) the next deploy exits 0 and the report says the new leaf is served.
# s2sguard-check's metric s2sguard_served_matches_deployed follows: 0, then 1.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd prosody
P=$(pki)
W=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" new1 --domain xmpp.example.test
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" new2 --domain xmpp.example.test

pr=$(free_port)
prosody_start "$T/pr" xmpp.example.test "$pr" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"

# conf RELOAD: the configuration with that reload command
conf() {
	cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
probe_timeout = 5
metrics = $T/s2sguard.prom

[domain xmpp.example.test]
target = prosody
certs_dir = $T/pr/pki
owner = prosody
group = prosody
reload = $1
reload_timeout = 8
server = 127.0.0.1:$pr
CONF
}

# served_leaf: the SHA-256 of the leaf Prosody presents now
served_leaf() {
	echo | timeout 10 openssl s_client -starttls xmpp-server -xmpphost xmpp.example.test \
		-connect "127.0.0.1:$pr" 2>/dev/null | openssl x509 -outform DER | sha256sum | cut -c1-64
}
leaf_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }

[ "$(served_leaf)" = "$(leaf_of "$P/leaf-both.pem")" ] || fail "prosody does not present leaf-both at start"

# 1. a reload that reloads nothing
conf true
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$W/new1.fullchain.pem" --key "$W/new1.key" --domain xmpp.example.test \
	> "$T/out1.log" 2>&1
cat "$T/out1.log"
cmp -s "$T/pr/pki/xmpp.example.test.crt" "$W/new1.fullchain.pem" || fail "new1 not deployed"
assert_grep 'FAIL verify-served: the reload did not make the server use the new certificate' "$T/out1.log"
assert_grep "127.0.0.1:$pr \(s2s-starttls\) presents the certificate deployed before" "$T/out1.log"
assert_grep 'exit 1: deployed, with warnings' "$T/out1.log"
[ "$(served_leaf)" = "$(leaf_of "$P/leaf-both.pem")" ] || fail "prosody changed its certificate without a reload"
rep=$(ls "$T/state/reports/"*xmpp.example.test-hook.json | tail -n 1)
python3 - "$rep" "$(leaf_of "$W/new1.pem")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["served"]
assert s["outcome"] == "not-served", s
assert s["expected_sha256"] == sys.argv[2], s
assert s["tries"] >= 2, s		# it retried within reload_timeout
assert s["endpoints"][0]["status"] == "ok", s
assert s["endpoints"][0]["leaf_sha256"] != sys.argv[2], s
PY
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" > "$T/check1.log" 2>&1
cat "$T/check1.log"
assert_grep '^s2sguard_served_matches_deployed\{domain="xmpp.example.test"\} 0$' "$T/s2sguard.prom"

# 2. a real reload: Prosody re-reads its certificates on SIGHUP
conf "kill -HUP \$(cat $T/pr/prosody.pid)"
expect_exit 0 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$W/new2.fullchain.pem" --key "$W/new2.key" --domain xmpp.example.test \
	> "$T/out2.log" 2>&1
cat "$T/out2.log"
assert_grep 'ok   verify-served: the server presents the new certificate on 1 endpoint' "$T/out2.log"
assert_grep 'exit 0: deployed' "$T/out2.log"
[ "$(served_leaf)" = "$(leaf_of "$W/new2.pem")" ] || fail "prosody does not present new2"
rep=$(ls "$T/state/reports/"*xmpp.example.test-hook.json | tail -n 1)
python3 - "$rep" "$(leaf_of "$W/new2.pem")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["served"]
assert s["outcome"] == "served", s
assert s["endpoints"][0]["leaf_sha256"] == sys.argv[2], s
PY
expect_exit 0 s2sguard-check --config "$T/s2sguard.conf" --quiet
assert_grep '^s2sguard_served_matches_deployed\{domain="xmpp.example.test"\} 1$' "$T/s2sguard.prom"
say ok
