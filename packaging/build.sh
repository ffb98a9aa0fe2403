#!/bin/sh
# packaging/build.sh deb|rpm|tarball: build a package from the source tree
# into build/pkg/. The sources are what git tracks, with uncommitted
# changes to tracked files included (`git stash create`), archived with
# `git archive`; outside a git checkout, the directory minus build/.
#   deb:     dpkg-buildpackage -b -us -uc on Debian (packaging/debian)
#   rpm:     rpmbuild -bb with packaging/rpm/s2sguard.spec; on a system
#            without RPM packaging (Debian) with --nodeps
#   tarball: build/pkg/s2sguard-VERSION.tar.gz only
# Prints the path of each package built.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
what=${1:?usage: packaging/build.sh deb|rpm|tarball}
version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
out=$top/build/pkg
name=s2sguard-$version
mkdir -p "$out"

make_tarball() {
	rm -f "$out/$name.tar.gz"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		tree=$(git stash create 2>/dev/null || true)
		git archive --format=tar.gz --prefix="$name/" -o "$out/$name.tar.gz" "${tree:-HEAD}"
	else
		tar --exclude=./build -czf "$out/$name.tar.gz" --transform "s,^\.,$name," .
	fi
}

case $what in
tarball)
	make_tarball
	echo "$out/$name.tar.gz"
	;;
deb)
	make_tarball
	src=$out/deb
	rm -rf "$src" && mkdir -p "$src"
	tar -xzf "$out/$name.tar.gz" -C "$src"
	cp -R "$src/$name/packaging/debian" "$src/$name/debian"
	(cd "$src/$name" && dpkg-buildpackage -b -us -uc) > "$out/deb-build.log" 2>&1 || {
		tail -n 60 "$out/deb-build.log" >&2
		echo "packaging/build.sh: dpkg-buildpackage failed; log: $out/deb-build.log" >&2
		exit 1
	}
	ls "$src"/s2sguard_*.deb
	;;
rpm)
	make_tarball
	rt=$out/rpm
	rm -rf "$rt" && mkdir -p "$rt/SOURCES"
	cp "$out/$name.tar.gz" "$rt/SOURCES/"
	nodeps=""
	# Debian's rpm cannot see dpkg's packages: skip BuildRequires there.
	[ -e /etc/debian_version ] && nodeps=--nodeps
	rpmbuild -bb $nodeps --define "_topdir $rt" packaging/rpm/s2sguard.spec \
		> "$out/rpm-build.log" 2>&1 || {
		tail -n 60 "$out/rpm-build.log" >&2
		echo "packaging/build.sh: rpmbuild failed; log: $out/rpm-build.log" >&2
		exit 1
	}
	# not the -debuginfo/-debugsource packages rpm 4.20 (Debian 13) adds
	find "$rt/RPMS" -name '*.rpm' ! -name '*-debuginfo-*' ! -name '*-debugsource-*'
	;;
*)
	echo "usage: packaging/build.sh deb|rpm|tarball" >&2
	exit 64
	;;
esac
