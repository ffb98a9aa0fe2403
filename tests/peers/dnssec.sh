# tests/peers/dnssec.sh: real DNSSEC on loopback for tests (source after
# tests/lib.sh). An authoritative NSD serves test zones signed for real with
# ldns-signzone (keys made per run), and a validating unbound recursive
# resolves them through stub zones, with each signed zone's DS as trust
# anchor. Nothing leaves loopback: the root is refused, only the test
# zones resolve. No root privileges needed; both run in the foreground
# under $T/dns and are stopped from the exit trap.
#
#   dns_zone ZONE                  start ZONE (SOA, NS, ns A 127.0.0.1; TTL $DNS_TTL)
#   dns_rr ZONE "NAME TTL TYPE DATA"   add a record (owner absolute, with the dot)
#   dns_tlsa_of CERT [SEL MTYPE]   association data of CERT (default 1 1: SPKI SHA-256)
#   dns_sign ZONE [expired]        sign ZONE (expired: signatures that ended in 2020)
#   dns_start                      start NSD and unbound for every zone made so far;
#                                  sets DNS_RESOLVER (ADDR@PORT) and DNS_ANCHORS (file)
#   dns_restart                    after changing zones: re-sign, restart both on
#                                  the same ports (empty caches)
#   dns_query NAME TYPE            ask the validating resolver (drill), for debugging
#
# A zone left unsigned is answered as insecure (no anchor covers it).

DNS_DIR=$T/dns
DNS_TTL=${DNS_TTL:-300}
DNS_ZONES=""
mkdir -p "$DNS_DIR"

dns_zone() {
	DNS_ZONES="$DNS_ZONES $1"
	rm -f "$DNS_DIR/$1.signed" "$DNS_DIR/$1.expired"
	cat > "$DNS_DIR/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL $DNS_TTL
@	IN SOA ns.$1. hostmaster.$1. 1 3600 600 86400 60
@	IN NS ns.$1.
ns	IN A 127.0.0.1
EOF
}

dns_rr() { printf '%s\n' "$2" >> "$DNS_DIR/$1.zone"; }

dns_tlsa_of() {
	_sel=${2:-1} _mt=${3:-1}
	if [ "$_sel" = 1 ]; then
		openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER
	else
		openssl x509 -in "$1" -outform DER
	fi > "$DNS_DIR/tlsa.der"
	case $_mt in
	0) od -An -v -tx1 "$DNS_DIR/tlsa.der" ;;
	1) openssl dgst -sha256 -binary "$DNS_DIR/tlsa.der" | od -An -v -tx1 ;;
	2) openssl dgst -sha512 -binary "$DNS_DIR/tlsa.der" | od -An -v -tx1 ;;
	esac | tr -d ' \n'
}

dns_sign() {
	_z=$1
	rm -f "$DNS_DIR/$_z.expired"
	[ "${2:-}" = expired ] && : > "$DNS_DIR/$_z.expired"
	: > "$DNS_DIR/$_z.signed"
}

