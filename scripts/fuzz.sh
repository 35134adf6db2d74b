#!/usr/bin/env bash
# fuzz.sh - boot the test VM with the module and fuzz it.
#
# Usage: scripts/fuzz.sh --kernel SEL --build DIR --ko PATH [--seeds "1 2"]
#                        [--ops N] [--args "FUZZER ARGS"] [--timeout SEC]
#                        [--parallel] [--stages "fuzzer failnth trinity"]
#                        [--trinity-secs SEC]
#
# Stages, each in its own VM boot, in this order (--stages picks some):
#   fuzzer   build/selftests/protshm/fuzz/protshm_fuzz, the model-checked
#            random-operation fuzzer, once per seed (-s SEED -n OPS ARGS);
#            with --parallel the seeds run at the same time, seed i pinned
#            to vCPU i mod 2.  Prints each run's summary line.
#   failnth  failnth_test with FI_ALL=1: the fail-nth sweep over every path,
#            the fork paths included (the ordinary suite leaves those out for
#            time); skipped where the kernel has no fault injection.
#   trinity  fuzz/trinity.sh: Debian's trinity as uid 65534 with
#            /dev/protshm as its victim file, for --trinity-secs (240).
# Exits non-zero if a stage fails: a violation, a failed sweep, trinity
# trouble, the VM timed out or died, the guest kernel logged a splat
# (BUG/WARNING/KASAN/lockdep/...), or the module did not unload or leaked
# (kmemleak, debug kernel): see scripts/vm.sh.  Ends with one summary line
# per stage ("fuzz: STAGE: ...").

# The stages are called by name ("stage_$stage"): not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KSEL=${KERNEL:-6.1} BUILD=build KO="" SEEDS=1 OPS=100000 ARGS="" TIMEOUT=""
PARALLEL=0 STAGES="fuzzer failnth trinity" TRINITY_SECS=240
SUMMARY=()
DIE_STATUS=2

parse_opts --kernel=KSEL --build=BUILD --ko=KO --seeds=SEEDS --ops=OPS \
	--args=ARGS --timeout=TIMEOUT --parallel!PARALLEL --stages=STAGES \
	--trinity-secs=TRINITY_SECS -- "$@"
[[ -f $KO ]] || die "no module at '$KO' (run make first)"
TESTS=$BUILD/selftests/protshm
FUZZ=$TESTS/fuzz
[[ -x $FUZZ/protshm_fuzz ]] || die "no fuzzer in $FUZZ (run make first)"

# run_vm NAME LOG VM-ARGS... - one VM boot for a stage, its console in LOG
# and on stderr; prints vm.sh's status.
run_vm() {
	local name=$1 log=$2 rc=0
	shift 2
	run_tee "$log" "$HERE/vm.sh" --kernel "$KSEL" --builddir "$BUILD/vm/fuzz-$name-$KSEL" \
		--ko "$KO" "$@" >&2 || rc=$?
	echo "$rc"
}

# Stage 1: the model-checked fuzzer.
stage_fuzzer() {
	local cmds=() seed n=0 log=$BUILD/fuzz-$KSEL.log rc start=$SECONDS par=""
	for seed in $SEEDS; do
		if ((PARALLEL)); then
			par+="./protshm_fuzz -s $seed -n $OPS -P $((n % 2 + 1)) $ARGS >run-$seed.log 2>&1 & p=\"\$p \$!\"; "
		else
			cmds+=(--cmd "cd fuzz && ./protshm_fuzz -s $seed -n $OPS $ARGS")
		fi
		n=$((n + 1))
	done
	# each run's output, then its status: the first failure is the result
	((PARALLEL)) && cmds=(--cmd "cd fuzz && p=; ${par}r=0; for j in \$p; do wait \$j || r=1; done; cat run-*.log; exit \$r")
	# the debug kernel runs about 50 ops/s per fuzzer under TCG: a generous bound
	: "${TIMEOUT:=$((600 + n * OPS / 20))}"
	rc=$(run_vm fuzzer "$log" --files "$FUZZ" --timeout "$TIMEOUT" "${cmds[@]}")
	echo "fuzz: kernel $KSEL, $n run(s) of $OPS ops, VM run $((SECONDS - start)) s, log $log"
	if grep -qE '^protshm_fuzz: .*VIOLATION' "$log" || ((rc)) ||
		(($(grep -cE '^protshm_fuzz: seed .*: OK;' "$log") != n)); then
		SUMMARY+=("fuzz: fuzzer: FAILED (vm.sh status $rc; see $log)")
		return 1
	fi
	SUMMARY+=("fuzz: fuzzer: $n x $OPS ops OK in $((SECONDS - start)) s")
}

# Stage 2: the fail-nth sweep over every path, fork paths included.
stage_failnth() {
	local log=$BUILD/fuzz-failnth-$KSEL.log rc start=$SECONDS paths
	# shellcheck disable=SC2016 # expanded in the guest
	rc=$(run_vm failnth "$log" --files "$TESTS" --timeout 1500 \
		--cmd 'cd protshm && FI_ALL=1 ./failnth_test; r=$?; [ $r = 4 ] && r=0; exit $r')
	paths=$(grep -cE '^# path .*all taken' "$log" || true)
	if ((rc)) || grep -qE '^not ok ' "$log"; then
		SUMMARY+=("fuzz: failnth: FAILED (vm.sh status $rc; see $log)")
		return 1
	fi
	if grep -qE '^ok .*# SKIP' "$log"; then
		SUMMARY+=("fuzz: failnth: skipped: $(grep -m1 -oE 'SKIP.*' "$log")")
	else
		SUMMARY+=("fuzz: failnth: $paths paths, every injection point taken, in $((SECONDS - start)) s")
	fi
}

# Stage 3: trinity, bounded in time; trinity.sh unloads the module itself.
stage_trinity() {
	local log=$BUILD/fuzz-trinity-$KSEL.log rc start=$SECONDS line
	rc=$(run_vm trinity "$log" --mem 2048M --timeout $((TRINITY_SECS + 600)) \
		--files "$TESTS $(command -v trinity) $(command -v setpriv)" \
		--cmd "protshm/fuzz/trinity.sh $TRINITY_SECS 1000000")
	line=$(grep -m1 -E '^trinity summary: ' "$log" || echo "no trinity summary")
	if ((rc)); then
		SUMMARY+=("fuzz: trinity: FAILED (vm.sh status $rc; $line; see $log)")
		return 1
	fi
	SUMMARY+=("fuzz: trinity: ${line#trinity summary: }")
}


fail=0
for stage in $STAGES; do
	case $stage in
	fuzzer | failnth | trinity) "stage_$stage" || fail=1 ;;
	*) die "unknown stage '$stage'" ;;
	esac
done
printf '%s\n' "${SUMMARY[@]}"
exit $fail
