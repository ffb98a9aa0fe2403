#!/bin/sh
# A [domain] whose deploy target is the ACME client's own file (here:
# certbot's live/ link) is refused with a message saying what to do, and
# nothing is touched: s2sguard must own the copy the server reads.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir -p "$T/archive" "$T/live"
cp "$P/leaf-both.fullchain.pem" "$T/archive/fullchain1.pem"
cp "$P/leaf-both.key" "$T/archive/privkey1.pem"
ln -s ../archive/fullchain1.pem "$T/live/fullchain.pem"
ln -s ../archive/privkey1.pem "$T/live/privkey.pem"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/live/fullchain.pem
key = $T/live/privkey.pem
CONF
RENEWED_LINEAGE=$T/live RENEWED_DOMAINS=xmpp.example.test \
	expect_exit 3 s2sguard-hook --config "$T/s2sguard.conf" > "$T/out.log" 2>&1
cat "$T/out.log"
assert_grep "is the ACME client's own file" "$T/out.log"
[ "$(readlink "$T/live/fullchain.pem")" = ../archive/fullchain1.pem ] || fail "certbot's link was replaced"
[ ! -e "$T/live/.s2sguard-fullchain.pem" ] || fail "a version directory appeared in live/"
say ok
