#!/bin/sh
# The private unbound answers the SRV/A data tests give it (STARTTLS and
# direct TLS SRV, the "no service" target "."), and nothing else: no
# recursion to the internet.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/unbound.sh"
need_cmd unbound drill

z=$T/zone
dns_xmpp_peer "$z" ej.peer.test 15269 15270
dns_srv "$z" xmpp-server nope.peer.test 0 .
dns_a "$z" two.peer.test 127.0.0.2
printf '  local-data: "extra.peer.test. 60 IN A 127.0.0.9"\n' > "$T/extra.conf"
port=$(free_port)
unbound_start "$T/ub" "$port" "$z" --conf "$T/extra.conf"
say "unbound started in ${UNBOUND_START_MS} ms"

[ "$(dns_query "$port" _xmpp-server._tcp.ej.peer.test SRV)" = \
	"0 5 15269 ej.peer.test." ] || fail "SRV _xmpp-server"
[ "$(dns_query "$port" _xmpps-server._tcp.ej.peer.test SRV | awk '{print $3}')" = 15270 ] ||
	fail "SRV _xmpps-server"
[ "$(dns_query "$port" ej.peer.test A)" = 127.0.0.1 ] || fail "A ej.peer.test"
[ "$(dns_query "$port" _xmpp-server._tcp.nope.peer.test SRV | awk '{print $4}')" = . ] ||
	fail "SRV target ."
[ "$(dns_query "$port" extra.peer.test A)" = 127.0.0.9 ] || fail "--conf lines"
drill -p "$port" example.com A @127.0.0.1 >"$T/out" 2>&1 || true
assert_grep 'rcode: NXDOMAIN' "$T/out"

# new data after unbound_reload
dns_a "$z" later.peer.test 127.0.0.3
unbound_reload "$T/ub" "$z"
[ "$(dns_query "$port" later.peer.test A)" = 127.0.0.3 ] || fail "reload"
say ok
