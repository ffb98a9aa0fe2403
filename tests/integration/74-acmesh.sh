#!/bin/sh
# The acme.sh contract, emulated exactly (acme.sh is not packaged): the
# reload command "s2sguard-hook -- RELOAD..." is eval'd after cd into the
# domain directory with CERT_PATH, CERT_KEY_PATH, CA_CERT_PATH,
# CERT_FULLCHAIN_PATH and Le_Domain exported.
#  1. a clientAuth renewal: deployed, and the wrapped reload runs;
#  2. a serverAuth-only renewal that acme.sh (--key-file/--fullchain-file)
#     already copied into the server's files with `cat`: held, the
#     last-good pair is put back, the wrapped reload does not run, and the
#     hook exits 0 (a hold is not a failed renewal: acme.sh would log
#     "Reload error" and report the run as failed on any other status);
#  3. a domain s2sguard is not configured for: report only (detailed exit
#     4, exit 0 toward acme.sh), and acme.sh's reload passes through.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/peers/ejabberd.sh"
need_cmd ejabberdctl
P=$(pki)
ej=$(free_port)
ejabberd_start "$T/ej" ej.peer.test "$ej" --release debian12
mkdir -p "$T/srv"
cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/state
ca_file = $P/root.pem

[domain xmpp.example.test]
target = files
cert = $T/srv/fullchain.pem
key = $T/srv/privkey.pem
policy = hold
peers = ej.peer.test
connect = ej.peer.test=127.0.0.1:$ej
CONF
reloadcmd="s2sguard-hook --config $T/s2sguard.conf -- sh -c 'echo reloaded >> $T/reloads'"

# acmesh_renew LEAF [--install]: acme.sh's issue() steps 1 and 4 for LEAF
acmesh_renew() {
	d=$T/acme/xmpp.example.test_ecc
	mkdir -p "$d"
	cat "$P/$1.pem" > "$d/xmpp.example.test.cer"
	cat "$P/$1.key" > "$d/xmpp.example.test.key"
	cat "$P/$1.chain.pem" > "$d/ca.cer"
	cat "$P/$1.fullchain.pem" > "$d/fullchain.cer"
	if [ "${2:-}" = --install ]; then
		cat "$d/fullchain.cer" > "$T/srv/fullchain.pem"
		cat "$d/xmpp.example.test.key" > "$T/srv/privkey.pem"
	fi
	(
		cd "$d"
		export CERT_PATH="$d/xmpp.example.test.cer" CERT_KEY_PATH="$d/xmpp.example.test.key" \
			CA_CERT_PATH="$d/ca.cer" CERT_FULLCHAIN_PATH="$d/fullchain.cer" \
			Le_Domain=xmpp.example.test DOMAIN_PATH="$d" LE_WORKING_DIR="$T/acme" \
			LE_CONFIG_HOME="$T/acme" Le_ForceNewDomainKey="" Le_Next_Domain_Key=""
		eval "$reloadcmd"
	)
}

set +e; acmesh_renew leaf-both > "$T/a1.log" 2>&1; rc=$?; set -e
cat "$T/a1.log" | tail -4
[ "$rc" -eq 0 ] || fail "first deploy exited $rc"
cmp -s "$T/srv/fullchain.pem" "$P/leaf-both.fullchain.pem" || fail "not deployed"
[ "$(cat "$T/reloads")" = reloaded ] || fail "wrapped reload did not run"

set +e; acmesh_renew leaf-server --install > "$T/a2.log" 2>&1; rc=$?; set -e
cat "$T/a2.log" | tail -8
[ "$rc" -eq 0 ] || fail "hold exited $rc (acme.sh would log: Reload error)"
cmp -s "$T/srv/fullchain.pem" "$P/leaf-both.fullchain.pem" || fail "server's certificate not restored"
cmp -s "$T/srv/privkey.pem" "$P/leaf-both.key" || fail "server's key not restored"
[ "$(wc -l < "$T/reloads")" -eq 1 ] || fail "wrapped reload ran during a hold"
assert_grep 'ok   restore' "$T/a2.log"
assert_grep 'exit 2: held' "$T/a2.log"
assert_grep 'exit status toward acme.sh: 0' "$T/a2.log"

sed -i 's/^\[domain xmpp.example.test\]/[domain other.example.test]/' "$T/s2sguard.conf"
set +e; acmesh_renew leaf-p384 > "$T/a3.log" 2>&1; rc=$?; set -e
cat "$T/a3.log" | tail -4
[ "$rc" -eq 0 ] || fail "unconfigured exited $rc (acme.sh would log: Reload error)"
[ "$(wc -l < "$T/reloads")" -eq 2 ] || fail "wrapped reload not passed through when unconfigured"
say ok
