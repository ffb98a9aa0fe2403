#!/bin/sh
# make demo: the story s2sguard exists for, on loopback, in a temporary
# directory that is removed afterwards.
#
#   1. xmpp.example.test runs with a serverAuth+clientAuth certificate.
#   2. Its renewal comes back serverAuth-only (as Let's Encrypt's have since
#      2026-02-11). s2sguard-hook probes the federation peers: the strict
#      ejabberd refuses it ("unsupported certificate purpose"), Prosody
#      accepts it. Policy hold: the deployed certificate stays.
#   3. With policy reissue, the hook re-orders the certificate from an
#      alternate ACME CA (pebble, which still issues clientAuth), probes the
#      result - both peers accept - and deploys it.
#   4. s2sguard-doctor checks the setup, read-only: the local Prosody serves
#      what s2sguard deployed, its inbound rule and dialback, the state, the
#      timer, the days left.
#
# Real servers, started here on free 127.0.0.1 ports: ejabberd, Prosody,
# pebble, and our own Prosody serving xmpp.example.test. Needs root on
# Debian 12 or 13 (make demo installs the packages first). The strict peer
# is Debian 12's ejabberd 23.01; on Debian 13 it runs from a bookworm root
# that scripts/debian-root.sh builds once (a few minutes, from the
# host's Debian mirror) and keeps for a week.
set -eu
# the test helpers give us $T (removed on exit), free ports, and the peers
. "$(dirname "$0")/../tests/lib.sh"
TOP=$(cd "$(dirname "$0")/.." && pwd)	# lib.sh guesses from tests/integration/
BUILD=$TOP/build
PATH=$BUILD:$PATH
export TOP BUILD PATH
. "$TOP/tests/peers/ejabberd.sh"
. "$TOP/tests/peers/prosody.sh"
. "$TOP/tests/peers/pebble.sh"
need_cmd ejabberdctl prosody pebble

step() { printf '\n\033[1m== %s\033[0m\n\n' "$*"; }

step "Starting a strict ejabberd peer, a Prosody peer and an alternate ACME CA (pebble) on loopback"
P=$(pki_copy)
PEBBLE_WFE_NONCEREJECT=0 pebble_start
pebble_serve_webroot "$T/www"
pebble_root "$T/pebble-root.pem"
cat "$P/root.pem" "$T/pebble-root.pem" > "$T/roots.pem"
ej=$(free_port) pr=$(free_port)
[ "$(peer_host_release)" = debian12 ] ||
	echo "This is not Debian 12: Debian 12's ejabberd runs from a bookworm root (the first time, scripts/debian-root.sh builds it: a few minutes)"
ejabberd_start "$T/ej" ej.peer.test "$ej" --ca "$T/roots.pem" --release debian12
prosody_start "$T/pr" pr.peer.test "$pr" --ca "$T/roots.pem"
echo "ejabberd $(ejabberd_version "$T/ej") as ej.peer.test on 127.0.0.1:$ej (SASL EXTERNAL only, checks the client purpose)"
echo "Prosody as pr.peer.test on 127.0.0.1:$pr (SASL EXTERNAL only)"
echo "pebble at $PEBBLE_DIR"

# our own server: Prosody serving xmpp.example.test, reading its
# certificate from $T/own/pki, where s2sguard deploys
own=$(free_port)
prosody_start "$T/own" xmpp.example.test "$own" --ca "$T/roots.pem" \
	--cert "$P/leaf-both.fullchain.pem" --key "$P/leaf-both.key"
echo "our Prosody as xmpp.example.test on 127.0.0.1:$own, certificate in $T/own/pki"
CERTS=$T/own/pki
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ca-account.key" 2>/dev/null
write_conf() {
	cat > "$T/s2sguard.conf" <<CONF
[s2sguard]
state_dir = $T/var/lib/s2sguard
ca_file = $T/roots.pem

[domain xmpp.example.test]
target = prosody
certs_dir = $CERTS
group = prosody
reload = kill -HUP \$(cat $T/own/prosody.pid) && echo "prosody reloaded with \$(openssl x509 -in $CERTS/xmpp.example.test.crt -noout -issuer)"
peers = ej.peer.test pr.peer.test
connect = ej.peer.test=127.0.0.1:$ej pr.peer.test=127.0.0.1:$pr
server = 127.0.0.1:$own
policy = $1
reissue_directory = $PEBBLE_DIR
reissue_account_key = $T/ca-account.key
reissue_email = admin@example.test
reissue_ca_bundle = $PEBBLE_TLS_CA
reissue_args = --webroot $T/www
CONF
}

step "The renewal arrives: serverAuth only. s2sguard-hook, policy hold"
write_conf hold
echo "\$ s2sguard-hook --cert renewed.pem --key renewed.key --domain xmpp.example.test"
set +e
s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test
rc=$?
set -e
echo
echo "s2sguard-hook exited $rc (2 = held). Prosody still serves:"
openssl x509 -in "$CERTS/xmpp.example.test.crt" -noout -issuer -ext extendedKeyUsage | sed 's/^/    /'

step "Same renewal, policy reissue: re-order from the alternate CA"
write_conf reissue
set +e
s2sguard-hook --config "$T/s2sguard.conf" --cert "$P/leaf-server.fullchain.pem" \
	--key "$P/leaf-server.key" --domain xmpp.example.test > "$T/reissue.out" 2>&1
rc=$?
set -e
# the decision and what was done (the full report is in the state directory)
sed -n '/^PEER/,$p' "$T/reissue.out"
echo
echo "s2sguard-hook exited $rc (1 = deployed, with a note: re-issued). Prosody now serves:"
openssl x509 -in "$CERTS/xmpp.example.test.crt" -noout -issuer -ext extendedKeyUsage | sed 's/^/    /'

step "Reports a person (or a monitoring system) can read"
ls "$T/var/lib/s2sguard/reports/" | sed 's/^/    /'
r=$(ls -t "$T/var/lib/s2sguard/reports/"*hook.json | head -1)
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("    decision:", r["decision"]["action"], "| exit", r["exit"])
for p in r.get("probes", []):
    print("    peer %-14s %s" % (p["peer"], p["verdict"]))
for a in r["actions"]:
    print("    action %-8s %s" % (a["action"], a["detail"]))' "$r"

step "Is the setup sound? s2sguard-doctor (read-only)"
# the machine as the doctor sees it: our Prosody's configuration, dpkg's
# database, the daily timer enabled as the package does
mkdir -p "$T/root/etc/prosody" "$T/root/var/lib" "$T/root/etc/systemd/system/timers.target.wants"
ln -s "$T/own/prosody.cfg.lua" "$T/root/etc/prosody/prosody.cfg.lua"
ln -s /var/lib/dpkg "$T/root/var/lib/dpkg"
ln -s /lib/systemd/system/s2sguard-check.timer "$T/root/etc/systemd/system/timers.target.wants/"
echo "\$ s2sguard-doctor"
set +e
s2sguard-doctor --config "$T/s2sguard.conf" --root "$T/root"
rc=$?
set -e
echo
echo "s2sguard-doctor exited $rc (0 = all ok, 1 = warnings, 2 = failures)."
echo
echo "Done; everything ran under $T and is removed now."
