#!/bin/sh
# tests/pki/mkpki.sh: generate a throw-away test PKI with the openssl CLI.
# Nothing it makes is ever committed. Quiet on success, non-zero on error.
#
# Usage:
#   mkpki.sh DIR
#       Full PKI into DIR (created if missing). File names are an interface:
#       other tests use them, do not rename.
#         root.pem/.key                 self-signed CA
#         inter-noeku, inter-server (EKU serverAuth only, like Let's Encrypt
#         2026), inter-both (serverAuth,clientAuth)      .pem/.key, under root
#         leaves for xmpp.example.test (+ conference., upload.), each
#         NAME.pem (leaf), NAME.key (0600), NAME.chain.pem (intermediate),
#         NAME.fullchain.pem (leaf + intermediate, no root):
#           leaf-both leaf-server leaf-both-under-server leaf-both-under-noeku
#           leaf-client leaf-noeku leaf-anyeku leaf-expired leaf-notyet
#           leaf-wrongname leaf-p384 leaf-rsa leaf-ed25519 leaf-xmppaddr
#           leaf-wildcard
#         bad input: mismatch.pem/.key, leaf-both.reversed.pem,
#           leaf-both.missing-inter.pem, leaf-both.junk.pem,
#           leaf-both.truncated.pem, leaf-both.der, leaf-both.enc.key
#           (AES-256, passphrase "test"), empty.pem, garbage.bin, text.pem
#         peers: pr.peer.test, ej.peer.test (.pem .key .chain.pem
#           .fullchain.pem), ej.peer.test.combined.pem (leaf+chain+key),
#           selfsigned.pem/.key (self-signed xmpp.example.test leaf)
#   mkpki.sh leaf DIR NAME --domain D [--domain D2 ...] [--eku LIST|none|any]
#            [--issuer inter-both|inter-server|inter-noeku]
#            [--key-type p256|p384|rsa|ed25519] [--days N] [--key FILE]
#       One more leaf in an existing PKI dir: NAME.pem .key .chain.pem
#       .fullchain.pem. Defaults: --eku serverAuth,clientAuth, --issuer
#       inter-both, --key-type p256, --days 90. The first --domain is the CN.
#   mkpki.sh resign DIR CERT KEY OUTNAME [--issuer inter-server] [--eku LIST]
#       Re-issue CERT's subject and subjectAltName for the same key (KEY)
#       under the intermediate (default inter-server, EKU default
#       serverAuth): OUTNAME.pem .chain.pem .fullchain.pem, and OUTNAME.key
#       (a 0600 copy of KEY).
set -eu
umask 077

die() { echo "mkpki: $*" >&2; exit 2; }

# genkey TYPE OUT
genkey() {
	case $1 in
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
	*) die "unknown key type $1" ;;
	esac 2>/dev/null
	chmod 600 "$2"
}

# eku_line LIST: extendedKeyUsage config line ("" for none)
eku_line() {
	case $1 in
	none|"") ;;
	any) echo "extendedKeyUsage = anyExtendedKeyUsage" ;;
	*) echo "extendedKeyUsage = $1" ;;
	esac
}

# write_cnf FILE EKU SAN KEYTYPE CA(yes|no)
write_cnf() {
	{
		echo "[req]"
		echo "distinguished_name = dn"
		echo "prompt = no"
		echo "[dn]"
		echo "[ext]"
		if [ "$5" = yes ]; then
			echo "basicConstraints = critical, CA:TRUE"
			echo "keyUsage = critical, keyCertSign, cRLSign, digitalSignature"
		else
			echo "basicConstraints = critical, CA:FALSE"
			if [ "$4" = rsa ]; then
				echo "keyUsage = critical, digitalSignature, keyEncipherment"
			else
				echo "keyUsage = critical, digitalSignature"
			fi
		fi
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
		eku_line "$2"
		[ -z "$3" ] || echo "subjectAltName = $3"
		echo "[ca]"
		echo "default_ca = cadef"
		echo "[cadef]"
		echo "database = $W/index.txt"
		echo "new_certs_dir = $W"
		echo "rand_serial = yes"
		echo "default_md = sha256"
		echo "policy = pol"
		echo "unique_subject = no"
		echo "email_in_dn = no"
		echo "[pol]"
		echo "commonName = supplied"
	} > "$1"
}

