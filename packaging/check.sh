#!/bin/sh
# packaging/check.sh (make package-check): build the packages and check
# them the way an admin would meet them. As root on Debian 12 (CI):
#
#   versions agree (Makefile, debian/changelog, RPM spec)
#   the .deb builds (dpkg-buildpackage -b -us -uc) and lintian finds no error
#   dpkg -i works; postinst made the s2sguard user, /var/lib/s2sguard 0750,
#     the conffile 0640, enabled the timer, did not touch certbot, and
#     printed s2sguard-doctor's summary
#   every installed binary answers --version and --help
#   systemd-analyze verify accepts the installed units
#   man shows every installed page without a warning
#   enable-certbot-hook links and unlinks certbot's deploy hook
#   it recommends dns-root-data; without it the hook's report warns, with
#     it the hook does the DNSSEC-validated TLSA lookup (dane = hold default)
#   dpkg --remove/--purge name the ACME client hooks still calling s2sguard
#   rpmbuild -bb builds the RPM (--nodeps on Debian)
#   dpkg --purge leaves nothing behind outside the state directory
#
# Without root, the install steps are skipped. It prints one line per
# check and a summary; it is not a test suite for tests/run, and its
# summary deliberately differs from "N passed, N failed" (CI runs it
# before `make check`, whose line is the last one).
set -u
cd "$(dirname "$0")/.." || exit 99
top=$(pwd)
out=$top/build/pkg
mkdir -p "$out"
log=$out/check.log
: > "$log"
rm -f "$out/fs-before.txt"
start_all=$(date +%s)
npass=0 nfail=0 nskip=0 failed=""

ok() { npass=$((npass + 1)); echo "ok   $*"; }
bad() { nfail=$((nfail + 1)); failed="$failed
  $1"; echo "FAIL $*"; }
skipped() { nskip=$((nskip + 1)); echo "skip $*"; }
# step NAME CMD...: run CMD with output to the log; ok or FAIL with its tail
step() {
	_name=$1; shift
	_t0=$(date +%s)
	echo "== $_name: $*" >> "$log"
	if "$@" >> "$log" 2>&1; then
		ok "$_name ($(( $(date +%s) - _t0 ))s)"
	else
		bad "$_name" "(exit $?)"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
deb_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version 2>/dev/null)
rpm_version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/s2sguard.spec)
if [ "$version" = "$deb_version" ] && [ "$version" = "$rpm_version" ]; then
	ok "versions agree: $version"
else
	bad "versions" "Makefile $version, debian/changelog $deb_version, spec $rpm_version"
fi

# --- the .deb -------------------------------------------------------------
t0=$(date +%s)
deb=$(sh packaging/build.sh deb 2>>"$log")
if [ -n "$deb" ] && [ -f "$deb" ]; then
	ok "dpkg-buildpackage -b -us -uc ($(( $(date +%s) - t0 ))s)"
else
	bad "dpkg-buildpackage" "(log: $out/deb-build.log)"
	tail -n 30 "$out/deb-build.log" 2>/dev/null | sed 's/^/    /'
	deb=""
fi

if [ -n "$deb" ]; then
	t0=$(date +%s)
	lintian --fail-on error --display-info "$deb" > "$out/lintian.txt" 2>&1
	lrc=$?
	grep -v 'running with root privileges' "$out/lintian.txt" | sed 's/^/    lintian: /'
	nwarn=$(grep -c '^W: ' "$out/lintian.txt")
	if [ "$lrc" -eq 0 ] && ! grep -q '^E: ' "$out/lintian.txt"; then
		ok "lintian: no errors, $nwarn warnings ($(( $(date +%s) - t0 ))s)"
	else
		bad "lintian" "(errors above)"
	fi
fi

