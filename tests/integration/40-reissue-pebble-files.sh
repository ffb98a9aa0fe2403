#!/bin/sh
# s2sguard-reissue against Debian's pebble 2.4 with real http-01 validation
# from a webroot on loopback: a new account from --account-key, the names of
# the current certificate, plain output files; the chain is verified before
# anything is written, and the key file is left alone.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
PEBBLE_WFE_NONCEREJECT=5	# pebble rejects 5% of nonces: badNonce retries are exercised
pebble_start
pebble_root "$T/pebble-root.pem"
pebble_serve_webroot "$T/www"
P=$(pki)

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null
cp "$P/leaf-both.key" "$T/key.pem"
R="s2sguard-reissue --server $PEBBLE_DIR --tls-ca-file $PEBBLE_TLS_CA --ca-file $T/pebble-root.pem
 --account-key $T/account.pem --agree-tos --contact mailto:admin@example.test --timeout 120"

# The current certificate (from the test PKI) gives the names to order.
mkdir "$T/out"
expect_exit 0 $R --cert "$P/leaf-both.pem" --key "$T/key.pem" --webroot "$T/www" \
	--out-cert "$T/out/cert.pem" --out-chain "$T/out/chain.pem" \
	--out-fullchain "$T/out/fullchain.pem" --json > "$T/r.json" 2> "$T/reissue.log"
python3 - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
x = r["reissue"]
assert r["exit"] == 0, r
assert x["account"]["created"] is True and x["account"]["source"] == "key-file", x
assert x["names"][0] == "xmpp.example.test" and len(x["names"]) == 3, x
assert x["order"]["authz_solved"] + x["order"]["authz_reused"] == len(x["names"]), x
assert x["installed"]["kind"] == "files", x
assert r["inspection"]["verdict"] == "usable", r["inspection"]["verdict"]
PY
# The key was not rewritten; the certificate belongs to it and is pebble's.
cmp "$P/leaf-both.key" "$T/key.pem" || fail "key file changed"
[ "$(openssl x509 -in "$T/out/cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/key.pem" -pubout)" ] ||
	fail "new certificate does not match the key"
openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$T/out/chain.pem" -purpose sslclient \
	"$T/out/cert.pem" > /dev/null || fail "chain does not verify for sslclient"
cat "$T/out/cert.pem" "$T/out/chain.pem" | cmp - "$T/out/fullchain.pem" || fail "fullchain != cert + chain"
# The challenge file was cleaned up.
[ -z "$(find "$T/www" -type f)" ] || fail "challenge files left in the webroot: $(find "$T/www" -type f)"
assert_no_grep 'PRIVATE KEY' "$T/r.json"

# The same account again: found, not created; --dry-run writes nothing.
rm -rf "$T/out"
expect_exit 0 $R --cert "$P/leaf-both.pem" --key "$T/key.pem" --webroot "$T/www" --dry-run --json > "$T/r2.json"
python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["reissue"]; assert x["account"]["created"] is False and x["dry_run"], x' "$T/r2.json"
[ ! -e "$T/out" ] || fail "--dry-run wrote files"

# --new-key: a fresh key of the same type lands in --out-key, 0600.
mkdir "$T/out"
expect_exit 0 $R --cert "$P/leaf-both.pem" --key "$T/key.pem" --webroot "$T/www" --new-key \
	--out-fullchain "$T/out/fullchain.pem" --out-key "$T/out/key.pem" > /dev/null
[ "$(stat -c %a "$T/out/key.pem")" = 600 ] || fail "new key mode $(stat -c %a "$T/out/key.pem")"
[ "$(openssl x509 -in "$T/out/fullchain.pem" -noout -pubkey)" = "$(openssl pkey -in "$T/out/key.pem" -pubout)" ] ||
	fail "new certificate does not match the new key"
! cmp -s "$T/out/key.pem" "$T/key.pem" || fail "--new-key reused the key"
say "ok"
