#!/bin/sh
# The documentation says what the code and the tests say (issue 15):
#  - README's federation table ("| chain presented |") is, cell for cell,
#    the EXPECTED table of tests/integration/26-federation-matrix.sh, and
#    its legend quotes the peer words test 26 matches on;
#  - s2sguard-probe(1)'s VERDICTS section lists exactly the verdict names
#    of lib/probe_json.c;
#  - README's dialback table ("| peer | probe says |") names exactly the
#    verdicts tests/integration/28-dialback-end-to-end.sh expects.
. "$(dirname "$0")/../lib.sh"

python3 - "$TOP" <<'PY'
import re, sys
top = sys.argv[1]
readme = open(top + "/README.md").read()
t26 = open(top + "/tests/integration/26-federation-matrix.sh").read()
t28 = open(top + "/tests/integration/28-dialback-end-to-end.sh").read()
page = open(top + "/doc/s2sguard-probe.1").read()
code = open(top + "/lib/probe_json.c").read()
bad = []

def table(text, head):
    """Rows (lists of cells) of the markdown table whose header starts so."""
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith(head):
            rows = []
            for r in lines[i:]:
                if not r.startswith("|"):
                    break
                rows.append([c.strip() for c in r.strip().strip("|").split("|")])
            return rows[0], [r for r in rows[2:]]
    sys.exit("README.md: no table starting with %r" % head)

# 1. the federation matrix
m = re.search(r"<<'EOF'\n(chain .*?)\nEOF", t26, re.S)
if not m:
    sys.exit("test 26: no EXPECTED table")
exp = [l.split() for l in m.group(1).splitlines()]
cols, want = exp[0][1:], {r[0]: dict(zip(exp[0][1:], r[1:])) for r in exp[1:]}
keys = [("ejabberd 23.01", "ej12"), ("Prosody 0.12", "pr12"),
        ("ejabberd 24.12-3+deb13", "ej13"), ("Prosody 13", "pr13"),
        ("ejabberd 24.12-3~bpo12", "ejbpo")]
head, rows = table(readme, "| chain presented |")
colkey = []
for h in head[1:]:
    k = [k for pfx, k in keys if h.startswith(pfx)]
    if len(k) != 1:
        bad.append("README column %r names no server of test 26" % h)
    colkey.append(k[0] if k else None)
if sorted(k for k in colkey if k) != sorted(cols):
    bad.append("README columns %s, test 26 columns %s" % (colkey, cols))
seen = set()
for r in rows:
    chain = re.match(r"`([a-z-]+)`", r[0])
    if not chain or chain.group(1) not in want:
        bad.append("README row %r is no chain of test 26" % r[0])
        continue
    chain = chain.group(1)
    seen.add(chain)
    for k, cell in zip(colkey, r[1:]):
        got = cell.replace("*", "").replace("`", "").strip()
        if k and got != want[chain][k]:
            bad.append("%s x %s: README says %s, test 26 expects %s"
                       % (chain, k, got, want[chain][k]))
for chain in set(want) - seen:
    bad.append("README has no row for %s" % chain)
# the legend quotes the words test 26 matches on
for reason in re.findall(r'r == "([^"]+)"', t26):
    words = reason.split(": ", 1)[-1]
    if words.replace("\\", "") not in readme.replace("\n", " "):
        bad.append("README does not quote the peer's words %r" % words)

# 2. the man page's verdicts are the code's
names = set(re.findall(r'\[PROBE_[A-Z_]+\] = "([a-z-]+)"',
                       code.split("verdict_names")[1].split("};")[0]))
sec = page.split(".SH VERDICTS")[1].split(".SH ")[0]
documented = set(re.findall(r"^\.TP\n\.B ([a-z-]+)$", sec, re.M))
for n in names - documented:
    bad.append("s2sguard-probe(1) VERDICTS lacks %s" % n)
for n in documented - names:
    bad.append("s2sguard-probe(1) VERDICTS has %s, the code has no such verdict" % n)

# 3. the dialback table names the verdicts test 28 expects
body = "\n".join(l for l in t28.splitlines() if not l.lstrip().startswith("#"))
expected28 = {n for n in names if re.search(r"(?<![a-z-])%s(?![a-z-])" % re.escape(n), body)}
head, rows = table(readme, "| peer | probe says |")
inreadme = set()
for r in rows:
    inreadme |= set(re.findall(r"`([a-z-]+)`", r[1])) & names
if expected28 != inreadme:
    bad.append("README dialback table names %s, test 28 expects %s"
               % (sorted(inreadme), sorted(expected28)))

if bad:
    print("\n".join("MISMATCH " + b for b in bad))
    sys.exit(1)
print("README table: %d chains x %d servers as test 26; %d verdicts in "
      "s2sguard-probe(1) as in the code; dialback table: %s"
      % (len(want), len(cols), len(names), " ".join(sorted(expected28))))
PY
say ok
