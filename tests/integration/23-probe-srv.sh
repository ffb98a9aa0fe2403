#!/bin/sh
# Peers found through real DNS (a private unbound, --resolver): SRV priority
# order across _xmpps-server (direct TLS) and _xmpp-server (STARTTLS), a dead
# first target skipped, "." meaning no service, no SRV meaning port 5269 of
# the domain itself, and an unknown domain.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/unbound.sh"
need_cmd unbound drill

P=$(pki)
s2s=$(free_port) dtls=$(free_port) dead=$(free_port) dns=$(free_port)
printf '%s\n' direct.peer.test plain.peer.test deadfirst.peer.test > "$T/vhosts"
prosody_start "$T/pr" pr.peer.test "$s2s" --direct-tls "$dtls" --vhost-file "$T/vhosts"

z=$T/zone
dns_a "$z" host.peer.test 127.0.0.1
dns_a "$z" dead.peer.test 127.0.0.1
# direct TLS first by priority
dns_srv "$z" xmpps-server direct.peer.test "$dtls" host.peer.test 0 5
dns_srv "$z" xmpp-server direct.peer.test "$s2s" host.peer.test 10 5
# STARTTLS first by priority
dns_srv "$z" xmpps-server plain.peer.test "$dtls" host.peer.test 10 5
dns_srv "$z" xmpp-server plain.peer.test "$s2s" host.peer.test 0 5
# the first target refuses connections; the second works
dns_srv "$z" xmpp-server deadfirst.peer.test "$dead" dead.peer.test 0 5
dns_srv "$z" xmpp-server deadfirst.peer.test "$s2s" host.peer.test 5 5
# "." : no s2s service
dns_srv "$z" xmpp-server nope.peer.test 0 .
# no SRV: the domain's own address, port 5269 (a loopback address nobody uses)
dns_a "$z" nosrv.peer.test 127.77.0.1
unbound_start "$T/ub" "$dns" "$z"

s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
	--resolver "127.0.0.1@$dns" --timeout 5 --json \
	direct.peer.test plain.peer.test deadfirst.peer.test nope.peer.test \
	nosrv.peer.test nxdomain.peer.test > "$T/out.json" || true

python3 - "$T/out.json" "$s2s" "$dtls" "$dead" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s2s, dtls, dead = (int(x) for x in sys.argv[2:5])
p = {x["peer"]: x for x in r["probes"]}
def check(peer, cond, what):
    if not cond:
        sys.exit("%s: %s: %s" % (peer, what, json.dumps(p[peer], indent=1)))
d = p["direct.peer.test"]
check("direct.peer.test", d["verdict"] == "accepted" and d["transport"] == "direct-tls"
      and d["port"] == dtls, "want accepted over direct TLS")
check("direct.peer.test", d["peer_cert"] == "trusted", "peer cert")
q = p["plain.peer.test"]
check("plain.peer.test", q["verdict"] == "accepted" and q["transport"] == "starttls"
      and q["port"] == s2s, "want accepted over STARTTLS")
f = p["deadfirst.peer.test"]
check("deadfirst.peer.test", f["verdict"] == "accepted" and f["port"] == s2s,
      "want the second target")
n = p["nope.peer.test"]
check("nope.peer.test", n["verdict"] == "no-service", "want no-service")
s = p["nosrv.peer.test"]
check("nosrv.peer.test", s["verdict"] == "unreachable" and "127.77.0.1 port 5269" in s["reason"],
      "want a try of port 5269")
x = p["nxdomain.peer.test"]
check("nxdomain.peer.test", x["verdict"] == "unreachable" and "NXDOMAIN" in x["reason"],
      "want unreachable (NXDOMAIN)")
assert r["exit"] == 1, r["exit"]
PY
say "SRV: priority order, XEP-0368 merge, dead first target, '.', no SRV, NXDOMAIN"