# --- make install / uninstall into a DESTDIR ------------------------------
check_make_install() {
	src=$(ls -d build/pkg/deb/s2sguard-*/ 2>/dev/null | head -n 1)
	[ -n "$src" ] || { bad "make install: no unpacked source tree"; return; }
	d=$(mktemp -d)
	if ! make -C "$src" install DESTDIR="$d" >> "$log" 2>&1; then
		bad "make install DESTDIR" "(see $log)"; rm -rf "$d"; return
	fi
	p=$d/usr/local
	n_bin=$(ls "$p/bin" | grep -c '^s2sguard-')
	n_src=$(ls "$src"build/ | grep -c '^s2sguard-')
	[ "$n_bin" -ge 1 ] && [ "$n_bin" -eq "$n_src" ] && ok "make install: $n_bin binaries in PREFIX/bin" ||
		bad "make install: $n_bin binaries in $p/bin, built $n_src"
	[ -f "$p/share/man/man1/s2sguard-inspect.1" ] && ok "make install: man pages in share/man/man1" ||
		bad "make install: no man pages in $p/share/man/man1"
	[ -x "$p/share/s2sguard/enable-certbot-hook" ] && ok "make install: share/s2sguard/enable-certbot-hook" ||
		bad "make install: no enable-certbot-hook"
	u=$p/lib/systemd/system/s2sguard-check.service
	grep -qx 'ExecStart=/usr/local/bin/s2sguard-check' "$u" 2>/dev/null &&
		grep -qx 'ReadWritePaths=/usr/local/var/lib/s2sguard' "$u" &&
		ok "make install: unit names PREFIX's binary and state directory" ||
		bad "make install: unit paths not substituted in $u"
	[ "$(stat -c %a "$p/var/lib/s2sguard" 2>/dev/null)" = 750 ] &&
		ok "make install: localstatedir/lib/s2sguard 0750" || bad "make install: no state directory 0750"
	conf=$p/etc/s2sguard/s2sguard.conf
	if [ -f "$src/templates/s2sguard.conf" ]; then
		[ "$(stat -c %a "$conf" 2>/dev/null)" = 640 ] && ok "make install: sysconfdir/s2sguard/s2sguard.conf 0640" ||
			bad "make install: no s2sguard.conf 0640 in $p/etc/s2sguard"
		echo "# edited by the admin" >> "$conf"
		make -C "$src" install DESTDIR="$d" >> "$log" 2>&1
		tail -n 1 "$conf" | grep -q 'edited by the admin' &&
			ok "make install: keeps an existing s2sguard.conf" || bad "make install overwrote s2sguard.conf"
		if grep -l '/usr/local/etc/s2sguard/s2sguard.conf' "$p"/bin/* >/dev/null 2>&1; then
			ok "make install: binaries rebuilt for PREFIX's configuration path"
		else
			bad "make install: no binary names /usr/local/etc/s2sguard/s2sguard.conf (built for /etc?)"
		fi
	else
		skipped "make install configuration: templates/s2sguard.conf not in the tree yet"
	fi
	make -C "$src" uninstall DESTDIR="$d" >> "$log" 2>&1
	left=$(cd "$d" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
	want=""
	[ -f "$src/templates/s2sguard.conf" ] && want="./usr/local/etc/s2sguard/s2sguard.conf "
	[ "$left" = "$want" ] && [ -d "$p/var/lib/s2sguard" ] &&
		ok "make uninstall: leaves only the configuration and the state directory" ||
		bad "make uninstall left: '$left'"
	rm -rf "$d"
	# the source tree is reused by nothing else; put its build back as it was
}

if [ -n "$deb" ]; then
	check_make_install
fi

# --- install, use, purge --------------------------------------------------
# Where a package and its maintainer scripts write (not /srv, /opt, /home:
# on a shared machine other people's work changes those meanwhile), minus
# paths an install may legitimately change that purge need not restore.
snapshot() {
	find /etc /usr /lib /var -xdev 2>/dev/null |
		grep -Ev '^/var/(lib/dpkg|lib/apt|cache|log|tmp|backups|mail|spool)(/|$)' |
		grep -Ev '^/var/lib/s2sguard(/|$)' |
		grep -Ev '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?$' |
		grep -Ev '^/etc/(ld\.so\.cache|\.pwd\.lock)$' | LC_ALL=C sort
}

check_installed() {
	# postinst
	getent passwd s2sguard >/dev/null && ok "postinst: system user s2sguard" ||
		bad "postinst: no s2sguard user"
	m=$(stat -c '%a %U' /var/lib/s2sguard 2>/dev/null)
	[ "$m" = "750 root" ] && ok "postinst: /var/lib/s2sguard 0750 root" ||
		bad "postinst: /var/lib/s2sguard is '$m', want '750 root'"
	if [ -f templates/s2sguard.conf ]; then
		m=$(stat -c '%a %U' /etc/s2sguard/s2sguard.conf 2>/dev/null)
		[ "$m" = "640 root" ] && ok "conffile /etc/s2sguard/s2sguard.conf 0640" ||
			bad "conffile mode '$m', want '640 root'"
		grep -qx /etc/s2sguard/s2sguard.conf /var/lib/dpkg/info/s2sguard.conffiles 2>/dev/null &&
			ok "s2sguard.conf is a conffile" || bad "s2sguard.conf is not a conffile"
		grep -qx 'probe_user = s2sguard' /etc/s2sguard/s2sguard.conf &&
			ok "s2sguard.conf: probe_user = s2sguard" ||
			bad "s2sguard.conf does not set probe_user = s2sguard (template changed? see debian/rules)"
	else
		skipped "conffile: templates/s2sguard.conf not in the tree yet"
	fi
	[ -L /etc/systemd/system/timers.target.wants/s2sguard-check.timer ] &&
		ok "postinst: s2sguard-check.timer enabled" || bad "postinst: timer not enabled"
	grep -q '^s2sguard-doctor: [0-9]* ok, .*(run s2sguard-doctor for the details)$' "$log" &&
		ok "postinst: printed the doctor's summary" ||
		bad "postinst: no 's2sguard-doctor: N ok, ...' line in the dpkg -i output"
	[ ! -e /etc/letsencrypt/renewal-hooks/deploy/00-s2sguard ] &&
		ok "postinst: certbot hook not enabled without opt-in" ||
		bad "postinst: certbot hook link exists after install"

	# binaries
	bins=$(dpkg -L s2sguard | grep '^/usr/bin/s2sguard-')
	[ -n "$bins" ] || bad "no binaries installed"
	for b in $bins; do
		n=${b##*/}
		v=$("$b" --version 2>&1); rc=$?
		[ "$rc" -eq 0 ] && [ "$v" = "$n $version" ] && ok "$n --version: $v" ||
			bad "$n --version" "exit $rc, '$v', want '$n $version'"
		h=$("$b" --help 2>&1); rc=$?
		[ "$rc" -eq 0 ] && printf '%s' "$h" | grep -q -- '--version' && ok "$n --help" ||
			bad "$n --help" "exit $rc or no --version in: $(printf '%s' "$h" | head -n 3)"
	done

	# units
	units=$(dpkg -L s2sguard | grep -E '^(/usr)?/lib/systemd/system/.*\.(service|timer)$')
	if [ -z "$units" ]; then
		bad "no systemd units installed"
	elif [ ! -x /usr/bin/s2sguard-check ]; then
		skipped "systemd-analyze verify: s2sguard-check not built yet (ExecStart must exist)"
	else
		# Documentation= names every page; until s2sguard.conf(5) exists,
		# verify without looking them up.
		man_opt=""
		if [ ! -f doc/s2sguard.conf.5 ]; then
			man_opt=--man=no
			skipped "systemd-analyze verify of Documentation=: s2sguard.conf(5) not written yet"
		fi
		v=$(systemd-analyze verify $man_opt $units 2>&1); rc=$?
		[ "$rc" -eq 0 ] && [ -z "$v" ] && ok "systemd-analyze verify $(echo $units)" ||
			{ bad "systemd-analyze verify" "exit $rc:"; echo "$v" | sed 's/^/    /'; }
	fi

	# man pages
	pages=$(dpkg -L s2sguard | grep -E '^/usr/share/man/man[0-9]/.+\.[0-9]')
	for p in $pages; do
		w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
		[ -z "$w" ] && ok "man ${p##*/}" || { bad "man ${p##*/}" "warnings:"; echo "$w" | sed 's/^/    /'; }
	done
	for b in $bins; do
		n=${b##*/}
		printf '%s\n' "$pages" | grep -q "/$n\.1" && ok "man page for $n" || bad "no man page for $n"
	done

	# certbot opt-in
	e=/usr/share/s2sguard/enable-certbot-hook
	cd_=$(mktemp -d)
	if [ -x "$e" ] && [ -x /usr/bin/s2sguard-hook ]; then
		"$e" --config-dir "$cd_" >> "$log" 2>&1 &&
			[ "$(readlink "$cd_/renewal-hooks/deploy/00-s2sguard")" = /usr/bin/s2sguard-hook ] &&
			"$e" --config-dir "$cd_" --disable >> "$log" 2>&1 &&
			[ ! -e "$cd_/renewal-hooks/deploy/00-s2sguard" ] &&
			ok "enable-certbot-hook: links and unlinks" || bad "enable-certbot-hook"
		# the real one, so that purge has a link to remove
		made_hookdir=0
		if [ -d /etc/letsencrypt ] && [ ! -e /etc/letsencrypt/renewal-hooks/deploy/00-s2sguard ]; then
			[ -d /etc/letsencrypt/renewal-hooks ] || made_hookdir=1
			"$e" >> "$log" 2>&1 && made_link=1 || bad "enable-certbot-hook in /etc/letsencrypt"
		fi
	elif [ -x "$e" ]; then
		"$e" --config-dir "$cd_" > "$cd_/out" 2>&1
		[ $? -ne 0 ] && grep -q 'not found' "$cd_/out" &&
			ok "enable-certbot-hook: refuses without s2sguard-hook" ||
			bad "enable-certbot-hook without s2sguard-hook"
		skipped "enable-certbot-hook link: s2sguard-hook not built yet"
	else
		bad "$e not installed"
	fi
	rm -rf "$cd_"
}

