#!/bin/sh
# s2sguard-inspect: documented exit status per verdict, one-line errors that
# name the file, and nothing on stdout when the input cannot be read.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
I="s2sguard-inspect --ca-file $P/root.pem --domain xmpp.example.test"

expect_exit 0 $I --key "$P/leaf-both.key" "$P/leaf-both.fullchain.pem" > "$T/out"
assert_grep '^Verdict: usable' "$T/out"
expect_exit 1 $I "$P/leaf-server.fullchain.pem" > "$T/out"
assert_grep 'TLS client \(s2s outbound\) +FAIL' "$T/out"
expect_exit 1 $I "$P/leaf-both-under-server.fullchain.pem" > "$T/out"
assert_grep 'CA certificate CN = s2sguard test inter-server has EKU serverAuth without clientAuth' "$T/out"
expect_exit 2 $I "$P/leaf-expired.fullchain.pem" > /dev/null
expect_exit 2 $I "$P/leaf-wrongname.fullchain.pem" > /dev/null
expect_exit 2 $I --key "$P/mismatch.key" "$P/mismatch.pem" --chain "$P/leaf-both.chain.pem" > /dev/null
expect_exit 0 $I "$P/leaf-both.der" --chain "$P/leaf-both.chain.pem" > /dev/null

# --previous: the renewal lost clientAuth and changed key and issuer.
expect_exit 1 $I --json --previous "$P/leaf-both.fullchain.pem" "$P/leaf-server.fullchain.pem" > "$T/r.json"
python3 - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["tool"] == "s2sguard-inspect" and r["exit"] == 1, r
c = r["inspection"]["changes"]
assert c["client_auth_lost"] and c["key_changed"] and c["issuer_changed"], c
assert r["inspection"]["tls_client"]["broken_at"] == 0
PY

# Unreadable input: exit 3, one line on stderr naming the file, empty stdout.
head -c 100000000 /dev/zero > "$T/huge.pem"
mkdir "$T/dir"
for f in "$T/missing.pem" "$T/dir" "$P/empty.pem" "$P/text.pem" "$P/garbage.bin" \
	"$P/leaf-both.truncated.pem" "$P/leaf-both.junk.pem" "$T/huge.pem"; do
	expect_exit 3 $I "$f" > "$T/out" 2> "$T/err"
	[ ! -s "$T/out" ] || fail "stdout not empty for $f"
	[ "$(wc -l < "$T/err")" -eq 1 ] || fail "not one line of error for $f: $(cat "$T/err")"
	grep -qF "$f" "$T/err" || fail "error does not name $f: $(cat "$T/err")"
done
expect_exit 3 $I --key "$P/leaf-both.enc.key" "$P/leaf-both.fullchain.pem" > "$T/out" 2> "$T/err"
assert_grep 'encrypted' "$T/err"
# The key never reaches the output, whatever happens.
key_body=$(sed -n 2p "$P/leaf-both.key")
! grep -qF "$key_body" "$T/out" "$T/err" || fail "key material printed"

expect_exit 64 s2sguard-inspect 2> /dev/null
expect_exit 64 s2sguard-inspect --no-such-option x 2> /dev/null
