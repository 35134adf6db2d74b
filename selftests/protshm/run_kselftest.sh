#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the protshm selftests listed in tests.list with the kselftest runner
# (TAP 13), in the test VM or on a machine with the module loaded.  Exits
# non-zero if any test failed.  Writes nothing outside this directory, except
# in the test VM (see below).
cd "$(dirname "$0")" || exit 1
BASE_DIR=$(dirname "$PWD")
export BASE_DIR

# runner.sh calls /usr/bin/timeout --foreground, which busybox lacks: only in
# the test VM (its initramfs has /etc/protshm-vm) is busybox's replaced by the
# copy in bin/.  A real machine's coreutils timeout is used as it is.
if [ -d /etc/protshm-vm ] && [ -x ./bin/timeout ] &&
	! /usr/bin/timeout --foreground 1 true 2>/dev/null; then
	rm -f /usr/bin/timeout
	cp ./bin/timeout /usr/bin/timeout
fi

if [ ! -c /dev/protshm ]; then
	echo "run_kselftest.sh: /dev/protshm missing: load the module first (modprobe protshm)" >&2
	exit 4
fi

. ./runner.sh

# runner.sh logs to /dev/stdout, which a bare devtmpfs does not provide.
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout

# Fails when any line starts with "not ok" (no file written).  After each
# program's result line, a comment with the seconds it took: what settings'
# timeout must cover on the slowest kernel.
run_many $(sed 's|^|./|' tests.list) |
	awk 'function now(t) { "date +%s" | getline t; close("date +%s"); return t }
	{ print; fflush() }
	/^# selftests: / { start = now() }
	/^not ok/ { bad = 1 }
	/^(not )?ok [0-9]+ selftests: / {
		name = $0
		sub(/^(not )?ok [0-9]+ selftests: [^:]*: /, "", name)
		sub(/ .*/, "", name)
		printf "# %s: %d s\n", name, now() - start; fflush()
	}
	END { exit bad }'