# DANE on a plain install (dane = hold is the default): the package
# Recommends dns-root-data, so `apt install` brings the root trust anchor;
# when it is missing (--no-install-recommends) every hook report warns.
# With the anchor, the installed hook does the DNSSEC-validated TLSA
# lookup: offline, through a loopback resolver that does not answer, it
# gets as far as asking it for the root DNSKEY to validate.
dane_hook() {
	/usr/bin/s2sguard-hook --config "$dd/c.conf" --dry-run --verbose --json \
		--cert "$dd/x.crt" --key "$dd/x.key" --domain xmpp.example.test > "$dd/$1.json" 2> "$dd/$1.err"
	cat "$dd/$1.err" >> "$log"
}

check_dane_anchor() {
	dpkg-deb -f "$deb" Recommends | grep -qw dns-root-data &&
		ok "Recommends: dns-root-data (the DNSSEC trust anchor for dane = hold)" ||
		bad "the package does not recommend dns-root-data"
	anchor_was=present
	[ -e /usr/share/dns/root.key ] || anchor_was=absent
	case $apt_sim in
	yes) ok "apt install of the .deb installs dns-root-data" ;;
	no) bad "apt install of the .deb would not install dns-root-data" ;;
	esac
	dd=$(mktemp -d)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=xmpp.example.test -addext subjectAltName=DNS:xmpp.example.test \
		-keyout "$dd/x.key" -out "$dd/x.crt" 2>>"$log"
	closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	cat > "$dd/c.conf" <<CONF
