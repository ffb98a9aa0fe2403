#!/bin/sh
# Without any configuration the hook still inspects, says what it found,
# deploys nothing (exit 4) and says so; the certificate files are untouched.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
cp "$P/leaf-server.fullchain.pem" "$T/new.pem"
cp "$P/leaf-server.key" "$T/new.key"
sum=$(cat "$T/new.pem" "$T/new.key" | sha256sum)
# no --config: the default path does not exist on a test box
[ ! -e /usr/local/etc/s2sguard/s2sguard.conf ] || skip "a real configuration exists here"
# the test root stands in for the system trust store
SSL_CERT_FILE=$P/root.pem PATH=$BUILD:/usr/bin:/bin expect_exit 4 s2sguard-hook --state-dir "$T/state" \
	--cert "$T/new.pem" --key "$T/new.key" --domain xmpp.example.test > "$T/out.log" 2>&1
cat "$T/out.log"
assert_grep 'TLS client .*FAIL' "$T/out.log"
assert_grep 'chain +trusted' "$T/out.log"
assert_grep 'deployed nothing' "$T/out.log"
assert_grep 'exit 4' "$T/out.log"
[ "$(cat "$T/new.pem" "$T/new.key" | sha256sum)" = "$sum" ] || fail "input files changed"
say ok
