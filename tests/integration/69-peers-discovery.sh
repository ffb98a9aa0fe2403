#!/bin/sh
# The shipped discovery scripts find the peers a running server federates
# with: templates/peers-prosody.sh (prosodyctl shell s2s show) and
# templates/peers-ejabberd.sh (ejabberd's s2s table). The hook then probes
# what peers_command printed, resolving SRV through the configured resolver.
# The ejabberd is the host's own (the script runs its ejabberdctl): Debian
# 12's refuses the serverAuth-only renewal (held, exit 2), Debian 13's
# takes it (deployed, exit 1 for the note that the chain is server-only).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/unbound.sh"
need_cmd ejabberdctl prosody unbound
P=$(pki)

dns=$(free_port) ej=$(free_port) pr=$(free_port) home=$(free_port)
z=$T/zone
dns_xmpp_peer "$z" ej.peer.test "$ej"
dns_xmpp_peer "$z" pr.peer.test "$pr"
dns_xmpp_peer "$z" xmpp.example.test "$home" - localhost
unbound_start "$T/ub" "$dns" "$z"
ejabberd_start "$T/ej" ej.peer.test "$ej" --dns "$dns"
prosody_start "$T/pr" pr.peer.test "$pr" --dns "$dns"
prosody_start "$T/h" xmpp.example.test "$home" --dns "$dns" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
for peer in ej.peer.test pr.peer.test; do
	prosody_ctl "$T/h" shell "xmpp:ping('xmpp.example.test', '$peer', 10)" > "$T/ping.out" 2>&1 || true
	assert_grep pong "$T/ping.out"
done

sh "$TOP/templates/peers-prosody.sh" --config "$T/h/prosody.cfg.lua" > "$T/prosody-peers.txt"
cat "$T/prosody-peers.txt"
[ "$(cat "$T/prosody-peers.txt")" = "ej.peer.test
pr.peer.test" ] || fail "peers-prosody.sh: $(cat "$T/prosody-peers.txt")"

sh "$TOP/templates/peers-ejabberd.sh" --ctl-config "$T/ej/ejabberdctl.cfg" \
	--config "$T/ej/ejabberd.yml" --config-dir "$T/ej" --spool "$T/ej/spool" \
	--logs "$T/ej/logs" --node "$(cat "$T/ej/node")" > "$T/ej-peers.txt"
cat "$T/ej-peers.txt"
[ "$(cat "$T/ej-peers.txt")" = xmpp.example.test ] || fail "peers-ejabberd.sh: $(cat "$T/ej-peers.txt")"

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
resolver = 127.0.0.1@$dns

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
peers_command = sh $TOP/templates/peers-prosody.sh --config $T/h/prosody.cfg.lua
# nothing reloads the Prosody serving xmpp.example.test here
verify_served = no
CONF
if [ "$EJ_PURPOSE" = client ]; then want_rc=2 want_ej=rejected; else want_rc=1 want_ej=accepted; fi
expect_exit "$want_rc" s2sguard-hook --config "$T/s2sguard.conf" --json \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test > "$T/out.json" 2> "$T/err.log"
python3 - "$T/out.json" "$want_ej" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = {p["peer"]: p["verdict"] for p in r["probes"]}
assert v == {"ej.peer.test": sys.argv[2], "pr.peer.test": "accepted"}, v
PY
say ok
