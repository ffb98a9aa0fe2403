#!/bin/sh
# A FIFO where a file is read must not hang the hook (which holds the
# domain's lock, and makes the ACME client wait): planted by the server's
# account as NAME.key in the target, handed over as the new key, or given
# as the configuration. Each is a one-line error naming the file, exit 3,
# quickly, and the deployed pair stays.
. "$(dirname "$0")/../lib.sh"
P=$(pki)
test_user; U=$TU

mkdir "$T/srv" && chown "$U:$U" "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/x.crt
key = $T/srv/x.key
group = $U
CONF
hook() {	# hook OUT ARGS...: the hook, killed after 30 s
	_out=$1; shift
	set +e
	timeout 30 s2sguard-hook "$@" > "$_out" 2>&1
	_rc=$?
	set -e
	cat "$_out"
	[ "$_rc" -ne 124 ] || fail "the hook hung on a FIFO: killed after 30 s ($*)"
	[ "$_rc" -eq 3 ] || fail "expected exit 3, got $_rc ($*)"
}

say "1. a FIFO planted as the deployed key"
cp "$P/leaf-both.fullchain.pem" "$T/srv/x.crt"
as_user "$U" mkfifo "$T/srv/x.key"
hook "$T/1.log" --config "$T/s2sguard.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$P/leaf-p384.key" --domain xmpp.example.test
assert_grep "srv/x.key: a FIFO, not a regular file" "$T/1.log"
[ -p "$T/srv/x.key" ] && cmp -s "$T/srv/x.crt" "$P/leaf-both.fullchain.pem" ||
	fail "the target changed"

say "2. a FIFO as the new key"
rm -f "$T/srv/x.key" && cp "$P/leaf-both.key" "$T/srv/x.key"
mkfifo "$T/new.key"
hook "$T/2.log" --config "$T/s2sguard.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$T/new.key" --domain xmpp.example.test
assert_grep "new.key: a FIFO, not a regular file" "$T/2.log"
cmp -s "$T/srv/x.key" "$P/leaf-both.key" || fail "the deployed key changed"

say "3. a FIFO as the configuration"
mkfifo "$T/fifo.conf"
hook "$T/3.log" --config "$T/fifo.conf" --cert "$P/leaf-p384.fullchain.pem" \
	--key "$P/leaf-p384.key" --domain xmpp.example.test
assert_grep "fifo.conf: a FIFO, not a regular file" "$T/3.log"
say ok