# issue NAME KEYTYPE ISSUER EKU SAN CN DAYS [START END]
# ISSUER "self" makes a self-signed leaf. Uses NAME.key if it exists.
issue() {
	_n=$1 _kt=$2 _iss=$3 _eku=$4 _san=$5 _cn=$6 _days=$7
	_cnf=$W/$_n.cnf
	[ -f "$D/$_n.key" ] || genkey "$_kt" "$D/$_n.key"
	write_cnf "$_cnf" "$_eku" "$_san" "$_kt" no
	if [ $# -ge 9 ]; then
		openssl req -new -config "$_cnf" -key "$D/$_n.key" -subj "/CN=$_cn" \
			-out "$W/$_n.csr" 2>/dev/null
		: > "$W/index.txt"
		openssl ca -batch -config "$_cnf" -extfile "$_cnf" -extensions ext \
			-cert "$D/$_iss.pem" -keyfile "$D/$_iss.key" -notext \
			-startdate "$8" -enddate "$9" -in "$W/$_n.csr" \
			-out "$D/$_n.pem" 2>/dev/null >/dev/null
	elif [ "$_iss" = self ]; then
		openssl req -x509 -new -config "$_cnf" -extensions ext -key "$D/$_n.key" \
			-subj "/CN=$_cn" -days "$_days" -sha256 -out "$D/$_n.pem" 2>/dev/null
	else
		openssl req -x509 -new -config "$_cnf" -extensions ext -key "$D/$_n.key" \
			-subj "/CN=$_cn" -days "$_days" -sha256 \
			-CA "$D/$_iss.pem" -CAkey "$D/$_iss.key" -out "$D/$_n.pem" 2>/dev/null
	fi
	if [ "$_iss" != self ]; then
		cp "$D/$_iss.pem" "$D/$_n.chain.pem"
		cat "$D/$_n.pem" "$D/$_iss.pem" > "$D/$_n.fullchain.pem"
	fi
	chmod 644 "$D/$_n.pem"
	[ ! -f "$D/$_n.chain.pem" ] || chmod 644 "$D/$_n.chain.pem" "$D/$_n.fullchain.pem"
}

# inter NAME EKU
inter() {
	genkey p256 "$D/$1.key"
	write_cnf "$W/$1.cnf" "$2" "" p256 yes
	openssl req -x509 -new -config "$W/$1.cnf" -extensions ext -key "$D/$1.key" \
		-subj "/CN=s2sguard test $1" -days 3650 -sha256 \
		-CA "$D/root.pem" -CAkey "$D/root.key" -out "$D/$1.pem" 2>/dev/null
	chmod 644 "$D/$1.pem"
}

# sans D1 D2...: "DNS:D1, DNS:D2"
sans() {
	_s=""
	for _d in "$@"; do _s="${_s:+$_s, }DNS:$_d"; done
	echo "$_s"
}

setup() {
	D=$1
	[ -d "$D" ] || { mkdir -p "$D"; chmod 755 "$D"; }
	D=$(cd "$D" && pwd)
	W=$(mktemp -d "$D/.work.XXXXXX")
	trap 'rm -rf "$W"' EXIT
}

XD=xmpp.example.test
XSAN=$(sans $XD conference.$XD upload.$XD)
BOTH=serverAuth,clientAuth

full() {
	setup "$1"
	# root
	genkey p256 "$D/root.key"
	write_cnf "$W/root.cnf" none "" p256 yes
	sed -i 's/^authorityKeyIdentifier.*//' "$W/root.cnf"
	openssl req -x509 -new -config "$W/root.cnf" -extensions ext -key "$D/root.key" \
		-subj "/CN=s2sguard test root" -days 3650 -sha256 -out "$D/root.pem" 2>/dev/null
	chmod 644 "$D/root.pem"
	inter inter-noeku none
	inter inter-server serverAuth
	inter inter-both $BOTH

	issue leaf-both p256 inter-both $BOTH "$XSAN" $XD 90
	issue leaf-server p256 inter-server serverAuth "$XSAN" $XD 90
	issue leaf-both-under-server p256 inter-server $BOTH "$XSAN" $XD 90
	issue leaf-both-under-noeku p256 inter-noeku $BOTH "$XSAN" $XD 90
	issue leaf-client p256 inter-both clientAuth "$XSAN" $XD 90
	issue leaf-noeku p256 inter-noeku none "$XSAN" $XD 90
	issue leaf-anyeku p256 inter-both any "$XSAN" $XD 90
	issue leaf-expired p256 inter-both $BOTH "$XSAN" $XD 0 \
		20200101000000Z 20200401000000Z
	_y=$(( $(date -u +%Y) + 5 ))
	issue leaf-notyet p256 inter-both $BOTH "$XSAN" $XD 0 \
		${_y}0101000000Z ${_y}0401000000Z
	issue leaf-wrongname p256 inter-both $BOTH "$(sans other.example.test)" \
		other.example.test 90
	issue leaf-p384 p384 inter-both $BOTH "$XSAN" $XD 90
	issue leaf-rsa rsa inter-both $BOTH "$XSAN" $XD 90
	issue leaf-ed25519 ed25519 inter-both $BOTH "$XSAN" $XD 90
	issue leaf-xmppaddr p256 inter-both $BOTH \
		"otherName:1.3.6.1.5.5.7.8.5;UTF8:$XD, otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.$XD, DNS:conference.$XD" \
		$XD 90
	issue leaf-wildcard p256 inter-both $BOTH "$(sans '*.example.test' example.test)" \
		example.test 90

	# bad input
	cp "$D/leaf-both.pem" "$D/mismatch.pem"
	genkey p256 "$D/mismatch.key"
	cat "$D/inter-both.pem" "$D/leaf-both.pem" > "$D/leaf-both.reversed.pem"
	cat "$D/leaf-both.pem" "$D/root.pem" > "$D/leaf-both.missing-inter.pem"
	{ cat "$D/leaf-both.fullchain.pem"; echo "this is trailing junk, not PEM"; } \
		> "$D/leaf-both.junk.pem"
	_l=$(grep -n 'BEGIN CERTIFICATE' "$D/leaf-both.fullchain.pem" | sed -n '2s/:.*//p')
	head -n $((_l + 3)) "$D/leaf-both.fullchain.pem" > "$D/leaf-both.truncated.pem"
	openssl x509 -in "$D/leaf-both.pem" -outform DER -out "$D/leaf-both.der"
	openssl pkey -in "$D/leaf-both.key" -aes256 -passout pass:test \
		-out "$D/leaf-both.enc.key"
	: > "$D/empty.pem"
	head -c 4096 /dev/urandom > "$D/garbage.bin"
	printf 'This is not a certificate.\nJust some text.\n' > "$D/text.pem"
	chmod 644 "$D/mismatch.pem" "$D/leaf-both.reversed.pem" \
		"$D/leaf-both.missing-inter.pem" "$D/leaf-both.junk.pem" \
		"$D/leaf-both.truncated.pem" "$D/leaf-both.der" "$D/empty.pem" \
		"$D/garbage.bin" "$D/text.pem"

	# peers
	issue pr.peer.test p256 inter-both $BOTH "$(sans pr.peer.test)" pr.peer.test 90
	issue ej.peer.test p256 inter-both $BOTH "$(sans ej.peer.test)" ej.peer.test 90
	cat "$D/ej.peer.test.fullchain.pem" "$D/ej.peer.test.key" \
		> "$D/ej.peer.test.combined.pem"
	issue selfsigned p256 self $BOTH "$XSAN" $XD 90
}

leaf() {
	[ $# -ge 2 ] || die "usage: mkpki.sh leaf DIR NAME --domain D [...]"
	setup "$1"; _name=$2; shift 2
	_doms="" _eku=$BOTH _iss=inter-both _kt=p256 _days=90 _key=""
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || die "option $1 needs a value"
		case $1 in
		--domain) _doms="$_doms $2" ;;
		--eku) _eku=$2 ;;
		--issuer) _iss=$2 ;;
		--key-type) _kt=$2 ;;
		--days) _days=$2 ;;
		--key) _key=$2 ;;
		*) die "unknown option $1" ;;
		esac
		shift 2
	done
	[ -n "$_doms" ] || die "leaf needs --domain"
	[ -f "$D/$_iss.pem" ] || die "no issuer $D/$_iss.pem"
	if [ -n "$_key" ]; then
		_kabs=$(cd "$(dirname "$_key")" && pwd)/$(basename "$_key")
		[ "$_kabs" = "$D/$_name.key" ] || { cp "$_key" "$D/$_name.key"; chmod 600 "$D/$_name.key"; }
	else
		rm -f "$D/$_name.key"
	fi
	# shellcheck disable=SC2086
	set -- $_doms
	issue "$_name" "$_kt" "$_iss" "$_eku" "$(sans "$@")" "$1" "$_days"
}

