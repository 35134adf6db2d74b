#!/bin/busybox sh
# shellcheck shell=sh
# vm-init.sh - /init of the protshm test VM initramfs (busybox sh, PID 1).
#
# Copied into the initramfs by scripts/vm.sh.  Mounts the pseudo filesystems,
# insmods the module named in /etc/protshm-vm/conf (if any), runs each
# /etc/protshm-vm/cmd.N in /protshm, then - if a module was loaded - checks
# that the module unloads and that kmemleak (when the kernel has it: the debug
# kernel) finds no leak; dumps dmesg, prints the result marker the host parses, then
# powers off.  Marker lines start with "### protshm-vm: "; a failed after-run
# check prints "### protshm-vm: check FAILED: ...".  The commands get
# PVM_TROUBLE, the host's pattern of kernel-trouble lines (scripts/lib.sh), in
# their environment.

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

# check_failed WHAT - report a failed after-run check; returns 1.
check_failed() {
	echo "$M check FAILED: $*"
	return 1
}

# uptime_since T0 - seconds (one decimal) since uptime T0.
uptime_since() {
	awk -v t0="$1" '{ printf "%.1f", $1 - t0 }' /proc/uptime
}

# symbolize SYMS - filter: a raw kernel address (0xffffffff...) gets
# "(sym+0xoff [mod])" from the nearest code symbol or section start (type
# t, T or S) below it in SYMS (see unload_check), if less than 64 KiB away.
symbolize() {
	[ -s "$1" ] || { cat; return; }
	awk '$2 ~ /^[tTS]$/' "$1" | sort >"$1.sorted"
	awk 'BEGIN { n = 0 } FNR == NR { a[n] = $1; s[n] = $3; m[n] = $4; n++; next }
		match($0, /0xffffffff[0-9a-f]+/) {
			h = substr($0, RSTART + 2, RLENGTH - 2); b = -1
			for (i = 0; i < n && a[i] <= h; i++) b = i
			if (b >= 0 && length(h) == length(a[b])) {
				off = ("0x" substr(h, 9)) - ("0x" substr(a[b], 9))
				if (off >= 0 && off < 65536) { print $0 " (" s[b] "+" sprintf("0x%x", off) " " m[b] ")"; next }
			}
		}
		{ print }' "$1.sorted" -
}

# kmemleak_check SYMS - two kmemleak scans, then fail on any suspected leak;
# module addresses are resolved with SYMS (see symbolize).  An object is
# reported once it is 5 s old, unreferenced, and unchanged since the previous
# scan - hence two scans.  No-op on kernels without kmemleak.
kmemleak_check() {
	kl=/sys/kernel/debug/kmemleak
	[ -e $kl ] || return 0
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo scan >$kl 2>/dev/null ||
		check_failed "kmemleak scan (kmemleak disabled? see dmesg)" || return 1
	# Everything allocated before the rmmod must be 5 s old at the second scan.
	sleep "$(awk -v t0="$t0" '{ d = 5 - ($1 - t0); print (d > 0 ? d : 0) }' /proc/uptime)"
	echo scan >$kl
	leaks=$(cat $kl)
	echo "$M kmemleak: $(echo "$leaks" | grep -c '^unreferenced object') suspected leaks (two scans, $(uptime_since "$t0") s)"
	[ -n "$leaks" ] || return 0
	echo "$leaks" | symbolize "$1"
	check_failed "kmemleak: suspected memory leaks"
}

# unload_check SYMS - rmmod the test module (retried for a few seconds: a
# process may still be closing the device); fail if it stays loaded.  Its
# kallsyms lines and section starts ("ADDR S .init.text [mod]": init code has
# no symbols left) are saved in SYMS first, for symbolize.
unload_check() {
	mod=$(echo "$PVM_MODULE" | tr - _)
	: >"$1"
	if [ ! -d "/sys/module/$mod" ]; then
		echo "$M rmmod $mod: not loaded any more, nothing to check"
		return 0
	fi
	grep "\[$mod\]\$" /proc/kallsyms >"$1"
	for f in "/sys/module/$mod/sections/".*; do
		[ -f "$f" ] && echo "$(cut -c3- "$f") S ${f##*/} [$mod]"
	done >>"$1"
	echo "$M rmmod $mod"
	tries=0
	until rmmod "$mod"; do
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ] || [ ! -d "/sys/module/$mod" ]; then
			break
		fi
		sleep 1
	done
	[ ! -d "/sys/module/$mod" ] ||
		check_failed "rmmod $mod: module does not unload (refcnt $(cat "/sys/module/$mod/refcnt" 2>/dev/null), holders: $(ls "/sys/module/$mod/holders" 2>/dev/null))"
}

# after_checks - with a module loaded: it must unload, and (with kmemleak) no
# leak may be left, neither from the commands nor from the unload.  One pair of
# scans after the rmmod catches both: what only the module still pointed to is
# unreferenced once it is gone.  Returns 1 if any check failed.
after_checks() {
	[ -n "${PVM_MODULE:-}" ] || return 0
	ok=0
	unload_check /tmp/pvm-module.syms || ok=1
	kmemleak_check /tmp/pvm-module.syms || ok=1
	return "$ok"
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
	export PATH=/protshm:/protshm/bin:/sbin:/usr/sbin:/bin:/usr/bin PVM_TROUBLE
	export HOME=/root TERM=linux
	mkdir -p /root
	echo "$M init started (kernel uptime $(cut -d' ' -f1 /proc/uptime) s, $(uname -r))"
	result=0
	if load_module; then
		run_cmds || result=$?
		[ "${PVM_INTERACTIVE:-0}" -eq 0 ] || interactive
		after_checks || [ "$result" -ne 0 ] || result=1
	else
		result=1
	fi
	finish "$result"
}

main
