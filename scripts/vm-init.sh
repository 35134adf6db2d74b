#!/bin/busybox sh
# shellcheck shell=sh
# vm-init.sh - /init of the protshm test VM initramfs (busybox sh, PID 1).
#
# Copied into the initramfs by scripts/vm.sh.  Mounts the pseudo filesystems,
# insmods the module named in /etc/protshm-vm/conf (if any), runs each
# /etc/protshm-vm/cmd.N in /protshm, dumps dmesg, prints the result marker the
# host parses, then powers off.  Marker lines start with "### protshm-vm: ".

M='### protshm-vm:'
CONF=/etc/protshm-vm

# setup_fs - mount everything the tests expect, install busybox applet links.
setup_fs() {
	/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
	/bin/busybox mount -t proc proc /proc
	/bin/busybox --install -s
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	ln -sf /proc/self/fd /dev/fd
	hostname protshm-vm
}

# load_module - insmod /protshm/$PVM_MODULE.ko; returns insmod's status.
load_module() {
	[ -n "${PVM_MODULE:-}" ] || return 0
	echo "$M insmod $PVM_MODULE.ko"
	if ! insmod "/protshm/$PVM_MODULE.ko"; then
		echo "$M insmod $PVM_MODULE.ko failed"
		return 1
	fi
}

# run_cmds - run every command file in order; returns the first non-zero status.
run_cmds() {
	first=0 i=1
	while [ -f "$CONF/cmd.$i" ]; do
		echo "$M run: $(tr '\n' ' ' <"$CONF/cmd.$i")"
		(cd /protshm && exec sh "$CONF/cmd.$i") </dev/null
		rc=$?
		echo "$M status $rc"
		[ "$first" -ne 0 ] || first=$rc
		[ "$rc" -eq 0 ] || [ "${PVM_STOP_ON_FAIL:-0}" -eq 0 ] || break
		i=$((i + 1))
	done
	return "$first"
}

# interactive - a shell with job control on the serial console.
interactive() {
	echo "$M interactive shell; 'exit' (or Ctrl-D) powers the VM off"
	setsid cttyhack sh -l
}

# finish RC - dump dmesg, print the result marker and power off.
finish() {
	echo "$M dmesg begin"
	dmesg
	echo "$M dmesg end"
	echo "$M result $1"
	sync
	poweroff -f
	sleep 10
}

main() {
	setup_fs
	dmesg -n 5 # console: warnings and worse only
	# shellcheck disable=SC1091
	. "$CONF/conf"
	export PATH=/protshm:/protshm/bin:/sbin:/usr/sbin:/bin:/usr/bin
	export HOME=/root TERM=linux
	mkdir -p /root
	echo "$M init started (kernel uptime $(cut -d' ' -f1 /proc/uptime) s, $(uname -r))"
	result=0
	if load_module; then
		run_cmds || result=$?
		[ "${PVM_INTERACTIVE:-0}" -eq 0 ] || interactive
	else
		result=1
	fi
	finish "$result"
}

main
