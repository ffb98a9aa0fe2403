#!/bin/sh
# Test 28 with Debian 13's Prosody as our server: what s2sguard-probe says
# about dialback is what real servers do when our domain xmpp.example.test
# runs on Prosody 13.0.1 (trixie), dialback on, presenting the
# serverAuth-only chain (leaf-server). The peers are Debian 12's ejabberd
# 23.01, Debian 13's ejabberd 24.12-3+deb13u2 and Prosody 13.0.1, each
# with dialback on; every release is named, so the test measures the same
# servers on a Debian 12 and a Debian 13 host (the other release's servers
# run from a debootstrap root, tests/peers/roots.sh). Every server finds
# the others through the test unbound (SRV to localhost, a port of its
# own), so a peer's dialback callback reaches our Prosody. Per peer the
# test records the probe's verdict and whether a real stanza (an XEP-0199
# ping from our Prosody) got through. Measured:
#
#   ejabberd 23.01, mod_s2s_dialback, s2s_use_starttls: required
#       -> dialback-only, delivered (Prosody 13 tries SASL EXTERNAL, gets
#          "unsupported certificate purpose", then dialback succeeds)
#   ejabberd 23.01, mod_s2s_dialback, s2s_use_starttls: required_trusted
#       -> rejected, not delivered (no dialback offered: 23.01 drops
#          mod_s2s_dialback under required_trusted)
#   ejabberd 23.01, mod_s2s_dialback, s2s_access denying every server
#       -> dialback-refused, not delivered (dialback advertised, the
#          request answered <forbidden/> before any verification)
#   Prosody 13, s2s_secure_auth = true, dialback on
#       -> accepted, delivered (by SASL EXTERNAL; it advertises plain
#          dialback, no <errors/>)
#   ejabberd 24.12-3+deb13u2, mod_s2s_dialback, required
#       -> accepted, delivered (by SASL EXTERNAL: Debian's patch judges
#          the chain with the server purpose; dialback not needed)
#   our Prosody 13 without dialback, to ejabberd 23.01 (required)
#       -> dialback-unverified, not delivered (Prosody 13 answers the
#          peer's db:verify with stream error unsupported-stanza-type; the
#          peer reports remote-server-not-found to the probe)
#   our Prosody 13 without dialback, to ejabberd 24.12 (required)
#       -> accepted, delivered (SASL EXTERNAL)
#
# Prosody 13 as our server behaves as 0.12 does in test 28: the same
# configuration (modules "dialback", s2s_secure_auth) and the same
# fallback from a failed SASL EXTERNAL to dialback.
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
port_ej12_required=$(free_port) port_ej12_trusted=$(free_port)
port_ej12_denied=$(free_port) port_pr13_secure=$(free_port)
port_ej13_required=$(free_port)
z=$T/zone
dns_xmpp_peer "$z" xmpp.example.test "$home" - localhost
dns_xmpp_peer "$z" ej12-required.peer.test "$port_ej12_required" - localhost
dns_xmpp_peer "$z" ej12-trusted.peer.test "$port_ej12_trusted" - localhost
dns_xmpp_peer "$z" ej12-denied.peer.test "$port_ej12_denied" - localhost
dns_xmpp_peer "$z" pr13-secure.peer.test "$port_pr13_secure" - localhost
dns_xmpp_peer "$z" ej13-required.peer.test "$port_ej13_required" - localhost
unbound_start "$T/ub" "$dns" "$z"

# our server: Debian 13's Prosody, dialback on, the chain a CA issues in 2026
prosody_start "$T/h" xmpp.example.test "$home" --release debian13 --dns "$dns" --dialback \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key"
ejabberd_start "$T/e1" ej12-required.peer.test "$port_ej12_required" --release debian12 \
	--dns "$dns" --dialback
ejabberd_start "$T/e2" ej12-trusted.peer.test "$port_ej12_trusted" --release debian12 \
	--dns "$dns" --dialback --starttls required_trusted
ejabberd_start "$T/e3" ej12-denied.peer.test "$port_ej12_denied" --release debian12 \
	--dns "$dns" --dialback --s2s-access deny
prosody_start "$T/p" pr13-secure.peer.test "$port_pr13_secure" --release debian13 \
	--dns "$dns" --dialback
ejabberd_start "$T/e4" ej13-required.peer.test "$port_ej13_required" --release debian13 \
	--dns "$dns" --dialback

# the servers this test documents, not whatever a root happens to hold
hv=$(prosody_version "$T/h") pv=$(prosody_version "$T/p")
e12=$(ejabberd_version "$T/e1") e13=$(ejabberd_version "$T/e4")
say "our server: prosody $hv; peers: ejabberd $e12, prosody $pv, ejabberd $e13"
case $hv in 13.*) ;; *) fail "our Prosody is $hv, not Prosody 13" ;; esac
case $pv in 13.*) ;; *) fail "the Prosody peer is $pv, not Prosody 13" ;; esac
case $e12 in 23.01*) ;; *) fail "Debian 12's ejabberd is $e12, not 23.01" ;; esac
case $e13 in 24.12*+deb13u*) ;; *) fail "Debian 13's ejabberd is $e13, not 24.12+deb13u" ;; esac

: > "$T/table"
dialback_check "$T/h" ej12-required ej12-required.peer.test dialback-only delivered
ejabberd_wait_log "$T/e1" 'Accepted inbound s2s dialback authentication xmpp.example.test -> ej12-required.peer.test' ||
	fail "ejabberd 23.01 did not log the dialback it accepted"
assert_grep '"result": "invalid"' "$T/ej12-required.peer.test.json"

dialback_check "$T/h" ej12-trusted ej12-trusted.peer.test rejected "not delivered"
assert_grep 'mod_s2s_dialback.*removed|removed.*mod_s2s_dialback' "$(ejabberd_log "$T/e2")"
assert_no_grep '"dialback": true' "$T/ej12-trusted.peer.test.json"

dialback_check "$T/h" ej12-denied ej12-denied.peer.test dialback-refused "not delivered"
assert_grep '"condition": "forbidden"' "$T/ej12-denied.peer.test.json"
ejabberd_wait_log "$T/e3" 'Failed inbound s2s dialback authentication xmpp.example.test -> ej12-denied.peer.test.*forbidden' ||
	fail "ejabberd 23.01 did not log the dialback it refused"

dialback_check "$T/h" pr13-secure pr13-secure.peer.test accepted delivered
assert_grep 'Accepting SASL EXTERNAL identity from xmpp.example.test' "$(prosody_log "$T/p")"

dialback_check "$T/h" ej13-required ej13-required.peer.test accepted delivered
ejabberd_wait_log "$T/e4" 'Accepted inbound s2s EXTERNAL authentication xmpp.example.test -> ej13-required.peer.test' ||
	fail "ejabberd 24.12 did not log the SASL EXTERNAL it accepted"

# our server without dialback: ejabberd 23.01 offers it, the callback
# finds none; Debian 13's ejabberd does not need it
prosody_stop "$T/h"
prosody_start "$T/h2" xmpp.example.test "$home" --release debian13 --dns "$dns" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key"
dialback_check "$T/h2" "ej12-required (no db home)" ej12-required.peer.test dialback-unverified "not delivered"
assert_grep '"condition": "remote-server-not-found"' "$T/ej12-required.peer.test.json"
dialback_check "$T/h2" "ej13-required (no db home)" ej13-required.peer.test accepted delivered

sed 's/^/    /' "$T/table"
say "the probe's dialback verdicts match what the servers did, with Prosody 13 at home"
