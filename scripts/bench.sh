#!/usr/bin/env bash
# bench.sh - run the protshm benchmark suite in the test VM and collect the results.
#
# Usage: scripts/bench.sh --kernel SEL --ko PATH --bench DIR [options]
#   --kernel SEL     kernel selector (scripts/kernel.sh): 6.1, 6.12, ...
#   --ko PATH        protshm.ko built for that kernel
#   --bench DIR      directory holding protshm_bench; the results go there too
#   --icount         QEMU -icount shift=0 -smp 1: near-deterministic virtual time
#                    (about one guest instruction per ns) instead of wall clock
#   --args "ARGS"    extra protshm_bench arguments (e.g. "-r 7 -b B5")
#   --builddir DIR   vm.sh build dir (default DIR/vm-SEL[-icount])
#   --timeout SEC    VM timeout (default 1800)
#
# The guest has no shared folder: it prints the report and both CSV files
# between marker lines, and this script cuts them out of the guest log into
#   DIR/results-LABEL.txt        the report (summary table and every metric)
#   DIR/results-LABEL.csv        benchmark,implementation,metric,unit,median,min,max,n
#   DIR/results-LABEL-table.csv  the summary table
#   DIR/results-LABEL.png        chart (scripts/bench-plot.py): faults/page and
#                                protshm/peer ratios
#   DIR/results-LABEL-b9.txt     B9 (scale): cost per operation against N, a table
#   DIR/results-LABEL-b9.png     the same as a chart (scripts/bench-b9.py)
# where LABEL is the kernel selector, plus "-icount" with --icount.  The host's
# load average before and after the run is recorded in the report: under
# TCG the wall-clock numbers depend on it.
# Exit status: vm.sh's (0, or the guest's/bench's failure), 1 if no results came back.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIE_STATUS=2
MARK='### protshm-bench:'
KSEL=${KERNEL:-6.1} KO="" BENCH="" ICOUNT=0 ARGS="" BUILDDIR="" TIMEOUT=1800

parse_args() {
	while (($#)); do
		case $1 in
		--kernel) KSEL=${2:?}; shift ;;
		--ko) KO=${2:?}; shift ;;
		--bench) BENCH=${2:?}; shift ;;
		--icount) ICOUNT=1 ;;
		--args) ARGS=${2?}; shift ;;
		--builddir) BUILDDIR=${2:?}; shift ;;
		--timeout) TIMEOUT=${2:?}; shift ;;
		-h | --help) usage ;;
		*) msg "unknown option '$1'"; usage ;;
		esac
		shift
	done
	[[ -f $KO ]] || die "--ko '$KO': no such file (build the module first)"
	[[ -x $BENCH/protshm_bench ]] || die "no $BENCH/protshm_bench (make -C bench)"
	[[ $ARGS =~ ^[-A-Za-z0-9\ ._,]*$ ]] || die "--args: only options and plain words"
}

# guest_cmd - the shell command run in the guest: the bench (given the
# module file, which B10 unloads and loads again), then its report and CSV
# files between markers.
guest_cmd() {
	local flags=$ARGS
	((ICOUNT)) && flags+=" -i"
	cat <<EOF
./protshm_bench $flags -k /protshm/$(basename "$KO") -c /tmp/bench.csv -t /tmp/table.csv >/tmp/report.txt
rc=\$?
for f in report:/tmp/report.txt csv:/tmp/bench.csv table:/tmp/table.csv; do
	echo "$MARK \${f%%:*} begin"
	cat "\${f#*:}"
	echo "$MARK \${f%%:*} end"
done
exit \$rc
EOF
}

# extract NAME - the lines between the NAME markers of the guest log.
extract() {
	awk -v b="$MARK $1 begin" -v e="$MARK $1 end" '
		$0 == e { on = 0 } on { print } $0 == b { on = 1 }' "$BUILDDIR/guest.log"
}

main() {
	local label rc=0 base load0 load1 mode
	parse_args "$@"
	label=$KSEL
	((ICOUNT)) && label+=-icount
	label=${label//\//_}
	[[ -n $BUILDDIR ]] || BUILDDIR=$BENCH/vm-$label
	base=$BENCH/results-$label
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	local -a vmopts=(--kernel "$KSEL" --builddir "$BUILDDIR" --ko "$KO"
		--files "$BENCH/protshm_bench" --timeout "$TIMEOUT" --cmd "$(guest_cmd)")
	if ((ICOUNT)); then
		vmopts+=(--smp 1)
		export PROTSHM_QEMU_ARGS="${PROTSHM_QEMU_ARGS:+$PROTSHM_QEMU_ARGS }-icount shift=0"
		mode="QEMU TCG -icount shift=0 -smp 1: times are virtual time (~1 guest instruction per ns), not wall clock"
	else
		mode="QEMU TCG (multi-threaded), -smp 2: times are guest wall clock under software emulation"
	fi
	echo "$PROG: kernel $KSEL, $mode; host load average $load0 ($(nproc) host CPUs)"
	# Show the boot and the bench's progress, not the report and CSV blocks
	# (printed once, below).
	"$HERE/vm.sh" "${vmopts[@]}" | awk -v m="$MARK" '
		{ sub(/\r$/, "") }
		index($0, m) == 1 && / begin$/ { skip = 1 }
		!skip { print; fflush() }
		index($0, m) == 1 && / end$/ { skip = 0 }' || rc=${PIPESTATUS[0]}
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	extract csv >"$base.csv"
	extract table >"$base-table.csv"
	{
		echo "host: $(nproc) CPUs, load average (1/5/15 min) before $load0, after $load1"
		echo "VM: $mode; $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "module source: git $(git -C "$HERE/.." describe --always --dirty 2>/dev/null || echo unknown), protshm.ko sha256 $(sha256sum "$KO" | cut -c1-12)"
		extract report
	} >"$base.txt"
	if [[ ! -s $base.csv ]] || ! grep -q '^B' "$base.csv"; then
		echo "$PROG: no results in $BUILDDIR/guest.log (status $rc)" >&2
		rm -f "$base.csv" "$base-table.csv"
		exit 1
	fi
	if "$HERE/bench-plot.py" "$base" "protshm benchmarks: kernel $KSEL, $mode"; then
		echo "$PROG: chart $base.png"
	else
		echo "$PROG: gnuplot failed, no chart" >&2
	fi
	"$HERE/bench-b9.py" "$base" "kernel $KSEL, $mode" ||
		echo "$PROG: gnuplot failed, no B9 chart" >&2
	cat "$base.txt"
	if [[ -f $base-b9.txt ]]; then
		cat "$base-b9.txt"
		echo "$PROG: B9 table $base-b9.txt, chart $base-b9.png"
	fi
	echo "$PROG: results $base.csv, $base-table.csv, $base.txt"
	exit "$rc"
}

main "$@"
