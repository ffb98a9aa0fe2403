#!/bin/sh
# What s2sguard-probe says about dialback is what real servers do (Debian
# 12: ejabberd 23.01, Prosody 0.12; test 29 has Debian 13's Prosody as our
# server). Every server is Debian 12's (--release debian12): on a Debian 13
# host they run from a bookworm root (tests/peers/roots.sh), so the test
# says the same there. Our domain xmpp.example.test runs on
# a real Prosody with dialback on and the serverAuth-only chain; every
# server finds the others through the test unbound (SRV to localhost and
# a port of its own), so a peer's dialback callback reaches our Prosody.
# Per peer configuration the test records the probe's verdict and whether
# a real stanza (an XEP-0199 ping from our Prosody) got through:
#
#   ejabberd, mod_s2s_dialback, s2s_use_starttls: required
#       -> dialback-only, delivered (by dialback)
#   ejabberd, mod_s2s_dialback, s2s_use_starttls: required_trusted
#       -> rejected, not delivered (23.01 turns required_trusted into
#          required and drops mod_s2s_dialback: no dialback offered)
#   ejabberd, mod_s2s_dialback, s2s_access denying every server
#       -> dialback-refused, not delivered (dialback advertised, the
#          request answered <forbidden/> before any verification)
#   Prosody, s2s_secure_auth = true, dialback on
#       -> accepted, delivered (by SASL EXTERNAL)
#   our Prosody without dialback, to the first ejabberd
#       -> dialback-unverified, not delivered (the peer's callback finds
#          no dialback on our side)
#
# Port 5269 is not used: on a host running its own XMPP server (or any
# Prosody listening on 0.0.0.0) it is taken on every loopback address.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/unbound.sh"
. "$TOP/tests/peers/dialback.sh"
need_cmd unbound drill python3
P=$(pki)

dns=$(free_port) home=$(free_port)
DB_DNS=$dns
z=$T/zone
dns_xmpp_peer "$z" xmpp.example.test "$home" - localhost
for p in ej-required ej-trusted ej-denied pr-secure; do
	eval "port_$(echo $p | tr - _)=$(free_port)"
	eval "dns_xmpp_peer \"\$z\" $p.peer.test \"\$port_$(echo $p | tr - _)\" - localhost"
done
unbound_start "$T/ub" "$dns" "$z"

# our server: dialback on, the chain a CA issues in 2026
prosody_start "$T/h" xmpp.example.test "$home" --release debian12 --dns "$dns" --dialback \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key"
ejabberd_start "$T/ej1" ej-required.peer.test "$port_ej_required" --release debian12 \
	--dns "$dns" --dialback
ejabberd_start "$T/ej2" ej-trusted.peer.test "$port_ej_trusted" --release debian12 \
	--dns "$dns" --dialback --starttls required_trusted
ejabberd_start "$T/ej3" ej-denied.peer.test "$port_ej_denied" --release debian12 \
	--dns "$dns" --dialback --s2s-access deny
prosody_start "$T/pr" pr-secure.peer.test "$port_pr_secure" --release debian12 \
	--dns "$dns" --dialback

# the servers this test documents, not whatever a root happens to hold
hv=$(prosody_version "$T/h") ev=$(ejabberd_version "$T/ej1")
say "our server: prosody $hv; peers: ejabberd $ev, prosody $(prosody_version "$T/pr")"
case $hv in 0.12.*) ;; *) fail "our Prosody is $hv, not Debian 12's 0.12" ;; esac
case $ev in 23.01*) ;; *) fail "the ejabberd is $ev, not Debian 12's 23.01" ;; esac

: > "$T/table"
dialback_check "$T/h" ej-required ej-required.peer.test dialback-only delivered
ejabberd_wait_log "$T/ej1" 'Accepted inbound s2s dialback authentication xmpp.example.test -> ej-required.peer.test' ||
	fail "ejabberd did not log the dialback it accepted"
assert_grep '"result": "invalid"' "$T/ej-required.peer.test.json"

dialback_check "$T/h" ej-trusted ej-trusted.peer.test rejected "not delivered"
assert_grep 'mod_s2s_dialback.*removed|removed.*mod_s2s_dialback' "$(ejabberd_log "$T/ej2")"

dialback_check "$T/h" ej-denied ej-denied.peer.test dialback-refused "not delivered"
assert_grep '"condition": "forbidden"' "$T/ej-denied.peer.test.json"
ejabberd_wait_log "$T/ej3" 'Failed inbound s2s dialback authentication xmpp.example.test -> ej-denied.peer.test.*forbidden' ||
	fail "ejabberd did not log the dialback it refused"

dialback_check "$T/h" pr-secure pr-secure.peer.test accepted delivered

# our server without dialback: the peer offers it, the callback finds none
prosody_stop "$T/h"
prosody_start "$T/h2" xmpp.example.test "$home" --release debian12 --dns "$dns" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key"
dialback_check "$T/h2" "ej-required (no db home)" ej-required.peer.test dialback-unverified "not delivered"

sed 's/^/    /' "$T/table"
say "the probe's dialback verdicts match what the servers did"