# _dns_sign_now ZONE: keys once per zone, then ldns-signzone into ZONE.zone.signed
_dns_sign_now() {
	_z=$1
	(
		cd "$DNS_DIR" || exit 1
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

_dns_write_conf() {
	: > "$DNS_DIR/anchors"
	{
		echo "server:"
		echo "	ip-address: 127.0.0.1"
		echo "	port: $DNS_NSD_PORT"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	zonesdir: \"$DNS_DIR\""
		echo "	zonelistfile: \"$DNS_DIR/nsd.zonelist\""
		echo "	database: \"\""
		echo "	pidfile: \"$DNS_DIR/nsd.pid\""
		echo "	xfrdfile: \"$DNS_DIR/nsd.xfrd\""
		echo "	xfrdir: \"$DNS_DIR\""
		echo "	logfile: \"$DNS_DIR/nsd.log\""
		echo "	server-count: 1"
		echo "	verbosity: 1"
		echo "remote-control:"
		echo "	control-enable: no"
	} > "$DNS_DIR/nsd.conf"
	{
		echo "server:"
		echo "	interface: 127.0.0.1"
		echo "	port: $DNS_UNBOUND_PORT"
		echo "	do-ip6: no"
		echo "	access-control: 127.0.0.0/8 allow"
		echo "	username: \"\""
		echo "	chroot: \"\""
		echo "	directory: \"$DNS_DIR\""
		echo "	pidfile: \"$DNS_DIR/unbound.pid\""
		echo "	use-syslog: no"
		echo "	logfile: \"$DNS_DIR/unbound.log\""
		echo "	verbosity: 1"
		echo "	val-log-level: 2"
		echo "	num-threads: 1"
		echo "	so-reuseport: no"
		echo "	do-not-query-localhost: no"
		echo "	module-config: \"validator iterator\""
		echo "	local-zone: \".\" refuse"
		echo "	serve-expired: no"
	} > "$DNS_DIR/unbound.conf"
	for _z in $DNS_ZONES; do
		_file=$_z.zone
		if [ -f "$DNS_DIR/$_z.signed" ]; then
			_dns_sign_now "$_z" >> "$DNS_DIR/anchors" || return 1
			_file=$_z.zone.signed
		fi
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$_z" "$_file" >> "$DNS_DIR/nsd.conf"
		printf '\tlocal-zone: "%s." transparent\n' "$_z" >> "$DNS_DIR/unbound.conf"
	done
	[ -s "$DNS_DIR/anchors" ] &&
		printf '\ttrust-anchor-file: "%s"\n' "$DNS_DIR/anchors" >> "$DNS_DIR/unbound.conf"
	for _z in $DNS_ZONES; do
		printf 'stub-zone:\n\tname: "%s"\n\tstub-addr: 127.0.0.1@%s\n' \
			"$_z" "$DNS_NSD_PORT" >> "$DNS_DIR/unbound.conf"
	done
	printf 'remote-control:\n\tcontrol-enable: no\n' >> "$DNS_DIR/unbound.conf"
}

# _dns_wait_udp PORT: until a DNS server answers on 127.0.0.1:PORT (UDP)
_dns_wait_udp() {
	_n=100
	while [ "$_n" -gt 0 ]; do
		drill -Q -p "$1" @127.0.0.1 ns.invalid SOA >/dev/null 2>&1 && return 0
		drill -p "$1" @127.0.0.1 ns.invalid SOA 2>/dev/null | grep -q 'rcode' && return 0
		sleep 0.1; _n=$((_n - 1))
	done
	return 1
}

_dns_launch() {
	nsd -d -c "$DNS_DIR/nsd.conf" >> "$DNS_DIR/nsd.log" 2>&1 &
	DNS_NSD_PID=$!
	at_exit "kill $DNS_NSD_PID"
	unbound -d -c "$DNS_DIR/unbound.conf" >> "$DNS_DIR/unbound.log" 2>&1 &
	DNS_UNBOUND_PID=$!
	at_exit "kill $DNS_UNBOUND_PID"
	_dns_wait_udp "$DNS_NSD_PORT" || { echo "dnssec.sh: nsd did not start" >&2; return 1; }
	_dns_wait_udp "$DNS_UNBOUND_PORT" || { echo "dnssec.sh: unbound did not start" >&2; return 1; }
}

dns_start() {
	need_cmd nsd unbound ldns-keygen ldns-signzone drill
	DNS_NSD_PORT=$(free_port)
	DNS_UNBOUND_PORT=$(free_port)
	_dns_write_conf || return 1
	unbound-checkconf "$DNS_DIR/unbound.conf" >/dev/null || return 1
	_dns_launch || return 1
	DNS_RESOLVER=127.0.0.1@$DNS_UNBOUND_PORT
	DNS_ANCHORS=$DNS_DIR/anchors
	export DNS_RESOLVER DNS_ANCHORS
}

_dns_stop() {
	kill "$DNS_NSD_PID" "$DNS_UNBOUND_PID" 2>/dev/null
	wait "$DNS_NSD_PID" "$DNS_UNBOUND_PID" 2>/dev/null
	return 0
}

dns_restart() {
	_dns_stop
	_dns_write_conf || return 1
	_dns_launch
}

dns_query() { drill -D -p "$DNS_UNBOUND_PORT" @127.0.0.1 "$1" "$2"; }
