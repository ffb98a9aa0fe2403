#!/bin/sh
# A hold only holds if the server reads s2sguard's target. Here the local
# Prosody reads the ACME client's files (it presents the renewed,
# serverAuth-only certificate the ACME client wrote), while s2sguard's
# target keeps the deployed pair: the hook holds (exit 2), and its check of
# what the server presents fails, naming the ACME client's file and saying
# the hold cannot hold. With verify_served = no the report says the check
# was skipped and why.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd prosody
P=$(pki)
mkdir -p "$T/acme" "$T/srv"
cp "$P/leaf-server.fullchain.pem" "$T/acme/fullchain.pem"
cp "$P/leaf-server.key" "$T/acme/privkey.pem"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"

pr=$(free_port)
prosody_start "$T/pr" xmpp.example.test "$pr" \
	--cert "$T/acme/fullchain.pem" --key "$T/acme/privkey.pem"

conf() {
	cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
reload = true
server = 127.0.0.1:$pr
verify_served = $1
CONF
}

conf yes
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$T/acme/fullchain.pem" --key "$T/acme/privkey.pem" --domain xmpp.example.test \
	> "$T/out.log" 2>&1
cat "$T/out.log"
cmp -s "$T/srv/xmpp.example.test.crt" "$P/leaf-both.fullchain.pem" || fail "the target changed during a hold"
assert_grep 'decision hold' "$T/out.log"
assert_grep "FAIL verify-served: the server does not present the deployed certificate, so it does not read s2sguard's target and a hold cannot hold: 127.0.0.1:$pr \(s2s-starttls\) presents the new certificate from $T/acme/fullchain.pem, the ACME client's file" "$T/out.log"
python3 - "$T/state/xmpp.example.test.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["served"]
assert s["outcome"] == "not-served" and s["after"] == "hold", s
PY

conf no
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$T/acme/fullchain.pem" --key "$T/acme/privkey.pem" --domain xmpp.example.test \
	> "$T/out2.log" 2>&1
assert_grep 'ok   verify-served: not checked whether the server presents the certificate: verify_served = no' "$T/out2.log"

# nothing listens at the server address: skipped, and the report says why
prosody_stop "$T/pr"
conf yes
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$T/acme/fullchain.pem" --key "$T/acme/privkey.pem" --domain xmpp.example.test \
	> "$T/out3.log" 2>&1
assert_grep "ok   verify-served: not checked whether the server presents the deployed certificate: nothing answered \(127.0.0.1:$pr \(s2s-starttls\) unreachable: Connection refused" "$T/out3.log"
say ok
