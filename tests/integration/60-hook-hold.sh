#!/bin/sh
# A renewal that turns serverAuth-only is held under policy hold: the strict
# ejabberd peer (which accepted the deployed certificate) refuses it with
# "unsupported certificate purpose", Prosody accepts it; the target files
# stay as they were, the new pair is pending in the state directory, and a
# second run does not pile up state.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd ejabberdctl prosody
P=$(pki)

ej=$(free_port) pr=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
prosody_start "$T/pr" pr.peer.test "$pr"

mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
probe_timeout = 10

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = hold
reload = echo reloaded >> $T/reloads
peers = ej.peer.test pr.peer.test
connect = ej.peer.test=127.0.0.1:$ej pr.peer.test=127.0.0.1:$pr
CONF
before=$(cat "$T/srv/xmpp.example.test.crt" "$T/srv/xmpp.example.test.key" | sha256sum)

expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
	--domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log"
after=$(cat "$T/srv/xmpp.example.test.crt" "$T/srv/xmpp.example.test.key" | sha256sum)
[ "$before" = "$after" ] || fail "the deployed pair changed during a hold"
[ ! -e "$T/reloads" ] || fail "reloaded during a hold"
assert_grep 'decision hold' "$T/out.log"
assert_grep 'ej.peer.test accepted the deployed certificate but not the new one.*unsupported certificate purpose' "$T/out.log"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "no pending certificate"
cmp -s "$T/state/xmpp.example.test/pending/cert.pem" "$P/leaf-server.fullchain.pem" || fail "pending is not the new certificate"
python3 - "$T/state/xmpp.example.test.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
assert st["pending"]["regressed_peers"] == ["ej.peer.test"], st["pending"]
assert st["holds"] == 1, st
PY
ls "$T/state/reports/"*xmpp.example.test-hook.json >/dev/null || fail "no report written"

# the same renewal again: still held, one pending, the since-time kept
since=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pending"]["since"])' "$T/state/xmpp.example.test.json")
sleep 1
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test
since2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pending"]["since"])' "$T/state/xmpp.example.test.json")
[ "$since" = "$since2" ] || fail "pending since moved: $since -> $since2"
[ "$(ls "$T/state/xmpp.example.test/" | sort | tr '\n' ' ')" = "candidate last-good pending " ] ||
	fail "unexpected state files: $(ls "$T/state/xmpp.example.test/")"
say ok
