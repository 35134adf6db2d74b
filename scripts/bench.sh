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
#   DIR/results-LABEL.png        chart (gnuplot): faults/page and protshm/peer ratios
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
	[[ $ARGS =~ ^[-A-Za-z0-9\ ._]*$ ]] || die "--args: only options and plain words"
}

# guest_cmd - the shell command run in the guest: the bench (given the
# module file, which B9 unloads and loads again), then its report and CSV
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

# plot_data CSV TABLE OUT_FAULTS OUT_RATIOS - gnuplot inputs: faults per page of
# every implementation (B1-B3, B6), and the protshm/peer ratio of every row
# whose target is a ratio.
plot_data() {
	python3 - "$@" <<'EOF'
import csv, math, sys

metrics, table, out_faults, out_ratios = sys.argv[1:5]

def rows(path):
    with open(path) as f:
        return list(csv.DictReader(l for l in f if not l.startswith('#')))

impls = ['protshm', 'memfd', 'sysv', 'anon', 'mprotect']
faults = {}
for r in rows(metrics):
    if r['metric'] == 'faults_per_page':
        faults.setdefault(r['benchmark'], {})[r['implementation']] = r['median']
with open(out_faults, 'w') as f:
    f.write('bench ' + ' '.join(impls) + '\n')
    for b in sorted(faults):
        f.write(b + ' ' + ' '.join(faults[b].get(i) or '-' for i in impls) + '\n')
with open(out_ratios, 'w') as f:
    for r in rows(table):
        if not r['goal'].startswith('ratio') or not r['ratio']:
            continue
        case = r['case'] if len(r['case']) <= 26 else r['case'][:25] + '.'
        label = '%s %s / %s' % (r['benchmark'], case, r['peer'])
        met = 1 if r['verdict'] == 'met' else 0
        f.write('"%s" %s %s %d\n' % (label, r['ratio'], r['target_value'], met))
EOF
}

plot() {
	local base=$1 title=$2 faults=$1.faults.dat ratios=$1.ratios.dat
	plot_data "$base.csv" "$base-table.csv" "$faults" "$ratios" || return 1
	gnuplot <<EOF
set terminal pngcairo size 1400,1100 font ",10" noenhanced
set output "$base.png"
set multiplot layout 2,1 title "$title"
set datafile missing "-"
set title "Faults per page (exact, getrusage): lower is better"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.15]
set ylabel "faults / page"
set key top right
set grid ytics
plot for [i=2:6] "$faults" using i:xtic(1) title columnheader(i)
set title "protshm / peer, ratio of medians (bars; green = target met, red = not met; black dots = target)"
set style data boxes
set boxwidth 0.6
unset key
set logscale y
set yrange [*:*]
set ylabel "ratio (log scale)"
set xtics rotate by 30 right
set bmargin 12
set lmargin 24
plot "$ratios" using 0:2:(\$4 > 0 ? 0x2ca02c : 0xd62728):xtic(1) with boxes lc rgb variable, \
	"" using 0:3 with points pt 7 ps 1.2 lc rgb "black"
unset multiplot
EOF
	rm -f "$faults" "$ratios"
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
	if plot "$base" "protshm benchmarks: kernel $KSEL, $mode"; then
		echo "$PROG: chart $base.png"
	else
		echo "$PROG: gnuplot failed, no chart" >&2
	fi
	cat "$base.txt"
	echo "$PROG: results $base.csv, $base-table.csv, $base.txt"
	exit "$rc"
}

main "$@"
