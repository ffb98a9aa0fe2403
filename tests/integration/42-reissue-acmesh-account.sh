#!/bin/sh
# An acme.sh home laid out as acme.sh 3.x does (DOMAIN_ecc/DOMAIN.conf with
# Le_API and Le_Webroot, ca/<host>/<path>/account.key + ca.conf ACCOUNT_URL):
# s2sguard-reissue imports that account (no new registration), orders from
# pebble with real http-01 via Le_Webroot, and replaces DOMAIN.cer, ca.cer and
# fullchain.cer atomically with their modes kept. A wrong ACCOUNT_URL is
# the CA's refusal, and nothing is written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
PEBBLE_WFE_NONCEREJECT=5	# pebble rejects 5% of nonces: badNonce retries are exercised
pebble_start
pebble_root "$T/pebble-root.pem"
pebble_serve_webroot "$T/www"
P=$(pki)
D=xmpp.example.test
H=$T/acme.sh
DD=$H/${D}_ecc
R="s2sguard-reissue --tls-ca-file $PEBBLE_TLS_CA --ca-file $T/pebble-root.pem --timeout 120"

# The account: registered once (as acme.sh would have), then laid out.
CA=$H/ca/localhost/dir
mkdir -p "$CA" "$DD"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA/account.key" 2>/dev/null
expect_exit 0 $R --server "$PEBBLE_DIR" --account-key "$CA/account.key" --agree-tos \
	--key "$P/leaf-both.key" --domain "$D" --webroot "$T/www" --dry-run --json > "$T/reg.json"
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reissue"]["account"]["url"])' "$T/reg.json")
case $url in https://localhost:*) ;; *) fail "no account URL: $url" ;; esac
printf "ACCOUNT_URL='%s'\nCA_KEY_HASH='x'\n" "$url" > "$CA/ca.conf"

cp "$P/leaf-both.pem" "$DD/$D.cer"
cp "$P/leaf-both.key" "$DD/$D.key"
cp "$P/leaf-both.chain.pem" "$DD/ca.cer"
cp "$P/leaf-both.fullchain.pem" "$DD/fullchain.cer"
chmod 600 "$DD/$D.key"; chmod 640 "$DD/fullchain.cer"
cat > "$DD/$D.conf" <<CONF
Le_Domain='$D'
Le_Alt='conference.$D,upload.$D'
Le_Webroot='$T/www'
Le_PreHook=''
Le_API='$PEBBLE_DIR'
Le_Keylength='ec-256'
Le_ReloadCmd='__ACME_BASE64__START_$(python3 -c 'import base64; print(base64.b64encode(b"systemctl reload prosody && " * 12).decode())')__ACME_BASE64__END_'
CONF
[ "$(awk '{ if (length > m) m = length } END { print m }' "$DD/$D.conf")" -gt 300 ] ||
	fail "the test conf should have a line longer than inih's 200 bytes"
cp "$DD/$D.conf" "$T/conf.before"

# A wrong ACCOUNT_URL: refused by the CA (exit 1), files untouched.
cp "$CA/ca.conf" "$T/ca.conf.good"
printf "ACCOUNT_URL='%s'\n" "${url%/*}/999999" > "$CA/ca.conf"
cp -a "$DD" "$T/dd.before"
expect_exit 1 $R --acmesh-domain-dir "$DD" > /dev/null 2> "$T/err"
assert_grep 'HTTP 4[0-9][0-9] ' "$T/err"
diff -r "$T/dd.before" "$DD" > /dev/null || fail "files changed after a refused order"
cp "$T/ca.conf.good" "$CA/ca.conf"

expect_exit 0 $R --acmesh-domain-dir "$DD" --json > "$T/r.json" 2> "$T/reissue.log"
python3 - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
x = r["reissue"]
assert x["target"] == "acme.sh" and x["installed"]["kind"] == "acme.sh", x
assert x["account"] == {"source": "acme.sh", "url": x["account"]["url"], "created": False}, x
assert len(x["names"]) == 3, x
PY
! cmp -s "$P/leaf-both.pem" "$DD/$D.cer" || fail "$D.cer not replaced"
cmp "$P/leaf-both.key" "$DD/$D.key" || fail "key changed without --new-key"
[ "$(stat -c %a "$DD/$D.key")" = 600 ] || fail "key mode changed"
[ "$(stat -c %a "$DD/fullchain.cer")" = 640 ] || fail "fullchain.cer mode not kept"
cat "$DD/$D.cer" "$DD/ca.cer" | cmp - "$DD/fullchain.cer" || fail "fullchain.cer != cer + ca.cer"
openssl verify -CAfile "$T/pebble-root.pem" -untrusted "$DD/ca.cer" "$DD/$D.cer" > /dev/null ||
	fail "new chain does not verify"
cmp "$T/conf.before" "$DD/$D.conf" || fail "$D.conf changed"
[ -z "$(ls -A "$DD" | grep s2sguard-)" ] || fail "temporary files left: $(ls -A "$DD")"
say "ok"
