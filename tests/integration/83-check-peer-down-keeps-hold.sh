#!/bin/sh
# A hold ends when the peer that refused the held certificate accepts it,
# not when that peer is merely down: after the hook held a serverAuth-only
# renewal because the strict ejabberd refused it (Prosody accepted), the
# ejabberd peer is pointed at a closed port; s2sguard-check keeps holding
# (exit 2), names the peer, keeps it in pending.regressed_peers, and
# deploys only at the hold limit (hold_min_days).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd ejabberdctl prosody
P=$(pki)

ej=$(free_port) pr=$(free_port) closed=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
prosody_start "$T/pr" pr.peer.test "$pr"
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
probe_timeout = 5

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
hold_min_days = 7
reload = echo reloaded >> $T/reloads
peers = ej.peer.test pr.peer.test
connect = ej.peer.test=127.0.0.1:$ej pr.peer.test=127.0.0.1:$pr
CONF
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test

# the refusing peer goes down: nothing listens on its port any more
sed -i "s|ej.peer.test=127.0.0.1:$ej|ej.peer.test=127.0.0.1:$closed|" "$T/s2sguard.conf"
set +e
s2sguard-check --config "$T/s2sguard.conf" --json > "$T/c1.json" 2> "$T/c1.err"
rc=$?
set -e
cat "$T/c1.err"
[ "$rc" -eq 2 ] || fail "s2sguard-check exited $rc while the refusing peer was down, want 2 (held)"
python3 - "$T/c1.json" "$T/state/xmpp.example.test.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = {p["peer"]: p["verdict"] for p in r["probes"]}
assert v["ej.peer.test"] not in ("accepted",), v
assert v["pr.peer.test"] == "accepted", v
d = r["decision"]
assert d["action"] == "hold" and d["regressions"] == 1, d
assert any("ej.peer.test refused the held certificate" in x for x in d["reasons"]), d["reasons"]
st = json.load(open(sys.argv[2]))
assert st["pending"]["regressed_peers"] == ["ej.peer.test"], st["pending"]
PY
cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" || fail "deployed while the refusing peer was down"
[ ! -e "$T/reloads" ] || fail "reloaded during the hold"

# still down at the hold limit: deployed with a warning, never left to expire
end=$(date -d "$(openssl x509 -in "$P/leaf-both.pem" -noout -enddate | cut -d= -f2)" +%s)
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --now $((end - 6 * 86400)) > "$T/c2.log" 2>&1
cat "$T/c2.log"
assert_grep 'rather than letting it expire' "$T/c2.log"
cmp -s "$T/srv/x.crt" "$P/leaf-server.fullchain.pem" || fail "not deployed at the hold limit"
say ok
