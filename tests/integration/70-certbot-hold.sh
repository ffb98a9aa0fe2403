#!/bin/sh
# End to end with real certbot and pebble: the first certificate
# (serverAuth+clientAuth) is deployed by the hook; the renewal, made
# serverAuth-only by an earlier deploy hook, is held because the strict
# ejabberd refuses it (unsupported certificate purpose) while Prosody
# accepts it. certbot's live/ moves on; the server's copy does not.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
. "$TOP/tests/peers/certbot.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd ejabberdctl prosody
certbot_setup

ej=$(free_port) pr=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --ca "$CERTBOT_ROOTS" --release debian12
prosody_start "$T/pr" pr.peer.test "$pr" --ca "$CERTBOT_ROOTS"
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $CERTBOT_ROOTS

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
reload = echo reloaded >> $T/reloads
peers = ej.peer.test pr.peer.test
connect = ej.peer.test=127.0.0.1:$ej pr.peer.test=127.0.0.1:$pr
CONF
HOOK="s2sguard-hook --config $T/s2sguard.conf"

certbot_run certonly --deploy-hook "$HOOK" -d xmpp.example.test > "$T/c1.log" 2>&1 || { cat "$T/c1.log"; fail "certbot certonly"; }
live=$T/certbot/etc/live/xmpp.example.test
cmp -s "$T/srv/xmpp.example.test.crt" "$live/fullchain.pem" || fail "first certificate not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded after the first deploy"
first=$(sha256sum < "$T/srv/xmpp.example.test.crt")

certbot_serveronly_on
certbot_run renew --force-renewal --no-random-sleep-on-renew --deploy-hook "$HOOK" > "$T/c2.log" 2>&1 || { cat "$T/c2.log"; fail "certbot renew"; }
[ -f "$T/resigned" ] || fail "the re-signing hook did not run"
# certbot logs the hook's output and its exit status 2, and carries on
assert_grep "reported error code 2" "$T/certbot/log/letsencrypt.log"
grep -A40 'Running deploy-hook command' "$T/certbot/log/letsencrypt.log" | sed 's/^/    /' | head -60
[ "$(sha256sum < "$T/srv/xmpp.example.test.crt")" = "$first" ] || fail "held certificate was deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "reloaded during the hold"
cmp -s "$T/state/xmpp.example.test/pending/cert.pem" "$live/fullchain.pem" || fail "the renewal is not pending"
r=$(ls -t "$T/state/reports/"*-xmpp.example.test-hook.json | head -1)
python3 - "$r" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["client"] == "certbot", r.get("client")
assert r["decision"]["action"] == "hold", r["decision"]
v = {p["peer"]: p for p in r["probes"]}
assert v["ej.peer.test"]["verdict"] == "rejected" and v["ej.peer.test"]["regression"], v["ej.peer.test"]
assert "unsupported certificate purpose" in json.dumps(v["ej.peer.test"]), v["ej.peer.test"]
assert v["pr.peer.test"]["verdict"] == "accepted", v["pr.peer.test"]
assert r["exit"] == 2
PY
say ok
