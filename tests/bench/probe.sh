#!/bin/sh
# Benchmark s2sguard-probe against one real Prosody with 500 VirtualHosts
# (one wildcard certificate). Prints figures; asserts nothing.
#   scale:   500 peers on loopback: wall time, probes/s, CPU per probe, peak RSS
#   latency: the same through a relay adding 50 ms each way (100 ms RTT):
#            500 peers at concurrency 500 against one peer, as a ratio
#   crypto:  openssl speed for the handshake's public-key operations
# BENCH_PEERS=N changes the number of peers (default 500).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd python3
[ -x /usr/bin/time ] || skip "/usr/bin/time not installed"

N=${BENCH_PEERS:-500}
P=$(pki)
port=$(free_port)
prosody_start "$T/pr" pr.peer.test "$port" --vhosts "$N" --log-level warn
say "prosody with $N VirtualHosts started in ${PROSODY_START_MS} ms"

# probe PORT CONCURRENCY N OUT: time N peers through PORT
probe() {
	_port=$1 _conc=$2 _n=$3 _out=$4
	set --
	for d in $(seq -f 'vhost%03g.peer.test' 1 "$_n"); do
		set -- "$@" --peer "$d=127.0.0.1:$_port"
	done
	/usr/bin/time -f '%e %U %S %M' -o "$_out.time" s2sguard-probe \
		--from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
		--concurrency "$_conc" --timeout 120 --json "$@" > "$_out" || true
}

# report LABEL N OUT
report() {
	read -r wall user sys rss < "$3.time"
	python3 - "$1" "$2" "$wall" "$user" "$sys" "$rss" "$3" <<'PY'
import json, sys
label, n, wall, user, sys_, rss, out = sys.argv[1:8]
n, wall, user, sys_, rss = int(n), float(wall), float(user), float(sys_), int(rss)
r = json.load(open(out))
ok = sum(1 for p in r["probes"] if p["verdict"] == "accepted")
print(f"{label}: {n} peers, {ok} accepted, wall {wall:.2f} s, {n / wall:.0f} probes/s, "
      f"CPU {1000 * (user + sys_) / n:.2f} ms/probe (user {user:.2f} s, sys {sys_:.2f} s), "
      f"peak RSS {rss / 1024:.1f} MB")
PY
}

probe "$port" 64 "$N" "$T/scale64.json"
report "scale, concurrency 64" "$N" "$T/scale64.json"
probe "$port" "$N" "$N" "$T/scale.json"
report "scale, concurrency $N" "$N" "$T/scale.json"

python3 "$TOP/tests/bench/relay.py" "$T/relay.port" "$port" 50 > "$T/relay.log" 2>&1 &
rpid=$!
at_exit "kill $rpid"
n=50
while [ ! -f "$T/relay.port" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
rport=$(cat "$T/relay.port")

probe "$rport" 1 1 "$T/one.json"
report "latency (100 ms RTT), 1 peer" 1 "$T/one.json"
probe "$rport" "$N" "$N" "$T/many.json"
report "latency (100 ms RTT), concurrency $N" "$N" "$T/many.json"
one=$(cut -d' ' -f1 "$T/one.json.time")
many=$(cut -d' ' -f1 "$T/many.json.time")
say "latency ratio: $N peers / 1 peer = $(python3 -c "print(f'{$many / $one:.2f}')") (target <= 1.5)"
# Prosody serves s2s from one Lua thread: its own CPU per session bounds
# throughput (see "scale" above). 64 peers stay below that bound and show
# what the client does with latency alone.
probe "$rport" 64 64 "$T/some.json"
report "latency (100 ms RTT), concurrency 64" 64 "$T/some.json"
some=$(cut -d' ' -f1 "$T/some.json.time")
say "latency ratio: 64 peers / 1 peer = $(python3 -c "print(f'{$some / $one:.2f}')")"

# what OpenSSL's own crypto costs for one client handshake with a P-256 key:
# one ECDSA sign (CertificateVerify), ~3 ECDSA verifies (peer chain), one X25519
openssl speed -seconds 2 ecdsap256 ecdhx25519 2>/dev/null | python3 -c '
import sys
sign = verify = dh = None
for line in sys.stdin:
    f = line.split()
    if "nistp256" in line and len(f) >= 2:
        sign, verify = 1 / float(f[-2]), 1 / float(f[-1])
    if "X25519" in line and len(f) >= 1:
        dh = 1 / float(f[-1])
if sign and verify and dh:
    ms = (sign + 3 * verify + 2 * dh) * 1000
    print(f"openssl speed: ECDSA P-256 sign {sign*1e3:.3f} ms, verify {verify*1e3:.3f} ms, "
          f"X25519 {dh*1e3:.3f} ms: ~{ms:.2f} ms of public-key crypto per client handshake")
'

# OpenSSL's own full client handshake (same chain as client certificate,
# asked for by the server), in connections per user-CPU second
need_cmd openssl
sport=$(free_port)
openssl s_server -accept "127.0.0.1:$sport" -cert "$P/leaf-server.pem" \
	-key "$P/leaf-server.key" -cert_chain "$P/leaf-server.chain.pem" \
	-CAfile "$P/root.pem" -verify 1 -quiet -naccept 1000000 > "$T/s_server.log" 2>&1 &
spid=$!
at_exit "kill $spid"
wait_port "$sport" 10 || fail "openssl s_server did not start"
openssl s_time -connect "127.0.0.1:$sport" -new -time 3 -CAfile "$P/root.pem" \
	-cert "$P/leaf-server.fullchain.pem" -key "$P/leaf-server.key" 2>/dev/null |
	sed -n 's/.*; \([0-9.]*\) connections\/user sec.*/\1/p' | head -n 1 |
	awk '{ printf "openssl s_time: %.3f ms user CPU per full client handshake (P-256, client certificate)\n", 1000 / $1 }'
