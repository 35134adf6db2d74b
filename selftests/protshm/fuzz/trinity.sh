#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# trinity against protshm, inside the test VM (scripts/vm.sh), as root with
# the module loaded:   trinity.sh [SECONDS [OPS [SEED]]]   (default 240 s,
# 100000 ops).  Kernel trouble is what matches PVM_TROUBLE, the pattern the
# VM's init hands to its commands (from scripts/lib.sh).
#
# trinity (Debian's package) fuzzes, as uid/gid 65534 (util-linux setpriv:
# trinity refuses to run as root), the syscalls that reach the module
# through a file or a mapping of /dev/protshm, its only victim file (-V),
# and through netlink sockets (-P PF_NETLINK: the only socket domain).
# trinity_bind.so (LD_PRELOAD) creates the segments trinity-0..3 (mode
# 0666) and attaches the /dev/protshm files trinity opens to them, so that
# its mmap, mprotect, mremap, madvise, ioctl, read ... meet bound files and
# real segment mappings.
#
# Not fuzzed: everything not listed in SYSCALLS.  Among those, on purpose:
# reboot, kexec_load/kexec_file_load, init_module/finit_module/
# delete_module (would load or unload modules, protshm included),
# swapon/swapoff, mount/umount2/pivot_root/chroot, syslog (can clear the log
# checked below), ptrace/kill/tkill/tgkill (can stop or kill the harness),
# exit/exit_group/fork/vfork/clone (trinity avoids them itself),
# sched_setattr/sched_setscheduler (real-time hogs starve the emulated
# CPUs), perf_event_open, userfaultfd (children can block forever), and the
# 32-bit entry points (-a 64).  They fail as uid 65534 anyway or do not
# reach protshm.
#
# Prints one summary line; exits 0, or 1 if the kernel logged trouble
# (BUG, WARNING, KASAN, lockdep, ...) during the run, trinity did not run,
# or the module does not unload afterwards; 4 (skip) without trinity.
cd "$(dirname "$0")" || exit 1
HERE=$PWD
PATH=$HERE:$HERE/..:$HERE/../bin:$PATH
SECS=${1:-240}
OPS=${2:-100000}
SEED=${3:-}
FUZZ_UID=65534
TROUBLE=${PVM_TROUBLE:?not set: run trinity.sh in the test VM, by scripts/vm.sh}
SYSCALLS="mmap munmap mprotect mremap madvise msync mincore mlock mlock2
munlock remap_file_pages process_vm_readv process_vm_writev
open openat dup dup3 fcntl ioctl read write pread64 pwrite64 readv writev
preadv pwritev lseek newfstat fsync fdatasync ftruncate fallocate flock
splice tee vmsplice sendfile copy_file_range
socket bind sendto recvfrom sendmsg recvmsg setsockopt getsockopt"

# util-linux's setpriv: busybox's has no --reuid (and busybox sh runs its
# applets before anything in PATH, so it is called by its path).
find_setpriv() {
	for d in $(echo "$PATH" | tr : ' '); do
		if "$d/setpriv" --version 2>/dev/null | grep -q util-linux; then
			echo "$d/setpriv"
			return 0
		fi
	done
	return 1
}

SETPRIV=$(find_setpriv)
if ! command -v trinity >/dev/null 2>&1 || [ -z "$SETPRIV" ]; then
	echo "SKIP: trinity or util-linux setpriv not found"
	exit 4
fi
if [ ! -e /dev/protshm ] || [ ! -e "$HERE/trinity_bind.so" ]; then
	echo "FAIL: /dev/protshm or trinity_bind.so missing"
	exit 1
fi

work=/tmp/trinity-run
rm -rf "$work"
mkdir -p "$work"
chown "$FUZZ_UID:$FUZZ_UID" "$work"
cd "$work" || exit 1

args="-q -l off -a 64 -C 2 -N $OPS -V /dev/protshm -P PF_NETLINK --disable-fds=perf,epoll,eventfd,pseudo,timerfd,drm"
for s in $SYSCALLS; do
	args="$args -c $s"
done
[ -n "$SEED" ] && args="$args -s $SEED"

before=$(dmesg | grep -cE "$TROUBLE")
t0=$(date +%s)
# shellcheck disable=SC2086 # $args is a list of words
timeout -s INT "$SECS" "$SETPRIV" --reuid="$FUZZ_UID" --regid="$FUZZ_UID" \
	--clear-groups env LD_PRELOAD="$HERE/trinity_bind.so" \
	trinity $args >"$work/out" 2>&1
rc=$?
# trinity's children if its main process did not take them along
sleep 1
for p in $(ps -o pid,comm 2>/dev/null | awk '$2 ~ /^trinity/ && $2 != "trinity.sh" {print $1}'); do
	kill -9 "$p" 2>/dev/null
done
t1=$(date +%s)
sed 's/^/# trinity: /' "$work/out" | tail -n 40

ran=$(grep -o 'Ran [0-9]* syscalls[^]]*' "$work/out" | tail -n 1)
bind=$(grep -o 'trinity_bind: .*' "$work/out" | tail -n 1)
segs=$(protshmctl list 2>/dev/null | grep -c 'trinity-')
after=$(dmesg | grep -cE "$TROUBLE")
fail=0
[ -n "$ran" ] || { echo "FAIL: trinity reported no syscalls (status $rc)"; fail=1; }
if [ "$after" -ne "$before" ]; then
	echo "FAIL: the kernel logged trouble during the run:"
	dmesg | grep -E "$TROUBLE" | tail -n 20
	fail=1
fi
unloaded=no
i=0
while [ $i -lt 20 ]; do
	if rmmod protshm 2>/dev/null; then
		unloaded=yes
		break
	fi
	sleep 1
	i=$((i + 1))
done
[ $unloaded = yes ] || { echo "FAIL: protshm does not unload"; fail=1; }
echo "trinity summary: ${ran:-no run} in $((t1 - t0)) s (limit $SECS s, $OPS ops, exit $rc); ${bind:-trinity_bind: no report}; trinity-* segments: $segs; kernel trouble lines: $((after - before)); module unloaded: $unloaded"
exit $fail
