#!/usr/bin/env bash
# fuzz.sh - boot the test VM with the module and fuzz it.
#
# Usage: scripts/fuzz.sh --kernel SEL --build DIR --ko PATH [--seeds "1 2"]
#                        [--ops N] [--args "FUZZER ARGS"] [--timeout SEC]
#
# Stages (each one separate, so that more can be chained in later):
#   1. fuzzer: build/selftests/protshm/fuzz/protshm_fuzz, the model-checked
#      random-operation fuzzer, once per seed (-s SEED -n OPS ARGS), in one
#      VM boot.  Prints each run's summary line ("protshm_fuzz: seed ...").
# Exits non-zero if a run reports a violation, the VM timed out or died, the
# guest kernel logged a splat (BUG/WARNING/KASAN/lockdep/...), or the module
# did not unload or leaked (kmemleak, debug kernel): see scripts/vm.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KSEL=${KERNEL:-6.1} BUILD=build KO="" SEEDS=1 OPS=100000 ARGS="" TIMEOUT=""

usage() {
	sed -n '/^# Usage:/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while (($#)); do
	case $1 in
	--kernel) KSEL=$2; shift ;;
	--build) BUILD=$2; shift ;;
	--ko) KO=$2; shift ;;
	--seeds) SEEDS=$2; shift ;;
	--ops) OPS=$2; shift ;;
	--args) ARGS=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	*) usage ;;
	esac
	shift
done
[[ -f $KO ]] || { echo "fuzz.sh: no module at '$KO' (run make first)" >&2; exit 2; }
FUZZ=$BUILD/selftests/protshm/fuzz
[[ -x $FUZZ/protshm_fuzz ]] || { echo "fuzz.sh: no fuzzer in $FUZZ (run make first)" >&2; exit 2; }

# Stage 1: the model-checked fuzzer.
stage_fuzzer() {
	local cmds=() seed n=0 log=$BUILD/fuzz-$KSEL.log rc start=$SECONDS
	for seed in $SEEDS; do
		cmds+=(--cmd "cd fuzz && ./protshm_fuzz -s $seed -n $OPS $ARGS")
		n=$((n + 1))
	done
	# the debug kernel runs about 100 ops/s under TCG: a generous bound
	: "${TIMEOUT:=$((600 + n * OPS / 20))}"
	set +e
	"$HERE/vm.sh" --kernel "$KSEL" --builddir "$BUILD/vm/fuzz-$KSEL" \
		--ko "$KO" --files "$FUZZ" --timeout "$TIMEOUT" "${cmds[@]}" |
		tr -d '\r' | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	echo "fuzz: kernel $KSEL, $n run(s) of $OPS ops, VM run $((SECONDS - start)) s, guest log $BUILD/vm/fuzz-$KSEL/guest.log"
	grep -E '^protshm_fuzz: seed ' "$log" || echo "fuzz: no summary line (the fuzzer did not finish)"
	if grep -qE '^protshm_fuzz: .*VIOLATION' "$log" || ((rc)); then
		echo "fuzz: FAILED (vm.sh status $rc)"
		return 1
	fi
	if (($(grep -cE '^protshm_fuzz: seed .*: OK;' "$log") != n)); then
		echo "fuzz: FAILED (fewer OK summaries than runs)"
		return 1
	fi
}

stage_fuzzer
