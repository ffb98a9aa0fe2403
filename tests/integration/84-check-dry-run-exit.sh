#!/bin/sh
# s2sguard-check --dry-run exits with what the real run would, with a code
# s2sguard-check(1) lists: while a certificate is held, 2 (not 0, and no
# "exit 4" in its output); past the hold limit, 1, as the real run that
# then deploys. The dry runs change nothing.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
mkdir -p "$T/srv"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
cp "$P/leaf-both.key" "$T/srv/x.key"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
policy = hold
probe = never
reload = echo reloaded >> $T/reloads
CONF
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --quiet \
	--cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" --domain xmpp.example.test
documented=$(awk '/^\.SH /{ on = ($0 ~ /EXIT STATUS/); next } on && /^\.B [0-9]+/ { print $2 }' \
	"$TOP/doc/s2sguard-check.1" | tr '\n' ' ')
snapshot() { cat "$T/state/xmpp.example.test.json" "$T/srv/x.crt" "$T/srv/x.key" | sha256sum; }
before=$(snapshot)

# dry_vs_real NOW WANT: the dry run's status equals the real run's
dry_vs_real() {
	set +e
	s2sguard-check --config "$T/s2sguard.conf" --dry-run --now "$1" > "$T/dry.log" 2>&1
	dry=$?
	set -e
	cat "$T/dry.log"
	[ "$dry" -eq "$2" ] || fail "check --dry-run exited $dry, want $2"
	case " $documented " in *" $dry "*) ;; *) fail "exit $dry is not in s2sguard-check(1): $documented" ;; esac
	assert_no_grep 'exit 4' "$T/dry.log"
	assert_grep "^exit $2: " "$T/dry.log"
	[ "$before" = "$(snapshot)" ] || fail "the dry run changed the state or the deployed pair"
	[ ! -e "$T/reloads" ] || fail "the dry run reloaded"
}
now=$(date +%s)
end=$(date -d "$(openssl x509 -in "$P/leaf-both.pem" -noout -enddate | cut -d= -f2)" +%s)
dry_vs_real "$now" 2
expect_exit 2 s2sguard-check --config "$T/s2sguard.conf" --quiet --now "$now"
before=$(snapshot)
dry_vs_real $((end - 6 * 86400)) 1
expect_exit 1 s2sguard-check --config "$T/s2sguard.conf" --quiet --now $((end - 6 * 86400))
cmp -s "$T/srv/x.crt" "$P/leaf-server.fullchain.pem" || fail "the real run did not deploy"
say ok
