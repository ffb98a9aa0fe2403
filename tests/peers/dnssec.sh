# tests/peers/dnssec.sh: real DNSSEC on loopback for tests (source after
# tests/lib.sh). An authoritative NSD serves test zones signed for real with
# ldns-signzone (keys made per run), and a validating unbound recursive
# resolves them through stub zones, with each signed zone's DS as trust
# anchor. Nothing leaves loopback: the root is refused, only the test
# zones resolve. No root privileges needed; both run in the foreground
# under $T/dns and are stopped from the exit trap.
#
#   dnssec_zone ZONE                  start ZONE (SOA, NS, ns A 127.0.0.1; TTL $DNSSEC_TTL)
#   dnssec_rr ZONE "NAME TTL TYPE DATA"   add a record (owner absolute, with the dot)
#   dnssec_tlsa_of CERT [SEL MTYPE]   association data of CERT (default 1 1: SPKI SHA-256)
#   dnssec_sign ZONE [expired]        sign ZONE (expired: signatures that ended in 2020)
#   dnssec_start                      start NSD and unbound for every zone made so far;
#                                  sets DNSSEC_RESOLVER (ADDR@PORT) and DNSSEC_ANCHORS (file)
#   dnssec_restart                    after changing zones: re-sign, restart both on
#                                  the same ports (empty caches)
#   dnssec_query NAME TYPE            ask the validating resolver (drill), for debugging
#
# A zone left unsigned is answered as insecure (no anchor covers it).

DNSSEC_DIR=$T/dns
DNSSEC_TTL=${DNSSEC_TTL:-300}
DNSSEC_ZONES=""
mkdir -p "$DNSSEC_DIR"

dnssec_zone() {
	DNSSEC_ZONES="$DNSSEC_ZONES $1"
	rm -f "$DNSSEC_DIR/$1.signed" "$DNSSEC_DIR/$1.expired"
	cat > "$DNSSEC_DIR/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL $DNSSEC_TTL
@	IN SOA ns.$1. hostmaster.$1. 1 3600 600 86400 60
@	IN NS ns.$1.
ns	IN A 127.0.0.1
EOF
}

dnssec_rr() { printf '%s\n' "$2" >> "$DNSSEC_DIR/$1.zone"; }

dnssec_tlsa_of() {
	_sel=${2:-1} _mt=${3:-1}
	if [ "$_sel" = 1 ]; then
		openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER
	else
		openssl x509 -in "$1" -outform DER
	fi > "$DNSSEC_DIR/tlsa.der"
	case $_mt in
	0) od -An -v -tx1 "$DNSSEC_DIR/tlsa.der" ;;
	1) openssl dgst -sha256 -binary "$DNSSEC_DIR/tlsa.der" | od -An -v -tx1 ;;
	2) openssl dgst -sha512 -binary "$DNSSEC_DIR/tlsa.der" | od -An -v -tx1 ;;
	esac | tr -d ' \n'
}

dnssec_sign() {
	_z=$1
	rm -f "$DNSSEC_DIR/$_z.expired"
	[ "${2:-}" = expired ] && : > "$DNSSEC_DIR/$_z.expired"
	: > "$DNSSEC_DIR/$_z.signed"
}

# _dnssec_sign_now ZONE: keys once per zone, then ldns-signzone into ZONE.zone.signed
_dnssec_sign_now() {
	_z=$1
	(
		cd "$DNSSEC_DIR" || exit 1
		if [ ! -f "$_z.ksk" ]; then
			ldns-keygen -a ECDSAP256SHA256 -k "$_z" > "$_z.ksk" || exit 1
			ldns-keygen -a ECDSAP256SHA256 "$_z" > "$_z.zsk" || exit 1
		fi
		_k=$(cat "$_z.ksk") _s=$(cat "$_z.zsk")
		if [ -f "$_z.expired" ]; then
			ldns-signzone -i 20190101000000 -e 20200101000000 -o "$_z" \
				-f "$_z.zone.signed" "$_z.zone" "$_k" "$_s"
		else
			ldns-signzone -o "$_z" -f "$_z.zone.signed" "$_z.zone" "$_k" "$_s"
		fi || exit 1
		cat "$_k.ds"
	)
}

