#!/bin/sh
# A certbot lineage made by real certbot against pebble (real http-01 from a
# webroot): s2sguard-reissue reuses certbot's own account, orders, validates
# through the lineage's webroot_path, installs version N+1 and repoints live/;
# certbot then lists the new certificate as valid and a non-forced renew finds
# nothing due. Debian's pebble has no profiles: a requested profile is refused
# without --allow-unlisted-profile and sent (and ignored) with it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd certbot
# certbot 2.1 crashes on pebble's deliberate badNonce answers (see pebble.sh).
PEBBLE_WFE_NONCEREJECT=0
pebble_start
pebble_root "$T/pebble-root.pem"
pebble_serve_webroot "$T/www"
D=xmpp.example.test
CB="certbot --config-dir $T/etc --work-dir $T/var --logs-dir $T/log"
export REQUESTS_CA_BUNDLE=$PEBBLE_TLS_CA

$CB certonly -n --server "$PEBBLE_DIR" --register-unsafely-without-email --agree-tos \
	--webroot -w "$T/www" -d "$D" -d "conference.$D" > "$T/certbot-certonly.log" 2>&1 ||
	fail "certbot certonly failed"
L=$T/etc/live/$D
old_serial=$(openssl x509 -in "$L/cert.pem" -noout -serial)
chmod 640 "$T/etc/archive/$D/privkey1.pem"
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	chgrp nogroup "$T/etc/archive/$D/privkey1.pem" 2>/dev/null || chgrp nobody "$T/etc/archive/$D/privkey1.pem"
	chown nobody "$T/etc/archive/$D/cert1.pem"
fi
R="s2sguard-reissue --tls-ca-file $PEBBLE_TLS_CA --ca-file $T/pebble-root.pem --timeout 120"

# Unlisted profile: refused with a message that says why, nothing written.
expect_exit 1 $R --certbot-lineage "$L" --profile tlsclient > /dev/null 2> "$T/err"
assert_grep 'lists no profiles' "$T/err"
assert_grep 'allow-unlisted-profile' "$T/err"
[ ! -e "$T/etc/archive/$D/cert2.pem" ] || fail "refused run wrote version 2"

# The re-issue proper: version 2 through certbot's account and webroot_path.
expect_exit 0 $R --certbot-lineage "$L" --json > "$T/r.json" 2> "$T/reissue.log"
# Debian 12's pebble 2.4 has no renewalInfo; Debian 13's 2.6 has (ARI)
ari=no
! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' pebble)" ge 2.5 || ari=yes
python3 - "$T/r.json" "$ari" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
x = r["reissue"]
assert r["exit"] == 0 and x["target"] == "certbot", r
assert x["account"]["source"] == "certbot" and x["account"]["created"] is False, x
assert sorted(x["names"]) == ["conference.xmpp.example.test", "xmpp.example.test"], x
assert x["installed"] == {"kind": "certbot", "version": 2}, x
if sys.argv[2] == "yes":
    assert x["ari"]["replaces"] and x["ari"]["sent"] is True, x
else:
    assert x["ari"]["replaces"] is None, x
PY
for k in cert chain fullchain privkey; do
	[ "$(readlink "$L/$k.pem")" = "../../archive/$D/${k}2.pem" ] || fail "live/$k.pem -> $(readlink "$L/$k.pem")"
done
[ "$(stat -c %a "$T/etc/archive/$D/privkey2.pem")" = 640 ] || fail "privkey2 mode $(stat -c %a "$T/etc/archive/$D/privkey2.pem"), want privkey1's 640"
cmp "$T/etc/archive/$D/privkey1.pem" "$T/etc/archive/$D/privkey2.pem" || fail "key changed without --new-key"
for k in cert privkey; do
	[ "$(stat -c %U:%G "$T/etc/archive/$D/${k}2.pem")" = "$(stat -c %U:%G "$T/etc/archive/$D/${k}1.pem")" ] ||
		fail "${k}2.pem owner $(stat -c %U:%G "$T/etc/archive/$D/${k}2.pem") differs from ${k}1.pem"
done
[ "$(openssl x509 -in "$L/cert.pem" -noout -serial)" != "$old_serial" ] || fail "live cert not replaced"
cat "$L/cert.pem" "$L/chain.pem" | cmp - "$L/fullchain.pem" || fail "fullchain2 != cert2 + chain2"
[ -z "$(find "$T/www" -type f)" ] || fail "challenge files left in the webroot"

# certbot agrees: the lineage is valid, on version 2, and not due.
$CB certificates > "$T/certbot-certificates.log" 2>&1 || fail "certbot certificates failed"
assert_grep "Certificate Name: $D" "$T/certbot-certificates.log"
assert_grep 'VALID' "$T/certbot-certificates.log"
assert_no_grep 'INVALID' "$T/certbot-certificates.log"
new_serial=$(openssl x509 -in "$L/cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
assert_grep "Serial Number: 0*$new_serial" "$T/certbot-certificates.log"
$CB renew -n --no-random-sleep-on-renew > "$T/certbot-renew.log" 2>&1 || fail "certbot renew failed"
assert_grep 'not (yet )?due for renewal' "$T/certbot-renew.log"
assert_grep 'No renewals were attempted' "$T/certbot-renew.log"
[ "$(readlink "$L/cert.pem")" = "../../archive/$D/cert2.pem" ] || fail "certbot renew relinked live/"

# With --allow-unlisted-profile the profile is sent; pebble 2.4 ignores it.
expect_exit 0 $R --certbot-lineage "$D" --certbot-config-dir "$T/etc" --profile tlsclient \
	--allow-unlisted-profile --json > "$T/r3.json" 2> "$T/reissue3.log"
python3 - "$T/r3.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))["reissue"]
assert x["profile"]["sent"] == "tlsclient" and x["profile"]["echoed"] == "", x
assert x["installed"]["version"] == 3, x
PY
assert_grep 'lists no profiles; sending "tlsclient" anyway' "$T/reissue3.log"
$CB certificates > "$T/certbot-certificates3.log" 2>&1 || fail "certbot certificates failed"
assert_grep 'VALID' "$T/certbot-certificates3.log"
[ "$(readlink "$L/cert.pem")" = "../../archive/$D/cert3.pem" ] || fail "live not on version 3"
say "ok"
