#!/bin/sh
# A renewal that keeps clientAuth deploys silently: no probe needed
# (probe = auto), exit 0, reloaded, no warning on stderr.
. "$(dirname "$0")/../lib.sh"
P=$(pki)

mkdir -p "$T/srv"
cat "$P/leaf-both.fullchain.pem" "$P/leaf-both.key" > "$T/srv/xmpp.example.test.pem"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = ejabberd
pem = $T/srv/xmpp.example.test.pem
policy = hold
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
CONF
expect_exit 0 s2sguard-hook --config "$T/s2sguard.conf" --json \
	--cert "$P/leaf-p384.fullchain.pem" --key "$P/leaf-p384.key" \
	--domain xmpp.example.test > "$T/out.json" 2> "$T/err.log"
cat "$T/err.log"
python3 - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["decision"]["action"] == "deploy", r["decision"]
assert "probes" not in r, "probed although clientAuth was kept"
assert r["exit"] == 0
assert [a["action"] for a in r["actions"]] == ["deploy", "reload", "verify-served"], r["actions"]
# no server answers for xmpp.example.test here: the check is skipped, and says why
assert r["actions"][2]["ok"] and "not checked" in r["actions"][2]["detail"], r["actions"]
assert r["served"]["outcome"] == "skipped", r["served"]
PY
assert_no_grep 'warn|regress' "$T/err.log"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded"
grep -q 'PRIVATE KEY' "$T/srv/xmpp.example.test.pem" || fail "no key in the combined PEM"
s2sguard-inspect --ca-file "$P/root.pem" --key "$T/srv/xmpp.example.test.pem" \
	"$T/srv/xmpp.example.test.pem" >/dev/null 2>&1 || true
openssl x509 -in "$T/srv/xmpp.example.test.pem" -noout -pubkey > "$T/a.pub"
openssl x509 -in "$P/leaf-p384.pem" -noout -pubkey > "$T/b.pub"
cmp -s "$T/a.pub" "$T/b.pub" || fail "combined PEM does not hold the new certificate"
[ "$(stat -c %a "$T/srv/xmpp.example.test.pem")" = 640 ] || fail "combined PEM mode"
say ok