[s2sguard]
state_dir = $dd/state
dane_resolver = 127.0.0.1@$closed

[domain xmpp.example.test]
target = files
cert = $dd/srv/x.crt
key = $dd/srv/x.key
probe = never
CONF
	if [ "$anchor_was" = absent ]; then
		dane_hook without
		grep -q 'trust anchor /usr/share/dns/root.key is missing' "$dd/without.json" &&
			ok "without dns-root-data the hook's report warns that TLSA records go unchecked" ||
			bad "no trust anchor warning in the report without dns-root-data"
		apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends dns-root-data >> "$log" 2>&1 ||
			bad "apt-get install dns-root-data"
	fi
	dane_hook with
	if grep -Eq 'DNSSEC check of the resolver|root DNSKEY' "$dd/with.err" && ! grep -q 'trust anchor' "$dd/with.json"; then
		ok "with dns-root-data a plain install validates TLSA lookups (root DNSKEY checked)"
	else
		bad "with dns-root-data the hook did not attempt the DNSSEC-validated TLSA lookup:"
		sed 's/^/    /' "$dd/with.err" | grep -i dane
	fi
	[ "$anchor_was" = absent ] && apt-get -o DPkg::Lock::Timeout=300 purge -y -q dns-root-data >> "$log" 2>&1
	rm -rf "$dd"
}

