#!/bin/sh
# What pebble 2.4 cannot show, against the scripted CA: a directory with
# profiles and renewalInfo. The requested profile goes into newOrder and the
# echo is reported; an unknown one is refused before ordering, listing the
# advertised ones; invalidProfile from the CA is reported as such; ARI
# "replaces" carries the RFC 9773 CertID of the current certificate and, on
# alreadyReplaced, the order is retried without it; a 429 (newOrder) or 503
# (directory) with Retry-After is waited out within the deadline.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/fakeacme.sh"
P=$(pki)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null
mkdir "$T/out"
run() {
	s2sguard-reissue --server "$FAKE_DIR" --tls-ca-file "$FAKE_TLS_CA" --ca-file "$P/root.pem" \
		--account-key "$T/account.pem" --agree-tos --cert "$P/leaf-both.pem" \
		--key "$P/leaf-both.key" --out-fullchain "$T/out/fullchain.pem" --timeout 30 "$@"
}

# The CertID the CA must see: base64url(AKI) "." base64url(serial DER content).
want=$(python3 - "$P/leaf-both.pem" <<'PY'
import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
n = c.serial_number
serial = n.to_bytes((n.bit_length() + 8) // 8, "big")   # room for a leading 0x00
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
print(b(aki) + "." + b(serial))
PY
)

fakeacme_start ari
expect_exit 0 run --profile tlsclient --json > "$T/r.json" 2> "$T/ari.log"
python3 - "$T/r.json" "$FAKE_LOG" "$want" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["reissue"]
orders = [json.loads(l)["payload"] for l in open(sys.argv[2]) if '"/order-new"' in l]
want = sys.argv[3]
assert len(orders) == 2, orders
assert orders[0]["replaces"] == want and orders[0]["profile"] == "tlsclient", orders[0]
assert "replaces" not in orders[1] and orders[1]["profile"] == "tlsclient", orders[1]
assert r["ari"] == {"replaces": want, "sent": False, "already_replaced": True}, r["ari"]
assert r["profile"]["sent"] == "tlsclient" and r["profile"]["echoed"] == "tlsclient", r["profile"]
assert r["profile"]["advertised"] == "classic, tlsclient", r["profile"]
PY
assert_grep 'already replaced.*ordering again without "replaces"' "$T/ari.log"

# --no-ari: no "replaces" at all.
fakeacme_start ari
expect_exit 0 run --no-ari > /dev/null
! grep -q '"replaces"' "$FAKE_LOG" || fail "--no-ari sent replaces"

# Unknown profile: refused before any order, listing what the CA offers.
rm -f "$T/out/fullchain.pem"
fakeacme_start ari
expect_exit 1 run --profile shortlived > /dev/null 2> "$T/err"
assert_grep 'does not offer profile "shortlived"; its directory lists: classic, tlsclient' "$T/err"
! grep -q order-new "$FAKE_LOG" || fail "ordered an unadvertised profile"
[ ! -e "$T/out/fullchain.pem" ] || fail "wrote a certificate"

# invalidProfile from the CA itself.
fakeacme_start invalidprofile
expect_exit 1 run --profile tlsclient > /dev/null 2> "$T/err"
assert_grep 'the CA refused profile "tlsclient": .*HTTP 400 invalidProfile: profile' "$T/err"
[ ! -e "$T/out/fullchain.pem" ] || fail "wrote a certificate"

# 429 rateLimited with Retry-After: 1 is waited out, then the order succeeds.
fakeacme_start ratelimit
start=$(date +%s)
expect_exit 0 run -v > /dev/null 2> "$T/rl.log"
assert_grep 'HTTP 429, retrying after 1 s' "$T/rl.log"
[ "$(grep -c order-new "$FAKE_LOG")" -eq 2 ] || fail "expected two newOrder requests"

# A 503 on the directory with Retry-After: waited out too.
fakeacme_start busy
expect_exit 0 run -v > /dev/null 2> "$T/busy.log"
assert_grep '/dir: HTTP 503, retrying after 1 s' "$T/busy.log"
say "ok"
