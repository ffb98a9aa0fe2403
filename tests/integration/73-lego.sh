#!/bin/sh
# lego 4.9 runs the hook for real (--run-hook, exec'd without a shell, the
# LEGO_CERT_* environment): the certificate is deployed as one ejabberd PEM.
# Then a hold makes lego exit with the hook's status (2). (A second
# `run`, not `renew`: Debian's lego 4.9 `renew` sometimes stalls before
# contacting pebble.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd lego
PEBBLE_WFE_NONCEREJECT=0 pebble_start
pebble_root "$T/pebble-root.pem"
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $T/pebble-root.pem

[domain xmpp.example.test]
target = ejabberd
pem = $T/srv/xmpp.example.test.pem
policy = hold
probe = never
reload = echo reloaded >> $T/reloads
CONF
export LEGO_CA_CERTIFICATES=$PEBBLE_TLS_CA
lego_run() {
	timeout 120 lego --server "$PEBBLE_DIR" --email admin@example.test \
		--accept-tos --path "$T/lego" -d xmpp.example.test --http \
		--http.port "127.0.0.1:$PEBBLE_HTTP_PORT" "$@"
}
lego_run run --run-hook "s2sguard-hook --config $T/s2sguard.conf" > "$T/l1.log" 2>&1 || { cat "$T/l1.log"; fail "lego run"; }
grep -q 'PRIVATE KEY' "$T/srv/xmpp.example.test.pem" || fail "no key in the PEM"
openssl x509 -in "$T/srv/xmpp.example.test.pem" -noout -issuer | grep -qi pebble || fail "not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "not reloaded"
first=$(sha256sum < "$T/srv/xmpp.example.test.pem")

# a renewal whose chain lost clientAuth (lego's files re-signed), probe = never:
# suspected regression -> hold. A hold is s2sguard working, not a failed
# renewal: the hook exits 0 toward lego (exit_codes = client), so lego
# does not report the renewal as failed; with --exit-codes detailed lego
# exits with the hook's 2, as lego 4.9 passes the hook's status on.
P=$(pki_copy)
cat > "$T/resign.sh" <<SH
#!/bin/sh
set -e
sh $TOP/tests/pki/mkpki.sh resign $P "\$LEGO_CERT_PATH" "\$LEGO_CERT_KEY_PATH" so --issuer inter-server
cp $P/so.fullchain.pem "\$LEGO_CERT_PATH"
exec s2sguard-hook --config $T/s2sguard.conf \$EXTRA
SH
chmod 755 "$T/resign.sh"
sed -i "s|^ca_file = .*|ca_file = $T/roots.pem|" "$T/s2sguard.conf"
cat "$T/pebble-root.pem" "$P/root.pem" > "$T/roots.pem"
set +e
export EXTRA=""; lego_run run --run-hook "$T/resign.sh" > "$T/l2.log" 2>&1
rc=$?
set -e
cat "$T/l2.log" | tail -5
[ "$rc" -eq 0 ] || fail "lego exited $rc after a hold, want 0 (a held renewal is not a failure)"
[ "$(sha256sum < "$T/srv/xmpp.example.test.pem")" = "$first" ] || fail "held certificate deployed"
[ -f "$T/state/xmpp.example.test/pending/cert.pem" ] || fail "nothing pending"
assert_grep 'decision hold' "$T/l2.log"
r=$(ls -t "$T/state/reports/"*-xmpp.example.test-hook.json | head -1)
python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["exit"] == 2 and r["client"] == "lego", r' "$r"

set +e
export EXTRA="--exit-codes detailed"; lego_run run --run-hook "$T/resign.sh" > "$T/l3.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "lego exited $rc with --exit-codes detailed, want the hook's 2"
[ "$(sha256sum < "$T/srv/xmpp.example.test.pem")" = "$first" ] || fail "held certificate deployed"
say ok
