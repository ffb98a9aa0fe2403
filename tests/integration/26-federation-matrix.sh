#!/bin/sh
# The federation matrix as it really is (issue 15): each federation chain of
# the test PKI, presented by s2sguard-probe, against every strict server
# (SASL EXTERNAL required, no dialback, the test root trusted) of Debian 12
# and Debian 13. The servers of the host's own release run as installed;
# the other release's run chroot'ed from its root (tests/peers/roots.sh).
# On a Debian 13 host (make check-debian13) the Debian 12 servers run from
# a bookworm root (scripts/debian-root.sh).
# The README's server table is this test's EXPECTED table.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
P=$(pki)
host=$(peer_host_release)

# Expected verdict per chain (row) and server (column). Cells:
#   accepted   SASL EXTERNAL succeeded
#   purpose    rejected: <failure> not-authorized, "unsupported certificate
#              purpose" (fast_tls judging the chain with OpenSSL's purpose)
#   untrusted  rejected: stream error not-authorized, "Your server's
#              certificate is not trusted" (Prosody, s2s_secure_auth)
# ej12 ejabberd 23.01-1 and pr12 Prosody 0.12.3 (Debian 12), ej13 ejabberd
# 24.12-3+deb13u2 and pr13 Prosody 13.0.1 (Debian 13), ejbpo ejabberd
# 24.12-3~bpo12+1 (Debian 12 bookworm-backports, without Debian 13's patch).
cat > "$T/expected" <<'EOF'
chain                   ej12      pr12      ej13      pr13      ejbpo
leaf-both               accepted  accepted  accepted  accepted  accepted
leaf-server             purpose   accepted  accepted  accepted  purpose
leaf-both-under-server  purpose   accepted  accepted  accepted  purpose
leaf-client             accepted  untrusted purpose   untrusted accepted
leaf-noeku              accepted  accepted  accepted  accepted  accepted
EOF

# the columns this host runs: its own release's servers, and the others'
# from their roots where a root of that release can be had here
case $host in
debian12|debian13)
	# the backports column costs a bookworm root of its own (about 3
	# minutes to build): run it with S2S_BPO_ROOT (a root to use) or
	# S2S_WITH_BPO=1 (build one); CI leaves it out to stay within its time
	cols="ej12 pr12 ej13 pr13"
	if [ -n "${S2S_BPO_ROOT:-}" ] || [ "${S2S_WITH_BPO:-}" = 1 ]; then
		cols="$cols ejbpo"
	else
		say "ejbpo (bookworm-backports) not run: set S2S_WITH_BPO=1 or S2S_BPO_ROOT"
	fi ;;
*) skip "host is neither Debian 12 nor Debian 13" ;;
esac

peers=""
for col in $cols; do
	port=$(free_port)
	case $col in
	ej12) ejabberd_start "$T/$col" $col.peer.test "$port" --release debian12 ;;
	ej13) ejabberd_start "$T/$col" $col.peer.test "$port" --release debian13 ;;
	ejbpo) ejabberd_start "$T/$col" $col.peer.test "$port" --release debian12-backports ;;
	pr12) prosody_start "$T/$col" $col.peer.test "$port" --release debian12 --log-level info ;;
	pr13) prosody_start "$T/$col" $col.peer.test "$port" --release debian13 --log-level info ;;
	esac
	case $col in
	ej*) v="ejabberd $(ejabberd_version "$T/$col")"; ms=$EJABBERD_START_MS ;;
	pr*) v="prosody $(prosody_version "$T/$col")"; ms=$PROSODY_START_MS ;;
	esac
	echo "$col $v" >> "$T/versions"
	say "$col: $v started in $ms ms$([ "$(cat "$T/$col/root")" = / ] || echo " (chroot $(cat "$T/$col/root"))")"
	echo "$col $port" >> "$T/ports"
	peers="$peers --peer $col.peer.test=127.0.0.1:$port"
done

t0=$(date +%s%3N)
for chain in $(sed '1d; s/ .*//' "$T/expected"); do
	# shellcheck disable=SC2086
	set +e
	s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
		--cert "$P/$chain.fullchain.pem" --key "$P/$chain.key" \
		--json $peers > "$T/$chain.json"
	rc=$?
	set -e
	[ "$rc" -le 1 ] || fail "s2sguard-probe exited $rc for $chain"
done
say "probes: $(( $(date +%s%3N) - t0 )) ms"

python3 - "$T" "$cols" <<'PY'
import json, sys
t, cols = sys.argv[1], sys.argv[2].split()
lines = [l.split() for l in open(t + "/expected")]
head, rows = lines[0], lines[1:]
port = dict(l.split() for l in open(t + "/ports"))
def cell(p):
    v, r = p["verdict"], p.get("reason") or ""
    if v == "accepted":
        return "accepted"
    if v == "rejected" and r == "not-authorized: unsupported certificate purpose":
        return "purpose"
    if v == "rejected" and r == "stream error not-authorized: Your server's certificate is not trusted":
        return "untrusted"
    return "%s(%s)" % (v, r)
bad = []
print("%-24s" % "measured" + "".join("%-10s" % c for c in cols))
for row in rows:
    chain = row[0]
    probes = json.load(open("%s/%s.json" % (t, chain)))["probes"]
    assert len(probes) == len(cols), (chain, len(probes))
    got = []
    for c in cols:
        p = [p for p in probes if str(p["port"]) == port[c]][0]
        want = row[head.index(c)]
        g = cell(p)
        got.append(g)
        if g != want:
            bad.append("%s x %s: expected %s, measured %s" % (chain, c, want, g))
    print("%-24s" % chain + "".join("%-10s" % g for g in got))
if bad:
    print("\n".join("MISMATCH " + b for b in bad))
    sys.exit(1)
PY
sed 's/^/    /' "$T/versions"
say "ok: $(($(sed 1d "$T/expected" | wc -l))) chains x $(echo $cols | wc -w) servers as expected"
