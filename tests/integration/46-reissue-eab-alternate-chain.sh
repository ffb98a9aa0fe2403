#!/bin/sh
# A CA that requires External Account Binding (pebble 2.4 with MAC keys):
# without --eab-kid the run stops before contacting newAccount with a clear
# message (exit 3); with it, the account is created. The CA also offers an
# alternate chain (PEBBLE_ALTERNATE_ROOTS=1, Link: rel="alternate"):
# --preferred-chain picks the chain under the named root.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
PEBBLE_WFE_NONCEREJECT=5	# pebble rejects 5% of nonces: badNonce retries are exercised
hmac=$(python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
PEBBLE_EXTRA_CONFIG="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-s2s\": \"$hmac\"}"
PEBBLE_ALTERNATE_ROOTS=1
export PEBBLE_ALTERNATE_ROOTS
pebble_start
pebble_root "$T/root0.pem"
curl -sf --cacert "$PEBBLE_TLS_CA" "$PEBBLE_MGMT/roots/1" > "$T/root1.pem" || fail "no alternate root"
cn1=$(openssl x509 -in "$T/root1.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
[ -n "$cn1" ] || fail "alternate root has no CN"
pebble_serve_webroot "$T/www"
P=$(pki)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/account.pem" 2>/dev/null
mkdir "$T/out"
R="s2sguard-reissue --server $PEBBLE_DIR --tls-ca-file $PEBBLE_TLS_CA --account-key $T/account.pem
 --agree-tos --key $P/leaf-both.key --domain xmpp.example.test --webroot $T/www --timeout 120"

expect_exit 3 $R --ca-file "$T/root0.pem" --out-fullchain "$T/out/f.pem" > /dev/null 2> "$T/err"
assert_grep 'requires External Account Binding: give --eab-kid and --eab-hmac-key' "$T/err"
[ ! -e "$T/out/f.pem" ] || fail "wrote a certificate"
! grep -q "$hmac" "$T/err" || fail "HMAC key printed"

expect_exit 0 $R --eab-kid kid-s2s --eab-hmac-key "$hmac" --ca-file "$T/root1.pem" \
	--preferred-chain "$cn1" --out-cert "$T/out/cert.pem" --out-chain "$T/out/chain.pem" \
	--json > "$T/r.json" 2> "$T/reissue.log"
! grep -q "$hmac" "$T/r.json" "$T/reissue.log" || fail "HMAC key printed"
python3 - "$T/r.json" "$cn1" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))["reissue"]
assert x["account"]["created"] is True, x
assert x["order"]["alternates"] >= 1, x
assert x["order"]["chain_top_issuer"] == sys.argv[2], x
PY
openssl verify -CAfile "$T/root1.pem" -untrusted "$T/out/chain.pem" "$T/out/cert.pem" > /dev/null ||
	fail "the chosen chain does not lead to the alternate root"
say "ok"
