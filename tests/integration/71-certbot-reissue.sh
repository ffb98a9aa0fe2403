#!/bin/sh
# Policy reissue, end to end: certbot's renewal comes back serverAuth-only,
# ejabberd would refuse it, so the hook runs s2sguard-reissue against the
# alternate CA (pebble, whose certificates still allow clientAuth), checks
# the result with the same probes, and deploys the re-issued certificate.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
. "$TOP/tests/peers/certbot.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl
certbot_setup

ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --ca "$CERTBOT_ROOTS" --release debian12
mkdir -p "$T/srv"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.key" 2>/dev/null
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $CERTBOT_ROOTS

[domain xmpp.example.test]
target = ejabberd
pem = $T/srv/xmpp.example.test.pem
policy = reissue
fallback = hold
reissue_directory = $PEBBLE_DIR
reissue_account_key = $T/account.key
reissue_email = admin@example.test
reissue_ca_bundle = $PEBBLE_TLS_CA
reissue_args = --webroot $T/www
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
HOOK="s2sguard-hook --config $T/s2sguard.conf"
certbot_run certonly --deploy-hook "$HOOK" -d xmpp.example.test > "$T/c1.log" 2>&1 || { cat "$T/c1.log"; fail "certbot certonly"; }
certbot_serveronly_on
certbot_run renew --force-renewal --no-random-sleep-on-renew --deploy-hook "$HOOK" > "$T/c2.log" 2>&1 || { cat "$T/c2.log"; fail "certbot renew"; }
[ -f "$T/resigned" ] || fail "the re-signing hook did not run"
r=$(ls -t "$T/state/reports/"*-xmpp.example.test-hook.json | head -1)
python3 - "$r" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
acts = [(a["action"], a["ok"]) for a in r["actions"]]
print("    actions:", acts)
assert ("reissue", True) in acts, acts
assert r["decision"]["action"] == "deploy", r["decision"]
assert r["decision"]["reissue_tried"] is True
assert [p["verdict"] for p in r["probes"]] == ["accepted"], r["probes"]
assert r["exit"] == 1, r["exit"]
PY
# the server's PEM holds the re-issued certificate: pebble's, with clientAuth, same key
live=$T/certbot/etc/live/xmpp.example.test
openssl x509 -in "$T/srv/xmpp.example.test.pem" -noout -issuer | grep -qi pebble || fail "deployed certificate is not pebble's"
openssl x509 -in "$T/srv/xmpp.example.test.pem" -noout -ext extendedKeyUsage | grep -q 'Client Authentication' || fail "no clientAuth"
[ "$(openssl pkey -in "$T/srv/xmpp.example.test.pem" -pubout)" = "$(openssl pkey -in "$live/privkey.pem" -pubout)" ] || fail "key changed"
[ "$(wc -l < "$T/reloads")" -eq 2 ] || fail "want 2 reloads (first deploy, re-issued deploy)"
say ok
