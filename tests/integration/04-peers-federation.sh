#!/bin/sh
# The peers federate for real, through the private DNS, and reproduce the
# failure s2sguard exists for (reference/xmpp-s2s.md §4): a server whose
# certificate is serverAuth-only (Let's Encrypt 2026) cannot authenticate
# to the strict ejabberd 23.01 peer ("unsupported certificate purpose"),
# while Prosody accepts it; with serverAuth+clientAuth both accept.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/unbound.sh"
need_cmd ejabberdctl prosody unbound drill
P=$(pki)

dns=$(free_port) ej=$(free_port) pr=$(free_port) home=$(free_port)
z=$T/zone
dns_xmpp_peer "$z" ej.peer.test "$ej"
dns_xmpp_peer "$z" pr.peer.test "$pr"
# ejabberd resolves SRV targets with getaddrinfo: point ours at localhost
dns_xmpp_peer "$z" xmpp.example.test "$home" - localhost
unbound_start "$T/ub" "$dns" "$z"
ejabberd_start "$T/ej" ej.peer.test "$ej" --dns "$dns" --release debian12
prosody_start "$T/pr" pr.peer.test "$pr" --dns "$dns"

# ping FROM_DIR TO: run xmpp:ping from our server; output in $T/ping.out
ping_peer() {
	prosody_ctl "$1" shell "xmpp:ping('xmpp.example.test', '$2', 10)" >"$T/ping.out" 2>&1 || true
	sed 's/^/    /' "$T/ping.out"
}

# 1. our server with a serverAuth-only chain
prosody_start "$T/h1" xmpp.example.test "$home" --dns "$dns" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key"
ping_peer "$T/h1" ej.peer.test
assert_no_grep 'pong' "$T/ping.out"
# what Prosody users see (reference §1)
assert_grep 'Could not authenticate to remote server' "$T/ping.out"
ejabberd_wait_log "$T/ej" \
	'Failed inbound s2s EXTERNAL authentication xmpp.example.test -> ej.peer.test.*unsupported certificate purpose' ||
	fail "ejabberd did not log the purpose failure"
ping_peer "$T/h1" pr.peer.test
assert_grep 'pong' "$T/ping.out"
prosody_stop "$T/h1"

# 2. the same server with serverAuth+clientAuth: ejabberd accepts
prosody_start "$T/h2" xmpp.example.test "$home" --dns "$dns" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
ping_peer "$T/h2" ej.peer.test
assert_grep 'pong' "$T/ping.out"
ejabberd_wait_log "$T/ej" 'Accepted inbound s2s EXTERNAL authentication xmpp.example.test -> ej.peer.test' ||
	fail "ejabberd did not log the accepted EXTERNAL"
# and the way back: ejabberd resolved us through the test DNS and
# authenticated to our Prosody with its own certificate
prosody_ctl "$T/h2" shell s2s show >"$T/s2s.out" 2>&1
sed 's/^/    /' "$T/s2s.out"
grep 'ej.peer.test' "$T/s2s.out" | grep -q '<--.*Succeeded' || fail "no authenticated inbound s2s from ejabberd"
say ok
