#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the protshm selftests listed in tests.list with the kselftest runner
# (TAP 13) inside the test VM.  Exits non-zero if any test failed.
cd "$(dirname "$0")" || exit 1
BASE_DIR=$(dirname "$PWD")
export BASE_DIR

# runner.sh calls /usr/bin/timeout --foreground, which busybox lacks.
if [ -x ./bin/timeout ]; then
	rm -f /usr/bin/timeout
	cp ./bin/timeout /usr/bin/timeout
fi

. ./runner.sh

# runner.sh logs to /dev/stdout, which a bare devtmpfs does not provide.
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout

out=/tmp/protshm-ksft.tap
run_many $(sed 's|^|./|' tests.list) | tee "$out"
! grep -q '^not ok' "$out"
