#!/usr/bin/env bash
# deps.sh - make sure every host tool protshm's build and test VM need is installed.
#
# Usage: scripts/deps.sh
#
# Checks the real presence of each command/file (no stamp file).  When all are
# present it exits 0 silently in well under a second.  Otherwise, as root, it
# runs apt-get update + apt-get install of PACKAGES; as non-root it prints the
# exact sudo command to run and exits 1.
set -euo pipefail

# Single list of Debian packages; later issues append here (e.g. linux-image-6.12-amd64).
PACKAGES=(
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio kmod
	libmnl-dev linux-source-6.1 sparse pkg-config xz-utils iproute2 liburing-dev
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	build-essential bc flex bison libelf-dev libssl-dev dwarves python3 gnuplot-nox
	trinity
)

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
	need_cmd qemu-system-x86_64 cpio kmod sparse pkg-config xz gcc make \
		bc flex bison pahole gnuplot trinity setpriv
	need_sbin genl
	need_file /bin/busybox /usr/src/linux-source-6.1.tar.xz /usr/bin/python3 \
		/usr/include/libelf.h /usr/include/openssl/ssl.h
	need_pc libmnl liburing
	need_kernel 6.1
	need_kernel 6.12
}

# install_cmd - print the install command line (without sudo).
install_cmd() {
	printf 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s' \
		"${PACKAGES[*]}"
}

main() {
	check_all
	((${#MISSING[@]} == 0)) && return 0
	echo "deps.sh: missing: ${MISSING[*]}" >&2
	if ((EUID != 0)); then
		echo "deps.sh: run as root:" >&2
		echo "sudo sh -c '$(install_cmd)'"
		exit 1
	fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
	MISSING=()
	check_all
	if ((${#MISSING[@]})); then
		echo "deps.sh: still missing after install: ${MISSING[*]}" >&2
		exit 1
	fi
}

main "$@"
