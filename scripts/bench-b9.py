#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-b9.py - B9 (scale) of one protshm benchmark run (scripts/bench.sh).

Usage: scripts/bench-b9.py BASE TITLE

Reads BASE.csv as written by protshm_bench and, if it holds B9 rows
(implementations protshm-nN, sysv-nN, protshm-sS, protshm-mM), writes
BASE-b9.txt, the median cost of each operation against N (processes
attached, segments, mappings) with the ratio of the last N to the first,
and BASE-b9.png, the same plotted log-log with gnuplot.
Exit status: 0 (also without B9 rows: nothing written), 1 when gnuplot fails.
"""
import csv
import re
import subprocess
import sys

AXES = {'n': 'processes', 's': 'segments', 'm': 'mappings'}
SERIES = [('protshm', 'n', op) for op in
          ('attach', 'fork', 'exit', 'restrict', 'desc', 'dump')]
SERIES += [('sysv', 'n', op) for op in ('attach', 'fork', 'exit')]
SERIES += [('protshm', 's', 'lookup'), ('protshm', 'm', 'restrict')]

GNUPLOT = '''set terminal pngcairo size 1200,800 font ",10" noenhanced
set output "{out}"
set title "B9: cost per operation against N (processes, segments or mappings); flat is the target\\n{title}"
set datafile missing "-"
set logscale xy
set xlabel "N"
set ylabel "time per operation (icount: instructions)"
set key outside right
set grid
plot for [i=2:{last}] "{dat}" using 1:i with linespoints title columnheader(i)
'''


def medians(path):
    med = {}
    with open(path) as f:
        for r in csv.DictReader(l for l in f if not l.startswith('#')):
            m = re.fullmatch(r'(protshm|sysv)-([nsm])(\d+)', r['implementation'])
            if r['benchmark'] == 'B9' and m and r['median']:
                med[(m[1], m[2], int(m[3]), r['metric'])] = float(r['median'])
    return med


def write_table(med, out):
    out.write('B9: time per operation (icount: instructions), median; '
              'desc and dump per process\n')
    for tag in 'nsm':
        ns = sorted({k[2] for k in med if k[1] == tag})
        out.write('\n%-18s' % ('N ' + AXES[tag]) +
                  ''.join('%10d' % n for n in ns) + '%12s\n' % 'last/first')
        for impl, stag, op in SERIES:
            v = [med.get((impl, tag, n, op)) for n in ns]
            if stag != tag or not any(v):
                continue
            ratio = '%.3f' % (v[-1] / v[0]) if v[0] and v[-1] else '-'
            out.write('%-18s' % ('%s %s' % (impl, op)) +
                      ''.join('%10.0f' % x if x else '%10s' % '-' for x in v) +
                      '%12s\n' % ratio)


def write_dat(med, out):
    out.write('N ' + ' '.join('%s-%s/%s' % (i, o, AXES[g])
                              for i, g, o in SERIES) + '\n')
    for n in sorted({k[2] for k in med}):
        out.write('%d ' % n + ' '.join(
            '%g' % med[(i, g, n, o)] if (i, g, n, o) in med else '-'
            for i, g, o in SERIES) + '\n')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    base, title = sys.argv[1:]
    med = medians(base + '.csv')
    if not med:
        return 0
    with open(base + '-b9.txt', 'w') as f:
        write_table(med, f)
    dat = base + '-b9.dat'
    with open(dat, 'w') as f:
        write_dat(med, f)
    script = GNUPLOT.format(out=base + '-b9.png', title=title, dat=dat,
                            last=len(SERIES) + 1)
    ok = subprocess.run(['gnuplot'], input=script, text=True).returncode == 0
    subprocess.run(['rm', '-f', dat])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
