#!/bin/sh
# A missing deployed key must not bypass policy = hold. After a first
# deploy, the target's key link is removed (the certificate link kept):
#  - s2sguard-check says so and exits 3, not a silent 0;
#  - a serverAuth-only renewal is still held (exit 2): the baseline is
#    s2sguard's last-good pair, probed against the strict ejabberd (which
#    accepts it and refuses the renewal), and the report names the missing
#    key and the last-good baseline; nothing is deployed;
#  - s2sguard-check then keeps the hold and still reports the broken
#    target (exit 3, an error for the admin to repair).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl
P=$(pki)

ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
hook() { s2sguard-hook --config "$T/s2sguard.conf" --domain xmpp.example.test "$@"; }
expect_exit 0 hook --quiet --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
rm "$T/srv/xmpp.example.test.key"
[ -e "$T/srv/xmpp.example.test.crt" ] || fail "the certificate link went too"
cert_before=$(sha256sum < "$T/srv/xmpp.example.test.crt")

expect_exit 3 s2sguard-check --config "$T/s2sguard.conf" > "$T/c0.log" 2>&1
cat "$T/c0.log"
assert_grep "xmpp.example.test.key.*missing" "$T/c0.log"

set +e
hook --json --cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" > "$T/h.json" 2> "$T/h.err"
rc=$?
set -e
cat "$T/h.err"
[ "$rc" -eq 2 ] || fail "the renewal with the target's key missing exited $rc, want 2 (held)"
python3 - "$T/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["decision"]
assert d["action"] == "hold", d
p = r["probes"][0]
assert p["peer"] == "ej.peer.test" and p["verdict"] == "rejected", p
assert p["baseline"]["verdict"] == "accepted", p
text = json.dumps(r["actions"])
assert "xmpp.example.test.key" in text and "missing" in text, r["actions"]
assert "last-good" in text, r["actions"]
PY
[ "$(sha256sum < "$T/srv/xmpp.example.test.crt")" = "$cert_before" ] || fail "the held renewal was deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "reloaded during the hold"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "nothing pending"

expect_exit 3 s2sguard-check --config "$T/s2sguard.conf" > "$T/c1.log" 2>&1
cat "$T/c1.log"
assert_grep "xmpp.example.test.key.*missing" "$T/c1.log"
assert_grep 'decision hold' "$T/c1.log"
[ "$(sha256sum < "$T/srv/xmpp.example.test.crt")" = "$cert_before" ] || fail "check deployed the held renewal"
say ok
