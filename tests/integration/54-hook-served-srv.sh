#!/bin/sh
# Without server =, the check of the served certificate finds the domain's
# own server through DNS, as a peer would: the _xmpp-server._tcp (STARTTLS)
# and _xmpps-server._tcp (direct TLS) SRV targets and the client port from
# _xmpp-client._tcp, all served by a real Prosody, looked up through the
# test unbound (resolver =). After a deploy and a real reload every
# endpoint presents the new leaf, and the report lists each with where it
# was found.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/unbound.sh"
need_cmd prosody unbound
P=$(pki)
W=$(pki_copy)
sh "$TOP/tests/pki/mkpki.sh" leaf "$W" new1 --domain xmpp.example.test

pr=$(free_port) dt=$(free_port) c2=$(free_port) ub=$(free_port)
prosody_start "$T/pr" xmpp.example.test "$pr" --direct-tls "$dt" --c2s "$c2" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
dns_srv "$T/dns" xmpp-server xmpp.example.test "$pr" srv-target.example.test
dns_srv "$T/dns" xmpps-server xmpp.example.test "$dt" srv-target.example.test
dns_srv "$T/dns" xmpp-client xmpp.example.test "$c2" srv-target.example.test
dns_a "$T/dns" srv-target.example.test
unbound_start "$T/ub" "$ub" "$T/dns"

cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
resolver = 127.0.0.1@$ub
probe_timeout = 5

[domain xmpp.example.test]
target = prosody
certs_dir = $T/pr/pki
owner = prosody
group = prosody
reload = kill -HUP \$(cat $T/pr/prosody.pid)
reload_timeout = 10
CONF
expect_exit 0 s2sguard-hook --config "$T/s2sguard.conf" \
	--cert "$W/new1.fullchain.pem" --key "$W/new1.key" --domain xmpp.example.test \
	> "$T/out.log" 2>&1
cat "$T/out.log"
assert_grep 'ok   verify-served: the server presents the new certificate on 3 endpoint' "$T/out.log"
rep=$(ls "$T/state/reports/"*xmpp.example.test-hook.json | tail -n 1)
python3 - "$rep" "$pr" "$dt" "$c2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["served"]
got = sorted((e["transport"], e["source"], e["host"], e["port"], e["status"]) for e in s["endpoints"])
want = sorted([
    ("s2s-starttls", "_xmpp-server._tcp", "srv-target.example.test", int(sys.argv[2]), "ok"),
    ("s2s-direct-tls", "_xmpps-server._tcp", "srv-target.example.test", int(sys.argv[3]), "ok"),
    ("c2s-starttls", "_xmpp-client._tcp", "srv-target.example.test", int(sys.argv[4]), "ok"),
])
assert got == want, got
assert len({e["leaf_sha256"] for e in s["endpoints"]}) == 1, s
PY
say ok