_dnssec_write_conf() {
	: > "$DNSSEC_DIR/anchors"
	{
		echo "server:"
		echo "	ip-address: 127.0.0.1"
		echo "	port: $DNSSEC_NSD_PORT"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	zonesdir: \"$DNSSEC_DIR\""
		echo "	zonelistfile: \"$DNSSEC_DIR/nsd.zonelist\""
		echo "	database: \"\""
		echo "	pidfile: \"$DNSSEC_DIR/nsd.pid\""
		echo "	xfrdfile: \"$DNSSEC_DIR/nsd.xfrd\""
		echo "	xfrdir: \"$DNSSEC_DIR\""
		echo "	logfile: \"$DNSSEC_DIR/nsd.log\""
		echo "	server-count: 1"
		echo "	verbosity: 1"
		echo "remote-control:"
		echo "	control-enable: no"
	} > "$DNSSEC_DIR/nsd.conf"
	{
		echo "server:"
		echo "	interface: 127.0.0.1"
		echo "	port: $DNSSEC_UNBOUND_PORT"
		echo "	do-ip6: no"
		echo "	access-control: 127.0.0.0/8 allow"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	directory: \"$DNSSEC_DIR\""
		echo "	pidfile: \"$DNSSEC_DIR/unbound.pid\""
		echo "	use-syslog: no"
		echo "	logfile: \"$DNSSEC_DIR/unbound.log\""
		echo "	verbosity: 1"
		echo "	val-log-level: 2"
		echo "	num-threads: 1"
		echo "	so-reuseport: no"
		echo "	do-not-query-localhost: no"
		echo "	module-config: \"validator iterator\""
		echo "	local-zone: \".\" refuse"
		echo "	serve-expired: no"
		# e.g. DNSSEC_UNBOUND_EXTRA="log-queries: yes" to debug a test
		[ -z "${DNSSEC_UNBOUND_EXTRA:-}" ] || printf '\t%s\n' "$DNSSEC_UNBOUND_EXTRA"
	} > "$DNSSEC_DIR/unbound.conf"
	for _z in $DNSSEC_ZONES; do
		_file=$_z.zone
		if [ -f "$DNSSEC_DIR/$_z.signed" ]; then
			_dnssec_sign_now "$_z" >> "$DNSSEC_DIR/anchors" || return 1
			_file=$_z.zone.signed
		fi
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$_z" "$_file" >> "$DNSSEC_DIR/nsd.conf"
		printf '\tlocal-zone: "%s." transparent\n' "$_z" >> "$DNSSEC_DIR/unbound.conf"
	done
	[ -s "$DNSSEC_DIR/anchors" ] &&
		printf '\ttrust-anchor-file: "%s"\n' "$DNSSEC_DIR/anchors" >> "$DNSSEC_DIR/unbound.conf"
	for _z in $DNSSEC_ZONES; do
		printf 'stub-zone:\n\tname: "%s"\n\tstub-addr: 127.0.0.1@%s\n' \
			"$_z" "$DNSSEC_NSD_PORT" >> "$DNSSEC_DIR/unbound.conf"
	done
	printf 'remote-control:\n\tcontrol-enable: no\n' >> "$DNSSEC_DIR/unbound.conf"
}

# _dnssec_kill PID: stop a server and wait until it is gone (it writes on exit)
_dnssec_kill() {
	kill "$1" 2>/dev/null || return 0
	_n=50
	while kill -0 "$1" 2>/dev/null && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
}

_dnssec_launch() {
	nsd -d -c "$DNSSEC_DIR/nsd.conf" >> "$DNSSEC_DIR/nsd.log" 2>&1 &
	DNSSEC_NSD_PID=$!
	at_exit "_dnssec_kill $DNSSEC_NSD_PID"
	unbound -d -c "$DNSSEC_DIR/unbound.conf" >> "$DNSSEC_DIR/unbound.log" 2>&1 &
	DNSSEC_UNBOUND_PID=$!
	at_exit "_dnssec_kill $DNSSEC_UNBOUND_PID"
	# both listen on TCP too, on the same port: a connect says they are up
	wait_port "$DNSSEC_NSD_PORT" 10 || { echo "dnssec.sh: nsd did not start" >&2; return 1; }
	wait_port "$DNSSEC_UNBOUND_PORT" 10 || { echo "dnssec.sh: unbound did not start" >&2; return 1; }
}

dnssec_start() {
	need_cmd nsd unbound ldns-keygen ldns-signzone drill
	DNSSEC_NSD_PORT=$(free_port)
	DNSSEC_UNBOUND_PORT=$(free_port)
	_dnssec_write_conf || return 1
	unbound-checkconf "$DNSSEC_DIR/unbound.conf" >/dev/null || return 1
	_dnssec_launch || return 1
	DNSSEC_RESOLVER=127.0.0.1@$DNSSEC_UNBOUND_PORT
	DNSSEC_ANCHORS=$DNSSEC_DIR/anchors
	export DNSSEC_RESOLVER DNSSEC_ANCHORS
}

_dnssec_stop() {
	_dnssec_kill "$DNSSEC_NSD_PID"
	_dnssec_kill "$DNSSEC_UNBOUND_PID"
	wait "$DNSSEC_NSD_PID" "$DNSSEC_UNBOUND_PID" 2>/dev/null
	return 0
}

dnssec_restart() {
	_dnssec_stop
	_dnssec_write_conf || return 1
	_dnssec_launch
}

dnssec_query() { drill -D -p "$DNSSEC_UNBOUND_PORT" @127.0.0.1 "$1" "$2"; }
