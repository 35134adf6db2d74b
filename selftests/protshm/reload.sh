#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module unload/reload: rmmod must fail while /dev/protshm is open, succeed
# once it is closed, and insmod must bring the device back, three times.
KO=${PROTSHM_KO:-$(ls /protshm/*.ko 2>/dev/null | head -n 1)}
ksft_skip=4
n=0

echo "TAP version 13"
echo "1..7"
ok() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); echo "not ok $n $1"; status=1; }
status=0

if [ ! -e "$KO" ] || [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root and the module file (PROTSHM_KO)"
	exit $ksft_skip
fi

exec 3<>/dev/protshm
if rmmod protshm 2>/dev/null; then
	fail "rmmod refused while the device is open"
	insmod "$KO"
else
	ok "rmmod refused while the device is open"
fi
exec 3>&-

for i in 1 2 3; do
	if rmmod protshm && [ ! -e /dev/protshm ]; then
		ok "cycle $i: rmmod removes /dev/protshm"
	else
		fail "cycle $i: rmmod removes /dev/protshm"
	fi
	if insmod "$KO" && [ -c /dev/protshm ] && exec 4<>/dev/protshm; then
		exec 4>&-
		ok "cycle $i: insmod brings /dev/protshm back"
	else
		fail "cycle $i: insmod brings /dev/protshm back"
	fi
done
exit $status
