#!/bin/sh
# scripts/bookworm-root.sh: cached minimal Debian 12 (bookworm) roots for
# the federation peers of the tests (tests/peers/roots.sh):
#
#   main        ejabberd 23.01 and Prosody 0.12 from bookworm: release
#               debian12 on a host that is not Debian 12 (on Debian 13 the
#               hold tests need a peer that refuses a serverAuth-only chain)
#   backports   ejabberd 24.12-3~bpo12+1 from bookworm-backports: release
#               debian12-backports (installing it on a Debian 12 host would
#               replace the host's 23.01, hence a root of its own)
#
#   sh scripts/bookworm-root.sh ensure [main|backports]
#       Make sure the root exists, is not stale, and holds its packages;
#       print its path.
#   sh scripts/bookworm-root.sh path [main|backports]
#       Print the root's path; build nothing.
#
# The roots are ${S2S_BOOKWORM_ROOT:-TOP/build/bookworm} (main) and
# ${S2S_BPO_ROOT:-TOP/build/bookworm-backports} (backports):
# `debootstrap --variant=minbase bookworm` from the host's Debian mirror
# (S2S_BOOKWORM_MIRROR overrides; on a Debian 13 host the same mirror
# serves bookworm), a policy-rc.d so that no packaged daemon starts, then
# `apt-get install` of the flavour's packages (backports: `-t
# bookworm-backports`). The stamp ROOT/.s2sguard-root records how it was
# made; the root is rebuilt when FORMAT or the packages changed or it is
# older than S2S_BOOKWORM_MAX_DAYS (7) days. Every step holds ROOT.lock
# (flock). Needs root (debootstrap, chroot).
# Exit status: 0 done, 1 failure, 2 usage.
set -eu

FORMAT=1
SUITE=bookworm
MAX_DAYS=${S2S_BOOKWORM_MAX_DAYS:-${S2S_BPO_MAX_DAYS:-7}}

TOP=$(cd "$(dirname "$0")/.." && pwd)
STAMP=.s2sguard-root

die() { echo "bookworm-root: $*" >&2; exit 1; }
note() { echo "bookworm-root: $*" >&2; }
usage() { sed -n '12,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }

# flavour NAME: set ROOT, PACKAGES and TARGET (the suite apt installs from)
flavour() {
	case $1 in
	main)
		ROOT=${S2S_BOOKWORM_ROOT:-$TOP/build/bookworm}
		PACKAGES="ejabberd erlang-p1-tls prosody lua-sec lua-unbound openssl ca-certificates"
		TARGET=$SUITE ;;
	backports)
		ROOT=${S2S_BPO_ROOT:-$TOP/build/bookworm-backports}
		PACKAGES="ejabberd erlang-p1-tls openssl ca-certificates"
		TARGET=$SUITE-backports ;;
	*) usage ;;
	esac
}

# host_mirror: the URI the host's apt takes Debian's main suite from.
host_mirror() {
	if [ -n "${S2S_BOOKWORM_MIRROR:-${S2S_BPO_MIRROR:-}}" ]; then
		echo "${S2S_BOOKWORM_MIRROR:-$S2S_BPO_MIRROR}"
	else
		sh "$TOP/scripts/host-mirror.sh"
	fi
}

stamp_text() {
	printf 'format=%s\nsuite=%s\npackages=%s\n' "$FORMAT" "$TARGET" "$PACKAGES"
}

fresh() {
	[ -f "$ROOT/$STAMP" ] || return 1
	[ "$(grep -v '^built=' "$ROOT/$STAMP")" = "$(stamp_text)" ] || return 1
	_built=$(sed -n 's/^built=//p' "$ROOT/$STAMP")
	[ $(( $(date +%s) - ${_built:-0} )) -le $(( MAX_DAYS * 86400 )) ]
}

# build into ROOT.new, then swap it in
build() {
	command -v debootstrap >/dev/null || die "debootstrap not installed (apt-get install debootstrap)"
	_mirror=$(host_mirror) _new=$ROOT.new
	rm -rf --one-file-system "$_new"
	note "debootstrap --variant=minbase $SUITE $_new $_mirror"
	_t0=$(date +%s)
	debootstrap --variant=minbase "$SUITE" "$_new" "$_mirror" > "$ROOT.log" 2>&1 ||
		die "debootstrap failed, see $ROOT.log"
	note "debootstrap took $(( $(date +%s) - _t0 )) s"
	printf 'deb %s %s main\ndeb %s %s-backports main\n' \
		"$_mirror" "$SUITE" "$_mirror" "$SUITE" > "$_new/etc/apt/sources.list"
	printf '#!/bin/sh\n# s2sguard: packaged daemons never start here\nexit 101\n' \
		> "$_new/usr/sbin/policy-rc.d"
	chmod 755 "$_new/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$_new/etc/resolv.conf" 2>/dev/null || true
	_t0=$(date +%s)
	# shellcheck disable=SC2086
	chroot "$_new" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -c '
		t=$1; shift
		apt-get update -q && apt-get install -y -q --no-install-recommends -t "$t" "$@"
	' sh "$TARGET" $PACKAGES >> "$ROOT.log" 2>&1 ||
		die "apt-get install -t $TARGET $PACKAGES failed, see $ROOT.log"
	note "package install took $(( $(date +%s) - _t0 )) s"
	{ stamp_text; echo "built=$(date +%s)"; } > "$_new/$STAMP"
	[ ! -e "$ROOT" ] || rm -rf --one-file-system "$ROOT"
	mv "$_new" "$ROOT"
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
flavour "${2:-main}"
case $1 in
path) echo "$ROOT" ;;
ensure)
	[ "$(id -u)" -eq 0 ] || die "ensure needs root (debootstrap, chroot)"
	mkdir -p "$(dirname "$ROOT")"
	exec 9>"$ROOT.lock"
	flock 9
	fresh || build
	exec 9>&-
	echo "$ROOT" ;;
*) usage ;;
esac