resign() {
	[ $# -ge 4 ] || die "usage: mkpki.sh resign DIR CERT KEY OUTNAME [--issuer I]"
	_cert=$2 _key=$3 _out=$4
	setup "$1"; shift 4
	_iss=inter-server _eku=serverAuth
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || die "option $1 needs a value"
		case $1 in
		--issuer) _iss=$2 ;;
		--eku) _eku=$2 ;;
		*) die "unknown option $1" ;;
		esac
		shift 2
	done
	[ -f "$D/$_iss.pem" ] || die "no issuer $D/$_iss.pem"
	_san=$(openssl x509 -in "$_cert" -noout -ext subjectAltName 2>/dev/null |
		sed -n '2,$p' | sed 's/^ *//' | tr '\n' ' ' | sed 's/ *$//')
	[ -n "$_san" ] || die "$_cert has no subjectAltName"
	case $_san in *othername*) die "resign: otherName SANs not supported ($_cert)" ;; esac
	_san=$(echo "$_san" | sed 's/IP Address:/IP:/g')
	_kt=p256
	openssl pkey -in "$_key" -noout -text 2>/dev/null | grep -q 'RSA\|Modulus' && _kt=rsa
	write_cnf "$W/re.cnf" "$_eku" "$_san" "$_kt" no
	_subj=$(openssl x509 -in "$_cert" -noout -subject -nameopt compat | sed 's/^subject=//')
	if [ -z "$_subj" ]; then
		_subj=/CN=$(echo "$_san" | sed -n 's/^DNS:\([^,]*\).*/\1/p')
		[ "$_subj" != /CN= ] || _subj=/
	fi
	openssl req -x509 -new -config "$W/re.cnf" -extensions ext -key "$_key" \
		-subj "$_subj" -days 90 -sha256 -CA "$D/$_iss.pem" -CAkey "$D/$_iss.key" \
		-out "$D/$_out.pem" 2>/dev/null || die "resign: openssl failed for $_cert"
	_kabs=$(cd "$(dirname "$_key")" && pwd)/$(basename "$_key")
	[ "$_kabs" = "$D/$_out.key" ] || { cp "$_key" "$D/$_out.key"; chmod 600 "$D/$_out.key"; }
	cp "$D/$_iss.pem" "$D/$_out.chain.pem"
	cat "$D/$_out.pem" "$D/$_iss.pem" > "$D/$_out.fullchain.pem"
	chmod 644 "$D/$_out.pem" "$D/$_out.chain.pem" "$D/$_out.fullchain.pem"
}

case ${1:-} in
leaf) shift; leaf "$@" ;;
resign) shift; resign "$@" ;;
""|-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; [ $# -gt 0 ] ;;
*) [ $# -eq 1 ] || die "usage: mkpki.sh DIR | leaf ... | resign ..."; full "$1" ;;
esac
