#!/usr/bin/env bash
# extract-ksrc.sh - extract the few kernel-source files protshm needs from
# Debian's linux-source-6.1 tarball: the kselftest harness, checkpatch and
# kernel-doc (selftests, lint), and the test VM's tools (scripts/vm.sh):
# scripts/extract-vmlinux and usr/gen_initramfs.sh with usr/gen_init_cpio,
# which is compiled here from usr/gen_init_cpio.c.
#
# Usage: scripts/extract-ksrc.sh OUTDIR
# Files keep their in-tree relative paths under OUTDIR (e.g.
# OUTDIR/scripts/checkpatch.pl).  OUTDIR/.stamp records the tarball's size and
# mtime; when it matches, nothing is done.  One tar pass (~15 s: xz is the
# cost).  Concurrent runs for one OUTDIR wait for each other (OUTDIR.lock).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
SRCTOP=linux-source-6.1
REQUIRED=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest/runner.sh
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
	scripts/extract-vmlinux
	usr/gen_initramfs.sh
	usr/gen_init_cpio.c
)
OPTIONAL=(tools/testing/selftests/kselftest/prefix.pl)

# tarball_id - "size mtime" of the tarball, the stamp content.
tarball_id() {
	stat -c '%s %Y' "$TARBALL"
}

# up_to_date OUTDIR - true when the stamp matches and every required file is there.
up_to_date() {
	local out=$1 f
	[[ -f $out/.stamp && "$(<"$out/.stamp")" == "$(tarball_id)" ]] || return 1
	for f in "${REQUIRED[@]}" usr/gen_init_cpio; do
		[[ -f $out/$f ]] || return 1
	done
}

# extract OUTDIR - single tar pass; a missing optional member is not an error.
extract() {
	local out=$1 f rc=0 err
	local -a pats=()
	for f in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
		pats+=("$SRCTOP/$f")
	done
	err=$(tar -xJf "$TARBALL" -C "$out" --strip-components=1 --wildcards "${pats[@]}" 2>&1) || rc=$?
	for f in "${REQUIRED[@]}"; do
		[[ -f $out/$f ]] || die "tar failed (rc $rc): $err"
	done
	# Unmatched optional patterns make tar complain; anything else is reported.
	err=$(grep -v -e 'Not found in archive' -e 'Exiting with failure status' <<<"$err" || true)
	[[ -z $err ]] || echo "$err" >&2
}

# build_tools OUTDIR - the host program gen_initramfs.sh runs.
build_tools() {
	${CC:-gcc} -O2 -o "$1/usr/gen_init_cpio" "$1/usr/gen_init_cpio.c" ||
		die "cannot compile $1/usr/gen_init_cpio.c"
}

main() {
	local out start
	(($# == 1)) || usage
	out=$1
	[[ -f $TARBALL ]] || die "$TARBALL missing: the selftests and lint need it (apt-get install linux-source-6.1; or build without them: make module userlib)"
	up_to_date "$out" && return 0
	mkdir -p "$out"
	lock_dir "$out"
	up_to_date "$out" && return 0
	rm -f "$out/.stamp"
	start=$(now)
	extract "$out"
	build_tools "$out"
	tarball_id >"$out/.stamp"
	msg "extracted into $out in $(elapsed "$start") s"
}

main "$@"
