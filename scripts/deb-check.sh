#!/usr/bin/env bash
# deb-check.sh - check the Debian packages of make deb.
#
# Usage: scripts/deb-check.sh DEBDIR   (make deb's output, build/deb)
#
# lintian must report no error; each package must hold its files (and no
# other package's), with the project's version; the packages are unpacked
# into a throw-away root where the example compiles against libprotshm-dev
# with pkg-config and without it, and the unpacked protshmctl runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TOP"

(($# == 1)) || usage
DEB=$1
VER=$(<VERSION)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT

# expect PKG FILE... - PKG's .deb exists with VER and contains every FILE.
expect() {
	local pkg=$1 deb list f
	shift
	deb=$(ls "$DEB/${pkg}_${VER}_"*.deb) || fail "no $pkg $VER package"
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
	for f in "$@"; do
		grep -qxF "$f" <<<"$list" || fail "$pkg: no $f"
	done
	if [[ $pkg != protshm-dkms ]] && grep -q '^/usr/src/' <<<"$list"; then
		fail "$pkg: holds /usr/src"
	fi
	dpkg-deb -x "$deb" "$R"
	echo "deb-check: $pkg: $(grep -vc '/$' <<<"$list") files, ok"
}

lintian --fail-on error "$DEB"/*.changes
echo "deb-check: lintian: no error"
expect protshm-dkms "/usr/src/protshm-$VER/dkms.conf" "/usr/src/protshm-$VER/Kbuild" \
	"/usr/src/protshm-$VER/module/main.c" "/usr/src/protshm-$VER/uapi/linux/protshm.h" \
	/usr/share/man/man4/protshm.4.gz
expect libprotshm1 "/usr/lib/$MA/libprotshm.so.$VER" "/usr/lib/$MA/libprotshm.so.1"
expect libprotshm-dev /usr/include/protshm.h /usr/include/protshm/linux/protshm.h \
	"/usr/lib/$MA/libprotshm.so" "/usr/lib/$MA/libprotshm.a" \
	"/usr/lib/$MA/pkgconfig/libprotshm.pc" /usr/share/man/man3/protshm_map.3.gz \
	/usr/share/doc/libprotshm-dev/examples/example.c
expect protshm-tools /usr/bin/protshmctl /usr/share/man/man8/protshmctl.8.gz \
	/usr/share/man/man7/protshm.7.gz /usr/share/bash-completion/completions/protshmctl

grep -qx "PACKAGE_VERSION=\"$VER\"" "$R/usr/src/protshm-$VER/dkms.conf" ||
	fail "dkms.conf: PACKAGE_VERSION is not $VER"
dpkg-deb -I "$DEB/protshm-dkms_${VER}_all.deb" postinst | grep -q 'dkms' ||
	fail "protshm-dkms: postinst does not run dkms"
! readelf -d "$R/usr/bin/protshmctl" | grep -qE 'RUNPATH|RPATH' ||
	fail "protshmctl has a runpath"

ex=$R/usr/share/doc/libprotshm-dev/examples/example.c
# shellcheck disable=SC2046
PKG_CONFIG_PATH=$R/usr/lib/$MA/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R \
	gcc -Wall -Werror -o "$R/ex1" "$ex" $(PKG_CONFIG_PATH=$R/usr/lib/$MA/pkgconfig \
	PKG_CONFIG_SYSROOT_DIR=$R pkg-config --cflags --libs libprotshm)
gcc -Wall -Werror -o "$R/ex2" "$ex" -I"$R/usr/include" -L"$R/usr/lib/$MA" -lprotshm
echo "deb-check: example compiles with pkg-config and without"
LD_LIBRARY_PATH=$R/usr/lib/$MA "$R/usr/bin/protshmctl" -V
