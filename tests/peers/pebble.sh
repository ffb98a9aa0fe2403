# tests/peers/pebble.sh: Debian's pebble 2.4 with real validation, for
# integration tests. Source after tests/lib.sh; everything listens on
# 127.0.0.1 on free ports and is stopped from at_exit.
#
#   pebble_start
#       Starts pebble-challtestsrv (the VA's DNS: every name is 127.0.0.1,
#       no AAAA) and pebble (-dnsserver pointing at it, PEBBLE_VA_NOSLEEP=1,
#       never PEBBLE_VA_ALWAYS_VALID: challenges are really validated).
#       Pebble rejects PEBBLE_WFE_NONCEREJECT percent of good nonces: 0 by
#       default here, because Debian's certbot 2.1 crashes on badNonce
#       ("AttributeError: can't set attribute" under Python 3.11). Tests of
#       a client that must cope (s2sguard-reissue) set it to 5, upstream's
#       default, before pebble_start.
#       PEBBLE_EXTRA_CONFIG: JSON members added to the "pebble" object, e.g.
#       '"externalAccountBindingRequired": true, "externalAccountMACKeys": {...}'
#       (a later member wins). Pebble's own variables (PEBBLE_ALTERNATE_ROOTS,
#       PEBBLE_CHAIN_LENGTH, PEBBLE_AUTHZREUSE) pass through the environment.
#       Sets:
#         PEBBLE_DIR        ACME directory URL, https://localhost:PORT/dir
#         PEBBLE_TLS_CA     PEM trusting pebble's HTTPS (curl --cacert,
#                           REQUESTS_CA_BUNDLE for certbot, --tls-ca-file)
#         PEBBLE_MGMT       https://localhost:PORT of pebble's management API
#         PEBBLE_HTTP_PORT  the port pebble's VA fetches http-01 from
#         PEBBLE_CHALL_MGMT http://127.0.0.1:PORT of challtestsrv's
#                           management API (POST /set-txt, /clear-txt for dns-01)
#         PEBBLE_WORK       pebble's directory under $T
#   pebble_root FILE
#       Writes pebble's issuing root (new at every start) to FILE: the trust
#       anchor for the certificates it issues (s2sguard-reissue --ca-file).
#   pebble_serve_webroot DIR
#       Serves DIR on 127.0.0.1:$PEBBLE_HTTP_PORT (python3 http.server), so
#       files under DIR/.well-known/acme-challenge/ answer http-01.
#   pebble_set_txt NAME VALUE / pebble_clear_txt NAME
#       dns-01 answers via challtestsrv (NAME without the trailing dot).
#
# Logs: $PEBBLE_WORK/{pebble,challtestsrv,webroot}.log (printed by lib.sh
# on failure). Needs: pebble, pebble-challtestsrv, python3, curl, openssl.

pebble_start() {
	need_cmd pebble pebble-challtestsrv python3 curl openssl
	PEBBLE_WORK=$T/pebble
	mkdir -p "$PEBBLE_WORK"
	_pl=$(free_port); _pm=$(free_port); PEBBLE_HTTP_PORT=$(free_port)
	_pt=$(free_port); _pd=$(free_port); _pc=$(free_port)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$PEBBLE_WORK/tls.key" -out "$PEBBLE_WORK/tls.pem" 2>/dev/null
	cat > "$PEBBLE_WORK/pebble.json" <<PEB
{"pebble": {"listenAddress": "127.0.0.1:$_pl", "managementListenAddress": "127.0.0.1:$_pm",
 "certificate": "$PEBBLE_WORK/tls.pem", "privateKey": "$PEBBLE_WORK/tls.key",
 "httpPort": $PEBBLE_HTTP_PORT, "tlsPort": $_pt, "ocspResponderURL": "",
 "externalAccountBindingRequired": false${PEBBLE_EXTRA_CONFIG:+, $PEBBLE_EXTRA_CONFIG}}}
PEB
	pebble-challtestsrv -defaultIPv6 "" -http01 "" -https01 "" -tlsalpn01 "" \
		-dns01 "127.0.0.1:$_pd" -management "127.0.0.1:$_pc" \
		> "$PEBBLE_WORK/challtestsrv.log" 2>&1 &
	_pcpid=$!
	at_exit "kill $_pcpid"
	(cd "$PEBBLE_WORK" && exec env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=${PEBBLE_WFE_NONCEREJECT:-0} \
		pebble -config pebble.json -dnsserver "127.0.0.1:$_pd") > "$PEBBLE_WORK/pebble.log" 2>&1 &
	_ppid=$!
	at_exit "kill $_ppid"
	wait_port "$_pc" 20 || fail "pebble-challtestsrv did not start"
	wait_port "$_pl" 20 || fail "pebble did not start"
	wait_port "$_pm" 20 || fail "pebble management did not start"
	PEBBLE_DIR=https://localhost:$_pl/dir
	PEBBLE_TLS_CA=$PEBBLE_WORK/tls.pem
	PEBBLE_MGMT=https://localhost:$_pm
	PEBBLE_CHALL_MGMT=http://127.0.0.1:$_pc
	export PEBBLE_DIR PEBBLE_TLS_CA PEBBLE_MGMT PEBBLE_HTTP_PORT PEBBLE_CHALL_MGMT PEBBLE_WORK
}

pebble_root() {
	curl -sf --cacert "$PEBBLE_TLS_CA" "$PEBBLE_MGMT/roots/0" > "$1" ||
		fail "cannot fetch pebble's root"
}

pebble_serve_webroot() {
	mkdir -p "$1"
	python3 -m http.server --bind 127.0.0.1 "$PEBBLE_HTTP_PORT" --directory "$1" \
		> "$PEBBLE_WORK/webroot.log" 2>&1 &
	_pwpid=$!
	at_exit "kill $_pwpid"
	wait_port "$PEBBLE_HTTP_PORT" 20 || fail "webroot server did not start"
}

pebble_set_txt() {
	curl -sf -X POST -d "{\"host\":\"$1.\",\"value\":\"$2\"}" "$PEBBLE_CHALL_MGMT/set-txt" >/dev/null
}

pebble_clear_txt() {
	curl -sf -X POST -d "{\"host\":\"$1.\"}" "$PEBBLE_CHALL_MGMT/clear-txt" >/dev/null
}