# Hooks left behind: on remove and purge, postrm names every ACME client
# hook that still runs s2sguard-hook (certbot renewal conf, dehydrated
# HOOK=, root's acme.sh Le_ReloadCmd, a lego cron job). The files are
# made here for the check and removed right after.
fake_hooks_make() {
	fake_made=""
	[ -d /etc/letsencrypt/renewal ] || { mkdir -p /etc/letsencrypt/renewal; fake_made="$fake_made /etc/letsencrypt/renewal"; }
	echo 'renew_hook = /usr/bin/s2sguard-hook' > /etc/letsencrypt/renewal/s2sguard-pkgcheck.test.conf
	[ -d /etc/dehydrated/conf.d ] || { mkdir -p /etc/dehydrated/conf.d; fake_made="$fake_made /etc/dehydrated/conf.d /etc/dehydrated"; }
	echo 'HOOK=/usr/bin/s2sguard-hook' > /etc/dehydrated/conf.d/s2sguard-pkgcheck.sh
	ah=$(getent passwd root | cut -d: -f6)/.acme.sh
	[ -d "$ah" ] || fake_made="$fake_made $ah"
	mkdir -p "$ah/s2sguard-pkgcheck.test_ecc"
	printf "Le_Domain='s2sguard-pkgcheck.test'\nLe_ReloadCmd='__ACME_BASE64__START_%s__ACME_BASE64__END_'\n" \
		"$(printf '%s' 's2sguard-hook -- systemctl reload prosody' | base64 -w0)" \
		> "$ah/s2sguard-pkgcheck.test_ecc/s2sguard-pkgcheck.test.conf"
	# a date that never comes: Feb 31
	echo '0 3 31 2 * root lego --path /nonexistent renew --renew-hook /usr/bin/s2sguard-hook' \
		> /etc/cron.d/s2sguard-pkgcheck
}

fake_hooks_remove() {
	rm -f /etc/letsencrypt/renewal/s2sguard-pkgcheck.test.conf /etc/dehydrated/conf.d/s2sguard-pkgcheck.sh \
		/etc/cron.d/s2sguard-pkgcheck
	rm -rf "$ah/s2sguard-pkgcheck.test_ecc"
	for d in $fake_made; do rmdir "$d" 2>/dev/null; done
}

# check_postrm_names FILE WHEN: postrm's output in FILE names each hook
check_postrm_names() {
	for want in 'certbot .*/etc/letsencrypt/renewal/s2sguard-pkgcheck.test.conf' \
	    'dehydrated .*/etc/dehydrated/conf.d/s2sguard-pkgcheck.sh' \
	    'acme.sh .*s2sguard-pkgcheck.test.conf.*acme.sh --install-cert -d s2sguard-pkgcheck.test --reloadcmd "systemctl reload prosody"' \
	    'cron/unit .*/etc/cron.d/s2sguard-pkgcheck'; do
		grep -q -- "$want" "$1" && ok "postrm on $2 names: ${want%% *}" ||
			{ bad "postrm on $2 does not name the ${want%% *} hook"; sed 's/^/    /' "$1"; }
	done
}

check_purged() {
	dpkg-query -W -f='${Status}' s2sguard 2>/dev/null | grep -q 'not-installed' ||
		[ -z "$(dpkg-query -W -f='${Status}' s2sguard 2>/dev/null)" ] ||
		bad "dpkg still knows s2sguard after purge"
	[ ! -e /var/lib/s2sguard ] && ok "purge removed /var/lib/s2sguard" ||
		bad "/var/lib/s2sguard left after purge"
	[ ! -L /etc/letsencrypt/renewal-hooks/deploy/00-s2sguard ] &&
		ok "purge removed the certbot hook link" || bad "certbot hook link left after purge"
	if [ "${made_hookdir:-0}" -eq 1 ]; then
		# made by enable-certbot-hook (as certbot makes them), not the package
		rmdir /etc/letsencrypt/renewal-hooks/deploy /etc/letsencrypt/renewal-hooks 2>/dev/null
	fi
	snapshot > "$out/fs-after.txt"
	LC_ALL=C comm -13 "$out/fs-before.txt" "$out/fs-after.txt" > "$out/fs-left.txt"
	if [ -s "$out/fs-left.txt" ]; then
		bad "purge left files behind:"; sed 's/^/    /' "$out/fs-left.txt" | head -n 40
	else
		ok "purge left nothing outside the state directory"
	fi
	getent passwd s2sguard >/dev/null && echo "note the s2sguard system user stays after purge (Debian practice)"
}

