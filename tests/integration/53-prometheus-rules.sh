#!/bin/sh
# templates/s2sguard.rules.yml: promtool accepts the rules, and its unit
# tests (tests/prometheus/s2sguard.rules.test.yml) fire each alert on the
# series that should fire it and on no other. The metric names and label
# names the rules and their tests use are the ones a real s2sguard-check
# writes: a run against a real Prosody (the local server, reading the
# target) with a peer probed, whose textfile is then read back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/prosody.sh"
need_cmd promtool prosody python3
P=$(pki)
RULES=$TOP/templates/s2sguard.rules.yml
TESTS=$TOP/tests/prometheus/s2sguard.rules.test.yml

promtool check rules "$RULES" > "$T/check.log" 2>&1 || { cat "$T/check.log"; fail "promtool check rules"; }
promtool test rules "$TESTS" > "$T/test.log" 2>&1 || { cat "$T/test.log"; fail "promtool test rules"; }
say "promtool: $(grep -c 'alert:' "$RULES") rules checked and tested"

# a real textfile: deployed certificate, a peer (down), the server checked
pr=$(free_port) dead=$(free_port)
prosody_start "$T/pr" xmpp.example.test "$pr" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem
probe_timeout = 3
metrics = $T/s2sguard.prom

[domain xmpp.example.test]
target = prosody
certs_dir = $T/pr/pki
owner = prosody
group = prosody
reload = true
peers = down.peer.test
connect = down.peer.test=127.0.0.1:$dead
server = 127.0.0.1:$pr
CONF
s2sguard-check --config "$T/s2sguard.conf" --quiet || true
[ -s "$T/s2sguard.prom" ] || fail "s2sguard-check wrote no metrics"
cat "$T/s2sguard.prom"
# the exposition format parses; the only lint accepted is the day unit of
# s2sguard_cert_days_left (an established name) and of hold_min_days beside it
promtool check metrics < "$T/s2sguard.prom" > "$T/lint.log" 2>&1 || true
if grep -v 'use base unit "seconds" instead of "days"' "$T/lint.log" | grep -q .; then
	cat "$T/lint.log"; fail "promtool check metrics"
fi

python3 - "$T/s2sguard.prom" "$RULES" "$TESTS" <<'PY'
import re, sys
prom, rules, tests = (open(p).read() for p in sys.argv[1:4])
# what s2sguard-check wrote: metric -> set of label names, and label values
written, values = {}, {}
for line in prom.splitlines():
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'([a-z0-9_]+)(?:\{(.*)\})? ', line)
    assert m, line
    labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or ""))
    written.setdefault(m.group(1), set()).update(labels)
    for k, v in labels.items():
        values.setdefault((m.group(1), k), set()).add(v)
# every metric, label and matched value the rules and their tests name
def selectors(text):
    for m in re.finditer(r'(s2sguard_[a-z_]+)(\{[^}]*\})?', text):
        yield m.group(1), dict(re.findall(r'([a-z_]+)\s*=~?\s*"([^"]*)"', m.group(2) or ""))
bad = []
for name, labels in list(selectors(rules)) + list(selectors(tests)):
    if name not in written:
        bad.append("metric %s is not written by s2sguard-check" % name)
        continue
    for k, v in labels.items():
        if k in ("instance", "job"):
            continue        # node_exporter's
        if k not in written[name]:
            bad.append("%s has no label %s" % (name, k))
        elif k in ("verdict", "status") and v not in values[(name, k)]:
            bad.append('%s{%s="%s"}: no such value written' % (name, k, v))
assert not bad, "\n".join(bad)
used = {n for n, _ in selectors(rules)}
print("rules use %d metrics, all written: %s" % (len(used), " ".join(sorted(used))))
PY
say ok
