#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-plot.py - chart of one protshm benchmark run (scripts/bench.sh).

Usage: scripts/bench-plot.py BASE TITLE

Reads BASE.csv (every metric) and BASE-table.csv (the summary table) as
written by protshm_bench, and draws BASE.png with gnuplot (scripts/bench.gp):
faults per page of every implementation (B1-B3, B6), and the protshm/peer
ratio of every row whose target is a ratio, green when met, red when not.
Exit status: 0, or 1 when gnuplot fails.
"""
import csv
import os
import subprocess
import sys
import tempfile

IMPLS = ['protshm', 'memfd', 'sysv', 'anon', 'mprotect']


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(l for l in f if not l.startswith('#')))


def write_faults(metrics, out):
    faults = {}
    for r in rows(metrics):
        if r['metric'] == 'faults_per_page':
            faults.setdefault(r['benchmark'], {})[r['implementation']] = r['median']
    out.write('bench ' + ' '.join(IMPLS) + '\n')
    for b in sorted(faults):
        out.write(b + ' ' + ' '.join(faults[b].get(i) or '-' for i in IMPLS) + '\n')


def write_ratios(table, out):
    for r in rows(table):
        if not r['goal'].startswith('ratio') or not r['ratio']:
            continue
        case = r['case'] if len(r['case']) <= 26 else r['case'][:25] + '.'
        label = '%s %s / %s' % (r['benchmark'], case, r['peer'])
        met = 1 if r['verdict'] == 'met' else 0
        out.write('"%s" %s %s %d\n' % (label, r['ratio'], r['target_value'], met))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    base, title = sys.argv[1:]
    gp = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'bench.gp')
    with tempfile.TemporaryDirectory() as tmp:
        faults = os.path.join(tmp, 'faults.dat')
        ratios = os.path.join(tmp, 'ratios.dat')
        with open(faults, 'w') as f:
            write_faults(base + '.csv', f)
        with open(ratios, 'w') as f:
            write_ratios(base + '-table.csv', f)
        defs = {'faults': faults, 'ratios': ratios, 'out': base + '.png',
                'title': title}
        expr = '; '.join("%s='%s'" % (k, v.replace("'", "''"))
                         for k, v in defs.items())
        return 1 if subprocess.run(['gnuplot', '-e', expr, gp]).returncode else 0


if __name__ == '__main__':
    sys.exit(main())
