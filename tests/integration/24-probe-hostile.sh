#!/bin/sh
# A hostile peer (tests/peers/hostile.py) misbehaves in every way a real
# server does not; each behaviour ends in a clear verdict within the
# per-peer timeout, and 100 hostile peers at once stay under 64 MB RSS.
. "$(dirname "$0")/../lib.sh"
need_cmd python3
[ -x /usr/bin/time ] || skip "/usr/bin/time not installed"

P=$(pki)
python3 "$TOP/tests/peers/hostile.py" "$T/ports" > "$T/hostile.log" 2>&1 &
hpid=$!
at_exit "kill $hpid"
n=100
while [ ! -f "$T/ports" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
[ -f "$T/ports" ] || fail "hostile peer did not start"

set --
while read -r mode port; do
	set -- "$@" --peer "$mode.hostile.test=127.0.0.1:$port"
done < "$T/ports"

timeout=3
start=$(date +%s%3N)
expect_exit 1 s2sguard-probe --from xmpp.example.test --ca-file "$P/root.pem" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" \
	--timeout "$timeout" --json "$@" > "$T/out.json"
wall=$(( $(date +%s%3N) - start ))

python3 - "$T/out.json" "$timeout" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
limit = float(sys.argv[2]) * 1000 + 500
want = {
    "garbage": ("protocol-error", "bad XML"),
    "nofeatures": ("unreachable", "timed out waiting for stream features"),
    "endless": ("protocol-error", "element over"),
    "doctype": ("protocol-error", "DOCTYPE"),
    "badutf8": ("protocol-error", "bad XML"),
    "tlsalert": ("tls-failed", "alert"),
    "reset": ("tls-failed", "reset"),
    "silence": ("unreachable", "timed out waiting for the stream header"),
    "noproceed": ("unreachable", "timed out waiting for <proceed/>"),
    "close": ("protocol-error", "closed before any stream data"),
    "tlsfailure": ("tls-failed", "<failure/>"),
}
bad = []
for p in r["probes"]:
    mode = p["peer"].split(".")[0]
    v, words = want[mode]
    t = p["timing_ms"]["total"]
    print("%-11s %-15s %5d ms  %s" % (mode, p["verdict"], t, p["reason"]))
    if p["verdict"] != v or words not in p["reason"] or t > limit:
        bad.append(mode)
if len(r["probes"]) != len(want) or bad:
    sys.exit("unexpected verdicts: %s" % bad)
PY
say "11 hostile behaviours classified in ${wall} ms (timeout ${timeout} s)"

# 100 hostile peers in parallel, memory bounded
: > "$T/peers"
set --
i=0
while [ "$i" -lt 100 ]; do
	for m in $(cut -d' ' -f1 "$T/ports"); do
		[ "$i" -lt 100 ] || break
		port=$(sed -n "s/^$m //p" "$T/ports")
		set -- "$@" --peer "h$i-$m.hostile.test=127.0.0.1:$port"
		i=$((i + 1))
	done
done
expect_exit 1 /usr/bin/time -v -o "$T/time.txt" s2sguard-probe --from xmpp.example.test \
	--ca-file "$P/root.pem" --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" \
	--timeout "$timeout" --concurrency 100 --json "$@" > "$T/many.json"
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/time.txt")
python3 - "$T/many.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["probes"]) == 100, len(r["probes"])
assert all(p["verdict"] not in ("pending", "accepted") for p in r["probes"])
PY
say "100 hostile peers: peak RSS ${rss} kB (largest of parent and probing child), wall $wall"
[ "$rss" -lt 65536 ] || fail "peak RSS ${rss} kB over 64 MB"