if [ -z "$deb" ]; then
	skipped "install checks: no .deb"
elif [ "$(id -u)" -ne 0 ]; then
	skipped "install checks: not root"
else
	# No apt run (nor another package-check) while the file system is compared.
	exec 9>/tmp/s2s-apt.lock
	flock 9
	if dpkg-query -W -f='${Status}' s2sguard 2>/dev/null | grep -q 'ok installed'; then
		bad "s2sguard is installed already: package-check installs and purges it; dpkg --purge s2sguard first"
	else
		snapshot > "$out/fs-before.txt"
		# what a plain `apt install ./s2sguard.deb` would bring (before dpkg -i)
		apt_sim=present
		if [ ! -e /usr/share/dns/root.key ]; then
			apt_sim=no
			apt-get -s install "$deb" 2>>"$log" | grep -q '^Inst dns-root-data ' && apt_sim=yes
		fi
		step "dpkg -i" dpkg -i "$deb"
	fi
	if [ -f "$out/fs-before.txt" ] && dpkg-query -W -f='${Status}' s2sguard 2>/dev/null | grep -q 'ok installed'; then
		check_installed
		check_dane_anchor
		# something in the state directory, as after a real run
		echo '{}' > /var/lib/s2sguard/check.json
		fake_hooks_make
		echo "== dpkg --remove s2sguard" >> "$log"
		if dpkg --remove s2sguard > "$out/remove.txt" 2>&1; then ok "dpkg --remove"; else bad "dpkg --remove"; fi
		cat "$out/remove.txt" >> "$log"
		check_postrm_names "$out/remove.txt" remove
		[ -f /var/lib/s2sguard/check.json ] && [ -f /etc/s2sguard/s2sguard.conf ] &&
			ok "remove keeps the state and the configuration" ||
			bad "remove lost the state or the configuration"
		if [ "${made_link:-0}" -eq 1 ]; then
			[ -L /etc/letsencrypt/renewal-hooks/deploy/00-s2sguard ] &&
				ok "remove keeps the admin's certbot hook link" ||
				bad "remove dropped the certbot hook link"
		fi
		echo "== dpkg --purge s2sguard" >> "$log"
		if dpkg --purge s2sguard > "$out/purge.txt" 2>&1; then ok "dpkg --purge"; else bad "dpkg --purge"; fi
		cat "$out/purge.txt" >> "$log"
		check_postrm_names "$out/purge.txt" purge
		fake_hooks_remove
		check_purged
	fi
	flock -u 9
	exec 9>&-
fi

# --- the RPM --------------------------------------------------------------
if command -v rpmbuild >/dev/null 2>&1; then
	t0=$(date +%s)
	rpm_file=$(sh packaging/build.sh rpm 2>>"$log")
	if [ -n "$rpm_file" ] && [ -f "$rpm_file" ]; then
		ok "rpmbuild -bb ($(( $(date +%s) - t0 ))s)"
		n_rpm=$(rpm -qlp "$rpm_file" 2>/dev/null | grep -c '^/usr/bin/s2sguard-')
		n_src=$(ls build/pkg/deb/s2sguard-*/build/s2sguard-* 2>/dev/null | wc -l)
		[ "$n_rpm" -ge 1 ] && [ "$n_rpm" -eq "$n_src" ] && ok "RPM holds all $n_rpm binaries" ||
			bad "RPM holds $n_rpm binaries, the build made $n_src"
	else
		bad "rpmbuild" "(log: $out/rpm-build.log)"
		tail -n 30 "$out/rpm-build.log" 2>/dev/null | sed 's/^/    /'
	fi
else
	bad "rpmbuild not installed (make deps DEPS_FLAGS=--packaging)"
fi

secs=$(( $(date +%s) - start_all ))
[ -n "$failed" ] && echo "package-check failures:$failed"
if [ "$nfail" -eq 0 ]; then
	echo "package-check: all $npass checks ok, $nskip skipped, in ${secs}s"
else
	echo "package-check: $nfail of $((npass + nfail)) checks FAILED, in ${secs}s (log: $log)"
fi
[ "$nfail" -eq 0 ]
