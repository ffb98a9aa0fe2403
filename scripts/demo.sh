#!/bin/sh
# make demo: a renewal that turns server-only, as s2sguard sees it.
# Runs on loopback in a temporary directory and removes it afterwards.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
I=$top/build/s2sguard-inspect
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s2sguard-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$top/tests/pki/mkpki.sh" "$tmp"

echo "== The deployed certificate: serverAuth+clientAuth (the pre-2026 kind)"
"$I" --ca-file "$tmp/root.pem" --domain xmpp.example.test \
	--key "$tmp/leaf-both.key" "$tmp/leaf-both.fullchain.pem" | tail -n 1
echo
echo "== The renewal: serverAuth only, under a serverAuth-only intermediate"
set +e
"$I" --ca-file "$tmp/root.pem" --domain xmpp.example.test \
	--key "$tmp/leaf-server.key" --previous "$tmp/leaf-both.fullchain.pem" \
	"$tmp/leaf-server.fullchain.pem"
rc=$?
set -e
echo
echo "s2sguard-inspect exited $rc (1 = server-only): peers that check the client"
echo "purpose (ejabberd < 25.07, Metronome) would refuse this certificate."
