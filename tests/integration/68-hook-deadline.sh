#!/bin/sh
# The whole hook obeys `deadline`: a peer that accepts TCP and then says
# nothing cannot make the ACME client wait. With deadline = 6 the probes
# stop early enough to leave time for deploy and reload; the silent peer
# is reported, not blamed; as no peer answered at all, the decision rests
# on the inspection: clientAuth lost, policy hold -> held (exit 2).
. "$(dirname "$0")/../lib.sh"
P=$(pki)
silent=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$silent" > "$T/silent.log" 2>&1 &
at_exit "kill $!"
wait_port "$silent" || fail "silent peer did not start"
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
deadline = 6
probe_timeout = 30

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
reload = echo reloaded >> $T/reloads
peers = silent.peer.test
connect = silent.peer.test=127.0.0.1:$silent
CONF
start=$(date +%s%3N)
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --json \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test > "$T/out.json" 2> "$T/err.log"
ms=$(( $(date +%s%3N) - start ))
say "hook took $ms ms with deadline 6 s"
[ "$ms" -lt 6500 ] || fail "the hook overran its deadline: $ms ms"
python3 - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert p["verdict"] in ("pending", "unreachable"), p["verdict"]
assert not p["regression"], p
assert r["decision"]["action"] == "hold" and r["decision"]["suspected"], r["decision"]
assert any("no peer answered" in x for x in r["decision"]["reasons"]), r["decision"]
PY
[ ! -e "$T/reloads" ] || fail "reloaded during a hold"
say ok
