#!/bin/sh
# A CA that misbehaves: a directory that is not JSON, a 10 MB answer, a
# newOrder without Location, an order stuck in "processing" past the
# deadline, a certificate that does not match the key. Each is one clear
# line naming the problem, its documented exit status, and nothing written.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/fakeacme.sh"
P=$(pki)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null
mkdir "$T/out"

try() {	# try MODE EXIT PATTERN [extra options]
	_mode=$1 _want=$2 _pat=$3; shift 3
	fakeacme_start "$_mode"
	expect_exit "$_want" s2sguard-reissue --server "$FAKE_DIR" --tls-ca-file "$FAKE_TLS_CA" \
		--ca-file "$P/root.pem" --account-key "$T/account.pem" --agree-tos \
		--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" \
		--out-fullchain "$T/out/fullchain.pem" --timeout 20 "$@" > "$T/$_mode.out" 2> "$T/$_mode.err"
	grep -qE -- "$_pat" "$T/$_mode.err" || fail "$_mode: '$_pat' not in: $(cat "$T/$_mode.err")"
	[ "$(wc -l < "$T/$_mode.err")" -eq 1 ] || fail "$_mode: not one line: $(cat "$T/$_mode.err")"
	[ ! -s "$T/$_mode.out" ] || fail "$_mode: stdout not empty"
	[ -z "$(ls -A "$T/out")" ] || fail "$_mode: files written: $(ls -A "$T/out")"
	say "$_mode: exit $_want: $(cat "$T/$_mode.err")"
}

try notjson 1 '/dir: answer is not JSON \(HTTP 200'
try huge 1 '/dir: response larger than 1048576 bytes'
try nolocation 1 'newOrder answer has no https Location'
start=$(date +%s)
try stuck 4 'still "processing" when the deadline came' --timeout 4
[ $(( $(date +%s) - start )) -lt 15 ] || fail "stuck: the deadline was not kept"
try mismatch 2 'fails verification: the private key does not belong to the certificate' \
	--key "$P/leaf-rsa.key"
try serveronly 2 'no clientAuth along the chain.*--no-require-client-auth'

# The same chain is accepted when the operator says TLS client use is not needed.
fakeacme_start serveronly
expect_exit 0 s2sguard-reissue --server "$FAKE_DIR" --tls-ca-file "$FAKE_TLS_CA" \
	--ca-file "$P/root.pem" --account-key "$T/account.pem" --agree-tos \
	--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" --no-require-client-auth \
	--out-fullchain "$T/out/fullchain.pem" > /dev/null
[ -s "$T/out/fullchain.pem" ] || fail "serveronly with --no-require-client-auth installed nothing"
# --json on failure: the report still comes, with the stage and the message.
rm -f "$T/out/fullchain.pem"
fakeacme_start nolocation
expect_exit 1 s2sguard-reissue --server "$FAKE_DIR" --tls-ca-file "$FAKE_TLS_CA" \
	--ca-file "$P/root.pem" --account-key "$T/account.pem" --agree-tos --json \
	--cert "$P/leaf-both.pem" --key "$P/leaf-both.key" \
	--out-fullchain "$T/out/fullchain.pem" > "$T/fail.json" 2> /dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); e=r["reissue"]["error"]; assert r["exit"]==1 and e["stage"]=="acme" and "Location" in e["message"], r' "$T/fail.json"
say "ok"
