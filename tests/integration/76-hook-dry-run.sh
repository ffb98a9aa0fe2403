#!/bin/sh
# --dry-run decides and reports, but changes nothing: no deploy, no reload,
# no re-issue ordered from the CA, the state file as it was; and
# s2sguard-check --dry-run does not drop a pending certificate.
. "$(dirname "$0")/../lib.sh"
P=$(pki)

mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = reissue
fallback = hold
probe = never
reissue_directory = https://127.0.0.1:9/dir
reissue_account_key = $P/leaf-rsa.key
reload = echo reloaded >> $T/reloads
CONF
hook() { s2sguard-hook --config "$T/s2sguard.conf" --domain xmpp.example.test "$@"; }

# A real first deploy, so there is state and a deployed pair.
expect_exit 0 hook --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" > "$T/first.log" 2>&1
rm -f "$T/reloads"
snapshot() {
	cat "$T/state/xmpp.example.test.json" "$T/srv/xmpp.example.test.crt" \
		"$T/srv/xmpp.example.test.key" | sha256sum
}
before=$(snapshot)

# The renewal lost clientAuth: policy reissue would order from the CA. A
# dry run orders nothing; it exits with what the real run ends with when
# the re-issue does not help: the fallback, hold (2).
expect_exit 2 hook --dry-run --cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" \
	> "$T/dry.log" 2>&1
cat "$T/dry.log"
assert_grep 'dry run: would reissue; .*would hold \(exit 2\)' "$T/dry.log"
assert_no_grep 're-issued from|reissue: .*(refused|failed|connect)' "$T/dry.log"
[ "$before" = "$(snapshot)" ] || fail "the dry run changed the state or the deployed pair"
[ ! -e "$T/reloads" ] || fail "the dry run reloaded"
[ ! -d "$T/state/xmpp.example.test/pending" ] || fail "the dry run recorded a pending certificate"

# s2sguard-check --dry-run at a time the hold limit has passed: it says
# what it would do, exits as the real run would, and keeps the pending certificate and the state.
sed -i 's/^policy = reissue/policy = hold/' "$T/s2sguard.conf"
expect_exit 2 hook --cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" > "$T/hold.log" 2>&1
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "no pending certificate after the hold"
before=$(snapshot)
late=$(( $(date +%s) + 86 * 86400 ))
# what the real run would: deploy with a warning past the hold limit (1)
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --dry-run --now "$late" > "$T/check.log" 2>&1
cat "$T/check.log"
assert_grep 'dry run: would' "$T/check.log"
[ "$before" = "$(snapshot)" ] || fail "check --dry-run changed the state or the deployed pair"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "check --dry-run dropped the pending certificate"
[ ! -e "$T/reloads" ] || fail "check --dry-run reloaded"
say ok
