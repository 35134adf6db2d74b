#!/usr/bin/env bash
# kernel.sh - resolve a kernel selector to the release, image or module build dir.
#
# Usage: scripts/kernel.sh [SELECTOR] WHAT
#   SELECTOR  6.1   newest installed /boot/vmlinuz-6.1.*-amd64 (default)
#             6.12  newest installed /boot/vmlinuz-6.12*-amd64
#             7.2   Debian sid's 7.2 kernel (scripts/sid-kernel.sh): image,
#                   brd.ko and a prepared module build tree, fetched with a
#                   private apt state and cached on first use (~2 min)
#             debug the debug 6.1 kernel of scripts/debug-kernel.sh (KASAN,
#                   lockdep, kmemleak...), built and cached on first use
#                   (~20 min on 2 cores; progress on stderr)
#             debug-7.2  the same debug configuration on sid's 7.2 source
#             PATH  a kernel image (bzImage/vmlinuz) or a kernel build tree
#                   containing arch/x86/boot/bzImage.  For an image file the
#                   build dir must be given in env KDIR; for a tree, KDIR
#                   defaults to the tree itself.
#   WHAT      release  e.g. 6.1.0-56-amd64
#             image    path of the kernel image to boot
#             kdir     module build dir (/lib/modules/<release>/build)
#             modules  directory of the kernel's modules (kernel/drivers/...),
#                      /lib/modules/<release> for an installed kernel
# Prints the answer on stdout; on failure prints an error on stderr, exits 1.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RELEASE="" IMAGE="" KDIR_OUT="" MODDIR=""

# newest_boot_image GLOB - newest (version-sorted) existing /boot image matching GLOB.
newest_boot_image() {
	local glob=$1 f
	local -a found=()
	for f in $glob; do
		[[ -e $f ]] && found+=("$f")
	done
	((${#found[@]})) || return 1
	printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# resolve_debian GLOB PKGHINT - a packaged Debian kernel from /boot.
resolve_debian() {
	local glob=$1 hint=$2
	IMAGE=$(newest_boot_image "$glob") ||
		die "no kernel matching $glob installed (apt-get install $hint)"
	RELEASE=${IMAGE#/boot/vmlinuz-}
	KDIR_OUT=/lib/modules/$RELEASE/build
}

# image_version IMAGE - release string embedded in an x86 bzImage header.
image_version() {
	local img=$1 off
	# setup header: u16 kernel_version at 0x20e, pointer relative to 0x200.
	off=$(od -An -tu2 -j $((0x20e)) -N2 "$img" | tr -d ' ')
	[[ -n $off && $off != 0 ]] || return 1
	dd if="$img" bs=1 skip=$((off + 0x200)) count=128 status=none |
		tr '\0' '\n' | head -n 1 | cut -d' ' -f1
}

# resolve_path PATH - a kernel image file or a kernel build tree.
resolve_path() {
	local p=$1
	if [[ -d $p ]]; then
		IMAGE=$p/arch/x86/boot/bzImage
		[[ -f $IMAGE ]] || die "$p: no arch/x86/boot/bzImage (kernel not built?)"
		KDIR_OUT=${KDIR:-$p}
	elif [[ -f $p ]]; then
		IMAGE=$p
		KDIR_OUT=${KDIR:-}
	else
		die "unknown kernel selector '$p' (use 6.1, 6.12, 7.2, debug, debug-7.2 or a path)"
	fi
	if [[ -n $KDIR_OUT && -f $KDIR_OUT/include/config/kernel.release ]]; then
		RELEASE=$(<"$KDIR_OUT/include/config/kernel.release")
	else
		RELEASE=$(image_version "$IMAGE") || RELEASE=""
	fi
}

# resolve_debug - the debug kernel's build tree (built now if not cached).
resolve_debug() {
	local tree
	tree=$("$HERE/debug-kernel.sh") || die "building the debug kernel failed"
	resolve_path "$tree"
}

# resolve_sid SERIES - Debian sid's kernel of SERIES (fetched now if not cached).
resolve_sid() {
	local dir
	dir=$("$HERE/sid-kernel.sh" "$1") || die "getting Linux $1 from Debian sid failed"
	IMAGE=$dir/vmlinuz
	RELEASE=$(<"$dir/release")
	KDIR_OUT=$dir/linux-source-$1
	MODDIR=$dir/modules
}

# resolve_debug_sid SERIES - the debug kernel built from sid's SERIES source.
resolve_debug_sid() {
	local dir tree
	dir=$("$HERE/sid-kernel.sh" "$1") || die "getting Linux $1 from Debian sid failed"
	tree=$(KSRC_TARBALL=$dir/linux-source-$1.tar.xz "$HERE/debug-kernel.sh") ||
		die "building the $1 debug kernel failed"
	resolve_path "$tree"
}

# resolve SELECTOR - set IMAGE, RELEASE and KDIR_OUT.  One case branch per selector.
resolve() {
	case $1 in
	6.1) resolve_debian '/boot/vmlinuz-6.1.*-amd64' linux-image-amd64 ;;
	6.12) resolve_debian '/boot/vmlinuz-6.12*-amd64' linux-image-6.12-amd64 ;;
	7.2) resolve_sid 7.2 ;;
	debug) resolve_debug ;;
	debug-7.2) resolve_debug_sid 7.2 ;;
	*) resolve_path "$1" ;;
	esac
}

# print_what WHAT - print the requested item, checking that it exists.
print_what() {
	case $1 in
	release)
		[[ -n $RELEASE ]] || die "cannot determine kernel release of $IMAGE"
		echo "$RELEASE"
		;;
	image) echo "$IMAGE" ;;
	kdir)
		[[ -n $KDIR_OUT ]] || die "no build dir for $IMAGE: set KDIR"
		[[ -e $KDIR_OUT/Makefile ]] ||
			die "$KDIR_OUT: missing kernel build dir (install linux-headers-$RELEASE)"
		echo "$KDIR_OUT"
		;;
	modules)
		[[ -n $MODDIR || -n $RELEASE ]] || die "cannot determine kernel release of $IMAGE"
		echo "${MODDIR:-/lib/modules/$RELEASE}"
		;;
	*) die "unknown item '$1' (release, image, kdir or modules)" ;;
	esac
}

main() {
	local sel=6.1
	(($# == 1 || $# == 2)) || usage
	(($# == 2)) && { sel=$1; shift; }
	resolve "$sel"
	print_what "$1"
}

main "$@"
