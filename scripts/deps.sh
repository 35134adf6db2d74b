#!/usr/bin/env bash
# deps.sh - make sure every host tool protshm's build and test VM need is installed.
#
# Usage: scripts/deps.sh [packaging]
#   packaging  also the tools of make deb / make dkms-check / the Python
#              binding's pip install (PACKAGING_PACKAGES)
#
# Checks the real presence of each command/file (no stamp file).  When all are
# present it exits 0 silently in well under a second.  Otherwise, as root, it
# runs apt-get update + apt-get install of PACKAGES; as non-root it prints the
# exact sudo command to run and exits 1.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Single list of Debian packages; later issues append here (e.g. linux-image-6.12-amd64).
PACKAGES=(
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static kmod
	libmnl-dev linux-source-6.1 sparse pkg-config xz-utils iproute2 liburing-dev
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	build-essential bc flex bison libelf-dev libssl-dev dwarves python3 gnuplot-nox
	zstd trinity shellcheck
)

# Only with the "packaging" argument (make deb, DKMS and pip checks in CI).
PACKAGING_PACKAGES=(dkms dh-dkms debhelper lintian fakeroot python3-pip
	python3-setuptools python3-wheel)
PACKAGING=0

MISSING=()

# need_cmd NAME... - record each command not found in PATH.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || MISSING+=("$c")
	done
}

# need_sbin NAME... - like need_cmd, but also looks in /usr/sbin and /sbin
# (often not in a non-root PATH).
need_sbin() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c || -x /sbin/$c ]] ||
			MISSING+=("$c")
	done
}

# need_file PATH... - record each path that does not exist.
need_file() {
	local f
	for f in "$@"; do
		[[ -e $f ]] || MISSING+=("$f")
	done
}

# need_pc MODULE... - record each pkg-config module that is not installed.
need_pc() {
	local m
	for m in "$@"; do
		pkg-config --exists "$m" 2>/dev/null || MISSING+=("pkg-config:$m")
	done
}

# need_kernel SERIES - a Debian kernel image of SERIES (6.1, 6.12) plus its
# matching build directory.
need_kernel() {
	local img rel found=0
	for img in /boot/vmlinuz-"$1".*-amd64; do
		[[ -e $img ]] || continue
		rel=${img#/boot/vmlinuz-}
		[[ -e /lib/modules/$rel/build/Makefile ]] && found=1
	done
	((found)) || MISSING+=("/boot/vmlinuz-$1*-amd64 with /lib/modules/<release>/build")
}

# check_all - fill MISSING with everything that is absent.
check_all() {
	need_cmd qemu-system-x86_64 kmod sparse pkg-config xz zstd gcc make \
		bc flex bison pahole gnuplot dpkg-deb apt-get trinity setpriv shellcheck
	need_sbin genl
	need_file /bin/busybox /usr/src/linux-source-6.1.tar.xz /usr/bin/python3 \
		/usr/include/libelf.h /usr/include/openssl/ssl.h
	need_pc libmnl liburing
	need_kernel 6.1
	need_kernel 6.12
	((PACKAGING == 0)) || need_cmd dkms dh_dkms dpkg-buildpackage lintian fakeroot pip3
}

# install_cmd - print the install command line (without sudo).
install_cmd() {
	printf 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s' \
		"${PACKAGES[*]}"
}

# not_debian12 - on another distribution, say what to do instead of apt-get.
not_debian12() {
	local id="" ver=""
	[[ -r /etc/os-release ]] && id=$(. /etc/os-release && echo "${ID:-}") &&
		ver=$(. /etc/os-release && echo "${VERSION_ID:-}")
	[[ $id == debian && $ver == 12 ]] && return 1
	cat >&2 <<-EOF
	$PROG: this is ${id:-an unknown system} ${ver}, not Debian 12: nothing installed.
	  The VM targets (make check, demo, vm, bench, lint...) need Debian 12's
	  packages (QEMU, its 6.1/6.12 kernels, linux-source-6.1): run them on Debian 12.
	  Building and installing on this machine needs no VM stack (see README,
	  "Install on your machine"): a compiler, make, your kernel's headers, libmnl:
	    Fedora:        dnf install gcc make kernel-devel libmnl-devel pkgconf
	    Arch:          pacman -S gcc make linux-headers libmnl pkgconf
	    Ubuntu/Debian: apt-get install build-essential linux-headers-\$(uname -r) libmnl-dev pkg-config
	EOF
}

main() {
	[[ ${1:-} == packaging ]] && PACKAGING=1 && PACKAGES+=("${PACKAGING_PACKAGES[@]}")
	check_all
	((${#MISSING[@]} == 0)) && return 0
	msg "missing: ${MISSING[*]}"
	not_debian12 && exit 1
	if ((EUID != 0)); then
		msg "run as root:"
		echo "sudo sh -c '$(install_cmd)'"
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
	MISSING=()
	check_all
	if ((${#MISSING[@]})); then
		die "still missing after install: ${MISSING[*]}"
	fi
}

main "$@"
