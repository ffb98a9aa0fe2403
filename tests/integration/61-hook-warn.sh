#!/bin/sh
# Policy warn: the serverAuth-only renewal is deployed and the server
# reloaded, but the run warns (exit 1) naming the ejabberd peer that
# regressed, its reason and the fix.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl
P=$(pki)

ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/xmpp.example.test.crt
key = $T/srv/xmpp.example.test.key
policy = warn
reload = echo reloaded >> $T/reloads
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
expect_exit 1 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
	--domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log"
cmp -s "$T/srv/xmpp.example.test.crt" "$P/leaf-server.fullchain.pem" || fail "new certificate not deployed"
cmp -s "$T/srv/xmpp.example.test.key" "$P/leaf-server.key" || fail "new key not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "reload did not run exactly once"
assert_grep 'decision deploy-warn' "$T/out.log"
assert_grep 'ej.peer.test accepted the deployed certificate but not the new one.*unsupported certificate purpose' "$T/out.log"
assert_grep 'fix: .*upgrade' "$T/out.log"
# the key is not world-readable; the old pair is kept as "previous", the new as "last-good"
[ "$(stat -L -c %a "$T/srv/xmpp.example.test.key")" = 640 ] || fail "key mode $(stat -L -c %a "$T/srv/xmpp.example.test.key")"
cmp -s "$T/state/xmpp.example.test/previous/cert.pem" "$P/leaf-both.fullchain.pem" || fail "previous is not the old pair"
cmp -s "$T/state/xmpp.example.test/last-good/cert.pem" "$P/leaf-server.fullchain.pem" || fail "last-good is not the deployed pair"
say ok
