#!/bin/sh
# The held certificate is deployed by s2sguard-check as soon as the peer
# that refused it accepts it: here ej.peer.test "upgrades" from ejabberd
# 23.01 (strict) to Prosody (accepts serverAuth-only) on the same port.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd ejabberdctl prosody
P=$(pki)

ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test
expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --quiet
python3 -c 'import json,sys; st = json.load(open(sys.argv[1])); assert "ej.peer.test" in st["first_seen"], st' \
	"$T/state/xmpp.example.test.json"
ejabberd_stop "$T/ej"
prosody_start "$T/pr" ej.peer.test "$ej"
# deployed; exit 1 only because the chain stays server-only (a note, no regression)
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --json > "$T/c.json" 2> "$T/c.err"
python3 - "$T/c.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["decision"]
assert d["action"] == "deploy-warn" and d["regressions"] == 0, d
assert [p["verdict"] for p in r["probes"]] == ["accepted"], r["probes"]
PY
cmp -s "$T/srv/x.crt" "$P/leaf-server.fullchain.pem" || fail "pending certificate not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded once"
# the peer was remembered as failing since the hold, and forgotten once it accepted
python3 -c 'import json,sys; st = json.load(open(sys.argv[1])); assert "ej.peer.test" not in st.get("first_seen", {}), st' \
	"$T/state/xmpp.example.test.json"
say ok
