#!/bin/sh
# Install every Debian package that building, testing and the demo need,
# on Debian 12 (bookworm) or 13 (trixie): package names are chosen by the
# release's VERSION_CODENAME (/etc/os-release).
# Idempotent: prints nothing and changes nothing when all are present.
# Services the packages ship are kept from starting (tests start their own
# instances on loopback ports).
set -eu

# libclang-rt-dev (llvm-defaults) is the sanitizer and fuzzer runtime of
# the release's default clang: 14 on Debian 12, 19 on Debian 13.
BUILD="build-essential pkg-config libssl-dev libcurl4-openssl-dev libjansson-dev
libexpat1-dev libunbound-dev libinih-dev libcmocka-dev clang libclang-rt-dev
openssl ca-certificates curl"
PEERS="prosody lua-sec lua-unbound ejabberd erlang-p1-tls pebble certbot
dehydrated lego unbound ldnsutils nsd python3 python3-aiosmtpd python3-cryptography faketime hyperfine
iproute2 procps psmisc time prometheus inotify-tools debootstrap"
# debootstrap makes the other release's root for its peers:
# scripts/debian-root.sh (trixie on Debian 12, bookworm on 13).
PACKAGING="debhelper devscripts lintian rpm man-db groff-base systemd adduser"

release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}") || release=""
case $release in
bookworm|trixie) ;;
*) echo "deps: ${release:-this system} is neither Debian 12 (bookworm) nor 13 (trixie); trying Debian 13's package names" >&2 ;;
esac

# --packaging adds the packaging tools; --build installs only what the
# build and the unit tests need (CI's Debian 13 run).
want="$BUILD $PEERS ${S2SGUARD_DEPS_EXTRA:-}"
case "${1:-}" in
--packaging) want="$want $PACKAGING" ;;
--build) want="$BUILD" ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi

echo "deps: installing$missing" >&2
# Keep packaged daemons (prosody, ejabberd, unbound, nsd, prometheus) from
# starting: they would take ports 53/5222/5269/9090 that nothing here wants
# them on (prometheus is here for promtool, which tests the alerting rules).
rcd=/usr/sbin/policy-rc.d
made_rcd=0
if [ ! -e "$rcd" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$rcd" && chmod 755 "$rcd" && made_rcd=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || true
rc=0
apt-get install -y -q --no-install-recommends $missing >/dev/null || rc=$?
[ "$made_rcd" -eq 1 ] && rm -f "$rcd"
# Stop any instance that started anyway (no systemd: init scripts).
for svc in prosody ejabberd unbound nsd prometheus; do
	service "$svc" stop >/dev/null 2>&1 || true
done
exit $rc
