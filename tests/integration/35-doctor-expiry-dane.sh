#!/bin/sh
# expiry and dane-anchor. expiry counts the days left on the deployed
# certificate (ok, warn within hold_min_days, fail once expired, judged at
# --now) and on the pending one a real hold left in the state. dane-anchor
# is skipped with dane = off, ok with a real DS file (ldns, from
# tests/peers/dnssec.sh), and fails when dane is set and the anchor is
# missing, because the hook then skips the TLSA check.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/dnssec.sh"
need_cmd s2sguard-doctor s2sguard-hook nsd unbound ldns-signzone
P=$(pki)
mkdir -p "$T/srv" "$T/root"
cp "$P/leaf-both.fullchain.pem" "$T/srv/xmpp.example.test.crt"
cp "$P/leaf-both.key" "$T/srv/xmpp.example.test.key"
dnssec_zone example.test
dnssec_sign example.test
dnssec_start
assert_grep 'DS' "$DNSSEC_ANCHORS"
conf() {	# conf DANE_LINES...
	{
		printf '[s2sguard]\nstate_dir = %s\nca_file = %s\n' "$T/state" "$P/root.pem"
		printf '[domain xmpp.example.test]\ntarget = prosody\ncerts_dir = %s\n' "$T/srv"
		printf 'reload = true\npolicy = hold\nprobe = never\nhold_min_days = 7\nverify_served = no\n'
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/s2sguard.conf"
}
line() {	# line CHECK [--now T]
	_c=$1; shift
	set +e
	s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root" "$@" > "$T/out" 2>&1
	set -e
	grep "^$_c " "$T/out" || { cat "$T/out"; fail "no $_c line"; }
}
expect() {	# expect STATUS ERE CHECK [ARGS]
	_st=$1 _re=$2; shift 2
	l=$(line "$@")
	case $l in *" $_st "*) ;; *) fail "$1: want $_st, got: $l" ;; esac
	printf '%s\n' "$l" | grep -qE -- "$_re" || fail "$1: '$_re' not in: $l"
}

conf "dane = off"
expect skip 'dane = off' dane-anchor
conf "dane = hold" "dane_trust_anchor = $DNSSEC_ANCHORS"
expect ok "dane = hold, trust anchor $DNSSEC_ANCHORS" dane-anchor
conf "dane = warn" "dane_trust_anchor = $T/none.key"
expect fail "trust anchor $T/none.key cannot be read" dane-anchor
conf
expect skip "dane not set and no trust anchor at $T/root/usr/share/dns/root.key" dane-anchor

end=$(date -d "$(openssl x509 -in "$P/leaf-both.pem" -noout -enddate | cut -d= -f2)" +%s)
expect ok 'deployed: (89|90) day\(s\) left' expiry --now "$(date +%s)"
expect warn 'has 5 day\(s\) left \(hold_min_days 7\)' expiry --now $((end - 5 * 86400 - 60))
expect fail 'has expired' expiry --now $((end + 86400))
# a held renewal: its days are shown too
expect_exit 2 s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/hook.log" 2>&1
expect ok 'pending certificate \(held since [0-9T:Z-]+\): (89|90) day\(s\) left' expiry
say "expiry and dane-anchor: $(line expiry)"
