#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The "protshm" generic netlink family as iproute2 sees it: name, version,
# its three commands, the events group, and the strict request policy.
# Needs genl(8) (the test build copies it into bin/); skips without it.
cd "$(dirname "$0")" || exit 1
PATH=$PWD/bin:$PATH
KSFT_SKIP=4

if ! command -v genl >/dev/null 2>&1; then
	echo "SKIP: genl (iproute2) not found"
	exit $KSFT_SKIP
fi
if [ ! -e /dev/protshm ]; then
	echo "SKIP: /dev/protshm missing (module not loaded?)"
	exit $KSFT_SKIP
fi

fail=0
# expect TEXT PATTERN WHAT - report whether TEXT has a line matching PATTERN.
expect() {
	if printf '%s\n' "$1" | grep -q -- "$2"; then
		echo "ok: $3"
	else
		echo "FAIL: $3 (no '$2')"
		fail=1
	fi
}

out=$(genl ctrl get name protshm 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ $rc -ne 0 ]; then
	echo "FAIL: genl ctrl get name protshm exited with $rc"
	exit 1
fi
expect "$out" 'Name: protshm' 'family name'
expect "$out" 'Version: 0x1' 'version 1'
expect "$out" 'max attribs: 27' 'PROTSHM_A_MAX is 27'
expect "$out" '#1:  ID-0x1 ' 'command 1, PROTSHM_CMD_SEG_GET'
expect "$out" '#2:  ID-0x2 ' 'command 2, PROTSHM_CMD_ATTACH_GET'
expect "$out" '#3:  ID-0x3 ' 'command 3, PROTSHM_CMD_RESTRICT'
expect "$out" 'name: events' 'multicast group "events"'

# The policy: one for every command (do and dump), name and pid ranges.
pol=$(genl ctrl policy name protshm 2>&1)
rc=$?
printf '%s\n' "$pol" | sed 's/^/# /'
if [ $rc -ne 0 ]; then
	echo "FAIL: genl ctrl policy name protshm exited with $rc"
	exit 1
fi
expect "$pol" 'op 1 policies: do=0 dump=0' 'SEG_GET do and dump are validated'
expect "$pol" 'op 2 policies: do=0 dump=0' 'ATTACH_GET do and dump are validated'
expect "$pol" 'op 3 policies: do=0' 'RESTRICT is validated'
expect "$pol" 'attr\[2\]: type=U64' 'PROTSHM_A_SEG_ID is a u64'
expect "$pol" 'attr\[3\]: type=NUL_STRING max len:63' 'PROTSHM_A_SEG_NAME up to 63 bytes'
expect "$pol" 'attr\[14\]: type=U32 range:\[1,2147483647\]' 'PROTSHM_A_PID is a positive pid'
expect "$pol" 'attr\[20\]: type=U32 range:\[0,3\]' 'PROTSHM_A_PROT at most RW'
exit $fail
