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

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KSEL=${KERNEL:-6.1} BUILD=build KO="" NAME=""

while (($#)); do
	case $1 in
	--kernel) KSEL=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--ko) KO=$2; shift ;;
	--name) NAME=$2; shift ;;
	*) echo "usage: $0 --kernel SEL --build DIR --ko PATH" >&2; exit 2 ;;
	esac
	shift
done
[[ -f $KO ]] || { echo "check.sh: no module at '$KO' (run make first)" >&2; exit 2; }

# stage_brd DIR - copy the kernel's brd.ko (a RAM block device: the O_DIRECT
# escape test needs a block device) to DIR, if the kernel has one as a module.
stage_brd() {
	local moddir ko
	rm -rf "$1" && mkdir -p "$1"
	moddir=$("$HERE/kernel.sh" "$KSEL" modules 2>/dev/null) || return 0
	ko=$moddir/kernel/drivers/block/brd.ko
	if [[ -f $ko ]]; then
		cp "$ko" "$1/"
	elif [[ -f $ko.xz ]]; then
		xz -dc "$ko.xz" >"$1/brd.ko"
	elif [[ -f $ko.zst ]]; then
		zstd -qdc "$ko.zst" >"$1/brd.ko"
	fi
}

NAME=${NAME:-check-$KSEL}
TAP=$BUILD/$NAME.tap
MODS=$BUILD/vm/$NAME-mods/guest-mods
stage_brd "$MODS"
start=$SECONDS
set +e
"$HERE/vm.sh" --kernel "$KSEL" --builddir "$BUILD/vm/$NAME" \
	--ko "$KO" --files "$BUILD/selftests/protshm $MODS" --timeout 900 \
	--cmd '[ ! -f guest-mods/brd.ko ] || insmod guest-mods/brd.ko rd_nr=1 rd_size=1024; protshm/run_kselftest.sh' |
	tr -d '\r' | tee "$TAP"
rc=${PIPESTATUS[0]}
set -e

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
