#!/bin/sh
# Secrets stay out of ps: the External Account Binding HMAC key is given to
# s2sguard-reissue as a file (reissue_eab_hmac_key_file), never on a command
# line. The hook re-issues from pebble requiring EAB while a sampler reads
# every /proc/*/cmdline: the key is never in one, the re-issue's arguments
# name only the file. A key file others may read, a link or a FIFO is
# refused with one line and exit status 3, without hanging.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/pebble.sh"
umask 077
python3 -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))' \
	> "$T/eab.key"
PEBBLE_EXTRA_CONFIG="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-s2s\": \"$(cat "$T/eab.key")\"}"
pebble_start
pebble_root "$T/pebble-root.pem"
pebble_serve_webroot "$T/www"
chmod 755 "$T/www"
P=$(pki)
cat "$P/root.pem" "$T/pebble-root.pem" > "$T/roots.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/account.pem" 2>/dev/null

# s2sguard-reissue alone: an unsafe key file is refused before any traffic.
R="s2sguard-reissue --server $PEBBLE_DIR --tls-ca-file $PEBBLE_TLS_CA --ca-file $T/roots.pem
 --account-key $T/account.pem --agree-tos --cert $P/leaf-both.pem --key $P/leaf-both.key
 --webroot $T/www --out-fullchain $T/never.pem --timeout 30 --eab-kid kid-s2s"
refused() {	# refused CASE FILE PATTERN
	start=$(date +%s)
	set +e
	$R --eab-hmac-key-file "$2" > /dev/null 2> "$T/$1.err"
	rc=$?
	set -e
	[ "$rc" -eq 3 ] || fail "$1: exit $rc, not 3: $(cat "$T/$1.err")"
	grep -qF -- "$3" "$T/$1.err" || fail "$1: '$3' not in: $(cat "$T/$1.err")"
	[ "$(wc -l < "$T/$1.err")" -eq 1 ] || fail "$1: not one line: $(cat "$T/$1.err")"
	[ $(( $(date +%s) - start )) -lt 20 ] || fail "$1: took too long"
	[ ! -e "$T/never.pem" ] || fail "$1: installed a certificate"
	say "$1: $(cat "$T/$1.err")"
}
cp "$T/eab.key" "$T/readable.key" && chmod 644 "$T/readable.key"
refused world-readable "$T/readable.key" "readable.key: mode 0644 lets other users read or change it"
ln -s "$T/eab.key" "$T/link.key"
refused link "$T/link.key" "link.key: is a symbolic link"
mkfifo -m 600 "$T/fifo.key"
refused fifo "$T/fifo.key" "fifo.key: not a regular file"
grep -qF "$(cat "$T/eab.key")" "$T"/*.err && fail "the key was printed" || true

# The hook: a renewal without clientAuth, policy reissue, EAB from the file.
mkdir -p "$T/srv"
cat > "$T/reissue-wrap" <<WRAP
#!/bin/sh
printf '%s\n' "\$@" > "$T/reissue-argv"
exec "$BUILD/s2sguard-reissue" "\$@"
WRAP
chmod 755 "$T/reissue-wrap"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $T/roots.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $T/srv
policy = reissue
fallback = hold
probe = never
reload = true
reissue_command = $T/reissue-wrap
reissue_directory = $PEBBLE_DIR
reissue_account_key = $T/account.pem
reissue_email = admin@example.test
reissue_ca_bundle = $PEBBLE_TLS_CA
reissue_eab_kid = kid-s2s
reissue_eab_hmac_key_file = $T/eab.key
reissue_args = --webroot $T/www
CONF
hook() { s2sguard-hook --config "$T/s2sguard.conf" --domain xmpp.example.test "$@"; }
expect_exit 0 hook --cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key" > "$T/first.log" 2>&1

cat > "$T/sampler.py" <<'PY'
import os, sys, time
key = open(sys.argv[1], "rb").read().strip()
stop, out = sys.argv[2], sys.argv[3]
seen, leaks = 0, []
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cl = open("/proc/%s/cmdline" % pid, "rb").read()
        except OSError:
            continue
        if key in cl:
            leaks.append(cl.replace(b"\0", b" ").decode(errors="replace"))
        if os.path.basename(cl.split(b"\0")[0]) == b"s2sguard-reissue":
            seen += 1
    time.sleep(0.01)
with open(out, "w") as f:
    f.write("seen %d\n" % seen)
    for l in leaks:
        f.write("LEAK %s\n" % l)
PY
python3 "$T/sampler.py" "$T/eab.key" "$T/stop" "$T/sampled" &
sampler=$!
at_exit "kill $sampler"
set +e
hook --cert "$P/leaf-server.fullchain.pem" --key "$P/leaf-server.key" > "$T/hook.log" 2>&1
rc=$?
set -e
touch "$T/stop"
wait "$sampler" || fail "the sampler failed"
cat "$T/hook.log"
[ "$rc" -eq 1 ] || fail "hook: exit $rc, not 1 (the re-issued certificate deployed)"
openssl x509 -in "$T/srv/xmpp.example.test.crt" -noout -issuer | grep -qi pebble ||
	fail "the deployed certificate is not pebble's"
grep -qx -- '--eab-hmac-key-file' "$T/reissue-argv" || fail "no --eab-hmac-key-file: $(cat "$T/reissue-argv")"
grep -qx -- "$T/eab.key" "$T/reissue-argv" || fail "the key file was not passed"
! grep -qx -- '--eab-hmac-key' "$T/reissue-argv" || fail "--eab-hmac-key on the command line"
! grep -qF -f "$T/eab.key" "$T/reissue-argv" "$T/hook.log" || fail "the key is in the arguments or the log"
! grep -q '^LEAK' "$T/sampled" || fail "the key was in a command line: $(grep '^LEAK' "$T/sampled")"
n=$(sed -n 's/^seen //p' "$T/sampled")
[ "$n" -gt 0 ] || fail "the sampler never saw s2sguard-reissue running"
say "re-issued with EAB from the key file; s2sguard-reissue seen in $n /proc scans, the key in none"
