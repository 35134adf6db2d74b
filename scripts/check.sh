#!/usr/bin/env bash
# check.sh - run the protshm kselftest suite in the test VM and summarise it.
#
# Usage: scripts/check.sh --kernel SEL --build DIR --ko PATH [--name NAME]
#   NAME names the VM build dir (DIR/vm/NAME) and the TAP file (DIR/NAME.tap);
#   default check-SEL.
#
# Boots the selected kernel with the module loaded, runs
# selftests/protshm/run_kselftest.sh (TAP 13) and prints the totals of the
# individual test cases as "protshm: N passed, N failed, N skipped".  Exits
# non-zero if a test failed, the VM timed out or died, or the guest kernel
# logged a BUG/WARNING/Oops/KASAN/lockdep report (see scripts/vm.sh).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KSEL=${KERNEL:-6.1} BUILD=build KO="" NAME=""
DIE_STATUS=2

parse_opts --kernel=KSEL --build=BUILD --ko=KO --name=NAME -- "$@"
[[ -f $KO ]] || die "no module at '$KO' (run make first)"

# stage_brd DIR - copy the kernel's brd.ko (a RAM block device: the O_DIRECT
# escape test needs a block device) to DIR, if the kernel has one as a module.
stage_brd() {
	local moddir ko
	rm -rf "$1" && mkdir -p "$1"
	moddir=$("$HERE/kernel.sh" "$KSEL" modules 2>/dev/null) || return 0
	for ko in "$moddir"/kernel/drivers/block/brd.ko{,.xz,.zst}; do
		[[ ! -f $ko ]] || { decompress "$ko" >"$1/brd.ko"; return; }
	done
}

NAME=${NAME:-check-$KSEL}
TAP=$BUILD/$NAME.tap
MODS=$BUILD/vm/$NAME-mods/guest-mods
stage_brd "$MODS"
start=$SECONDS
rc=0
run_tee "$TAP" "$HERE/vm.sh" --kernel "$KSEL" --builddir "$BUILD/vm/$NAME" \
	--ko "$KO" --files "$BUILD/selftests/protshm $MODS" --timeout 900 \
	--cmd '[ ! -f guest-mods/brd.ko ] || insmod guest-mods/brd.ko rd_nr=1 rd_size=1024; protshm/run_kselftest.sh' ||
	rc=$?

# Test cases are the nested TAP lines ("# ok N name"); a test program that
# died without reporting its cases counts as one failure ("not ok N selftests:").
passed=$(grep -cE '^# ok [0-9]+ ' "$TAP" || true)
skipped=$(grep -cE '^# ok [0-9]+ .*# SKIP' "$TAP" || true)
failed=$(grep -cE '^# not ok [0-9]+ ' "$TAP" || true)
crashed=$(grep -E '^not ok [0-9]+ selftests:' "$TAP" | grep -vc 'exit=1$' || true)
passed=$((passed - skipped))
failed=$((failed + crashed))
((rc == 0 || failed > 0)) || failed=$((failed + 1))

echo "check: kernel $KSEL, VM run $((SECONDS - start)) s, guest log $BUILD/vm/$NAME/guest.log"
echo "protshm: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
