#!/bin/sh
# Seed corpus for fuzz_acme_json: a whole successful exchange, answers as the
# fuzzer reads them (status byte, body, "\n~~\n" between answers), plus the
# unit fixtures on their own.
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
fix=$top/tests/unit/fixtures/acme
# Status bytes: \000 = 200 with Location, \001 = 201 with Location.
sep() { printf '\n~~\n'; }
{
	printf '\000'; cat "$fix/letsencrypt-directory.json"; sep
	printf '\000'; sep
	printf '\001{"status":"valid"}'; sep
	printf '\001'; cat "$fix/order-pending.json"; sep
	printf '\000{"status":"valid","identifier":{"type":"dns","value":"xmpp.example.org"}}'; sep
	printf '\000{"status":"valid","identifier":{"type":"dns","value":"conference.xmpp.example.org"}}'; sep
	printf '\000{"status":"ready","finalize":"https://ca.test/fin"}'; sep
	printf '\000{"status":"processing"}'; sep
	printf '\000{"status":"processing"}'; sep
	printf '\000{"status":"valid","certificate":"https://ca.test/cert"}'; sep
	printf '\000'; cat "$top/tests/unit/fixtures/acme/README"
} > "$out/exchange"
for f in "$fix"/*.json; do
	{ printf '\002'; cat "$f"; } > "$out/$(basename "$f" .json)"
done
printf '[renewalparams]\naccount = abc\nserver = https://ca.test/dir\n[[webroot_map]]\na = /b\n' > "$out/renewal.conf"
