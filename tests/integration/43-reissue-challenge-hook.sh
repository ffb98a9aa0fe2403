#!/bin/sh
# --challenge-hook with uacme's convention: a hook that declines http-01 and
# publishes dns-01 TXT records through pebble-challtestsrv, so pebble
# really validates dns-01. The hook gets "begin|done TYPE IDENT TOKEN AUTH"
# as arguments and UACME_* variables; AUTH for dns-01 is the TXT value. A hook
# that accepts nothing is a clear error (exit 3) and nothing is written. With
# --user the hook (and all ACME traffic) runs unprivileged, the install does not.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
PEBBLE_WFE_NONCEREJECT=5	# pebble rejects 5% of nonces: badNonce retries are exercised
pebble_start
pebble_root "$T/pebble-root.pem"
P=$(pki)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/account.pem" 2>/dev/null
R="s2sguard-reissue --server $PEBBLE_DIR --tls-ca-file $PEBBLE_TLS_CA --ca-file $T/pebble-root.pem
 --account-key $T/account.pem --agree-tos --timeout 120 --key $P/leaf-both.key"

cat > "$T/hook.sh" <<'HOOK'
#!/bin/sh
# uacme-style hook: decline http-01, do dns-01 via challtestsrv.
echo "$1 $2 $3 $4 $5 | $UACME_METHOD $UACME_TYPE $UACME_IDENT $UACME_TOKEN $UACME_AUTH" >> "$HOOK_LOG"
[ "$2" = dns-01 ] || exit 1
case $1 in
begin) curl -sf -X POST -d "{\"host\":\"_acme-challenge.$3.\",\"value\":\"$5\"}" "$PEBBLE_CHALL_MGMT/set-txt" ;;
done|failed) curl -sf -X POST -d "{\"host\":\"_acme-challenge.$3.\"}" "$PEBBLE_CHALL_MGMT/clear-txt" ;;
esac
HOOK
chmod 755 "$T/hook.sh"
export HOOK_LOG=$T/hook-calls.txt

mkdir "$T/out"
expect_exit 0 $R --domain xmpp.example.test --challenge-hook "$T/hook.sh" \
	--out-fullchain "$T/out/fullchain.pem" --json > "$T/r.json" 2> "$T/reissue.log"
cat "$HOOK_LOG" > "$T/hook-calls.log"
grep -q '^begin http-01 xmpp.example.test ' "$HOOK_LOG" || fail "http-01 was not offered first"
line=$(grep '^begin dns-01 xmpp.example.test ' "$HOOK_LOG") || fail "no dns-01 begin"
set -- $line
[ "$6" = "|" ] && [ "$7 $8 $9" = "begin dns-01 xmpp.example.test" ] || fail "UACME_* differ: $line"
[ "${#5}" -eq 43 ] || fail "dns-01 AUTH is not a base64url SHA-256: $5"
grep -q "^done dns-01 xmpp.example.test $4 $5 " "$HOOK_LOG" || fail "no done call with the same token"
openssl x509 -in "$T/out/fullchain.pem" -noout -ext subjectAltName | grep -q 'DNS:xmpp.example.test' ||
	fail "certificate lacks the name"
python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["reissue"]; assert x["order"]["authz_solved"] + x["order"]["authz_reused"] == 1, x' "$T/r.json"

# --user: the network side and the hook run unprivileged; installing does not.
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	mkdir -m 1777 "$T/shared"
	export HOOK_LOG=$T/shared/hook-calls.txt
	printf '#!/bin/sh\nid -un >> "$HOOK_LOG.who"\nexec %s "$@"\n' "$T/hook.sh" > "$T/hook-who.sh"
	chmod 755 "$T/hook-who.sh"
	expect_exit 0 $R --domain upload.xmpp.example.test --challenge-hook "$T/hook-who.sh" \
		--user nobody --out-fullchain "$T/out/upload.pem" --json > "$T/r-user.json"
	[ "$(sort -u "$HOOK_LOG.who")" = nobody ] || fail "hook ran as $(sort -u "$HOOK_LOG.who" | tr '\n' ' ')"
	[ "$(stat -c %U "$T/out/upload.pem")" = root ] || fail "installed by $(stat -c %U "$T/out/upload.pem")"
	python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["reissue"]; assert x["account"]["url"] and x["order"]["certificate"], x' "$T/r-user.json"
	expect_exit 3 $R --domain xmpp.example.test --user no-such-user-s2s --webroot "$T" \
		--out-fullchain "$T/out/x.pem" > /dev/null 2> "$T/err"
	assert_grep 'no-such-user-s2s: no such user' "$T/err"
fi

# A hook that declines everything: exit 3, nothing written.
printf '#!/bin/sh\nexit 1\n' > "$T/no.sh"; chmod 755 "$T/no.sh"
expect_exit 3 $R --domain other.example.test --challenge-hook "$T/no.sh" \
	--out-fullchain "$T/out/other.pem" > /dev/null 2> "$T/err"
assert_grep 'accepted none of the offered challenges' "$T/err"
[ ! -e "$T/out/other.pem" ] || fail "wrote a certificate after a failed authorization"
say "ok"
