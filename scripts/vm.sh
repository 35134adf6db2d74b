#!/usr/bin/env bash
# vm.sh - boot a kernel under QEMU with a busybox initramfs, optionally insmod a
# module, run commands in the guest, and turn the guest's result plus any kernel
# trouble in its log into this script's exit status.
#
# Usage: scripts/vm.sh [options]
#   --kernel SEL      kernel selector for scripts/kernel.sh (default: $KERNEL or 6.1)
#   --ko PATH         module copied to /protshm/ and insmod'ed at boot (failure => status 1)
#   --files "A B"     files/directories copied into /protshm/ (by basename, modes kept,
#                     symlinks followed); shared libraries (ldd) of ELF executables and
#                     .so files are copied to their host paths.  Repeatable.
#   --cmd "CMD"       shell command run in /protshm with PATH=/protshm:/protshm/bin:...,
#                     stdin /dev/null.  Repeatable; run in order; result is the first
#                     non-zero status, all commands run unless --stop-on-fail.
#   --stop-on-fail    stop after the first failing command
#   --timeout SEC     kill QEMU after SEC seconds, report TIMEOUT (default 300)
#   --builddir DIR    initramfs and guest.log go here (default ./build/vm)
#   --interactive     busybox shell on the serial console after the commands; no
#                     timeout (Ctrl-A x quits QEMU, 'exit' powers off)
#   --mem SIZE        guest memory (default 1024M)
#   --smp N           guest CPUs (default 2)
#   --quiet           do not stream the guest console to stdout (log still written)
# Environment: KERNEL (default for --kernel); PROTSHM_KVM=1 uses -enable-kvm -cpu
#   host instead of TCG; PROTSHM_APPEND adds kernel command-line arguments;
#   PROTSHM_QEMU_ARGS adds QEMU arguments (split on spaces), e.g.
#   "-icount shift=0" with --smp 1 (icount makes TCG single-threaded);
#   PROTSHM_PVH=0 boots the bzImage itself instead of the vmlinux extracted
#   from it (PVH entry, cached as BUILDDIR/vmlinux; ~4.5 s faster under TCG,
#   but no KASLR); PROTSHM_KSRC (default build/ksrc, scripts/extract-ksrc.sh
#   fills it) holds the kernel tree's tools used here: usr/gen_initramfs.sh
#   (with gen_init_cpio) writes the initramfs, /dev/console included without
#   mknod, and scripts/extract-vmlinux the vmlinux.  One run at a time per
#   BUILDDIR.
# After the commands, when a module was loaded, the guest checks that the
#   module unloads (rmmod) and then, on kernels with kmemleak (KERNEL=debug),
#   that two scans report no leak; a failed check prints "guest check FAILED"
#   and makes a zero result 1 (see scripts/vm-init.sh).
# A guest that dies before it loaded the module or ran a command (a boot
#   failure) is booted once more, with a "vm.sh: RETRY" line saying why.
# Exit status: the guest's result; 124 TIMEOUT; 125 guest died without a result
#   (panic, reboot, QEMU error); 126 result 0 but kernel trouble (BUG/WARNING/
#   Oops/KASAN/lockdep/kmemleak, work queued on a deprecated workqueue...) in
#   the guest log; 2 usage error.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIE_STATUS=2
MARK='### protshm-vm:'
KSRC=${PROTSHM_KSRC:-$TOP/build/ksrc}

KSEL=${KERNEL:-6.1} KO="" TIMEOUT=300 BUILDDIR=./build/vm MEM=1024M SMP=2
INTERACTIVE=0 QUIET=0 STOP_ON_FAIL=0
FILES=() CMDS=() FILE_ARGS=()
ROOT="" LOG="" IMAGE="" T0="" QPID="" WATCHER="" INTERRUPTED=0

# parse_args ARGS... - fill the option globals.
parse_args() {
	local -a words
	local f
	parse_opts --kernel=KSEL --ko=KO --files+FILE_ARGS --cmd+CMDS \
		--stop-on-fail!STOP_ON_FAIL --timeout=TIMEOUT --builddir=BUILDDIR \
		--interactive!INTERACTIVE --mem=MEM --smp=SMP --quiet!QUIET -- "$@"
	for f in "${FILE_ARGS[@]}"; do
		read -ra words <<<"$f"
		FILES+=("${words[@]}")
	done
	[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
	[[ -z $KO || -f $KO ]] || die "--ko $KO: no such file"
}

# stage_base - fresh root dir with busybox, /init and the guest config.
stage_base() {
	ROOT=$BUILDDIR/root
	rm -rf "$ROOT"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,protshm,etc/protshm-vm}
	cp /bin/busybox "$ROOT/bin/busybox"
	install -m 755 "$HERE/vm-init.sh" "$ROOT/init"
	{
		echo "PVM_MODULE=${KO:+$(basename "$KO" .ko)}"
		echo "PVM_STOP_ON_FAIL=$STOP_ON_FAIL"
		echo "PVM_INTERACTIVE=$INTERACTIVE"
		printf 'PVM_TROUBLE=%q\n' "$TROUBLE"
	} >"$ROOT/etc/protshm-vm/conf"
	local i
	for i in "${!CMDS[@]}"; do
		printf '%s\n' "${CMDS[i]}" >"$ROOT/etc/protshm-vm/cmd.$((i + 1))"
	done
}

# stage_files - copy --ko and --files into /protshm.
stage_files() {
	local f
	[[ -z $KO ]] || cp "$KO" "$ROOT/protshm/"
	for f in "${FILES[@]}"; do
		[[ -e $f ]] || die "--files $f: no such file or directory"
		cp -RL --preserve=mode,timestamps "$f" "$ROOT/protshm/"
	done
}

# is_dyn_candidate FILE - ELF file that is executable or named *.so*.
is_dyn_candidate() {
	local f=$1 magic
	[[ -x $f || $f == *.so || $f == *.so.* ]] || return 1
	magic=$(head -c 4 "$f" 2>/dev/null) || return 1
	[[ $magic == $'\x7fELF' ]]
}

# libs_of FILE - absolute paths of FILE's shared libraries and loader (none if static).
libs_of() {
	local out
	out=$(ldd "$1" 2>/dev/null) || return 0 # "not a dynamic executable"
	if grep -q 'not found' <<<"$out"; then
		die "$1: missing shared libraries: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# stage_libs - copy the shared libraries of staged ELF files to their host paths.
stage_libs() {
	local f lib
	local -A seen=()
	while IFS= read -r -d '' f; do
		is_dyn_candidate "$f" || continue
		while IFS= read -r lib; do
			[[ -n $lib && -z ${seen[$lib]:-} ]] || continue
			seen[$lib]=1
			mkdir -p "$ROOT$(dirname "$lib")"
			cp -L "$lib" "$ROOT$lib"
		done < <(libs_of "$f")
	done < <(find "$ROOT/protshm" -type f -print0)
}

# build_initramfs - uncompressed newc cpio of ROOT plus /dev/console, by the
# kernel tree's gen_initramfs.sh (every file owned by root).
build_initramfs() {
	local out list root
	out=$(realpath "$BUILDDIR/initramfs.cpio")
	list=$(realpath "$BUILDDIR/console.list")
	root=$(realpath "$ROOT")
	echo 'nod /dev/console 0600 0 0 c 5 1' >"$list"
	(cd "$KSRC" && sh usr/gen_initramfs.sh -o "$out" -u squash -g squash "$root" "$list") ||
		die "usr/gen_initramfs.sh failed"
}

# has_pvh_note ELF - true if ELF has the Xen PHYS32_ENTRY note QEMU needs to boot it.
has_pvh_note() {
	readelf -n "$1" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'
}

# boot_image - the file to pass to -kernel.  Booting the decompressed vmlinux
# through PVH skips the in-guest decompression, which costs ~4.5 s under TCG;
# it is extracted once and cached in BUILDDIR.  PROTSHM_PVH=0 disables this.
boot_image() {
	local id vmlinux=$BUILDDIR/vmlinux
	[[ ${PROTSHM_PVH:-1} == 1 ]] || { echo "$IMAGE"; return; }
	id="$(realpath "$IMAGE") $(stat -c '%s %Y' "$IMAGE")"
	if [[ ! -f $vmlinux.id || "$(<"$vmlinux.id")" != "$id" ]]; then
		rm -f "$vmlinux" "$vmlinux.id"
		if sh "$KSRC/scripts/extract-vmlinux" "$IMAGE" >"$vmlinux.tmp" &&
			has_pvh_note "$vmlinux.tmp"; then
			mv "$vmlinux.tmp" "$vmlinux"
		else
			rm -f "$vmlinux.tmp"
			: >"$vmlinux" # marks "no PVH vmlinux for this image"
		fi
		echo "$id" >"$vmlinux.id"
	fi
	if [[ -s $vmlinux ]]; then echo "$vmlinux"; else echo "$IMAGE"; fi
}

# qemu_cmd - fill the global QEMU array with the command line.
# tsc=reliable: under TCG load the clocksource watchdog can find the TSC
# skewed against the HPET and mark it unstable mid-run; the kernel then
# patches its sched_clock static key, and QEMU's multi-threaded TCG can run
# the int3 of that live patch on the other vCPU: "Oops: int3" in
# sched_clock_cpu from clocksource_watchdog_work, a panic that is not ours.
qemu_cmd() {
	local append="console=ttyS0 quiet panic=-1 oops=panic loglevel=4 tsc=reliable ${PROTSHM_APPEND:-}"
	local chardev="stdio,id=con,logfile=$LOG"
	QEMU=(qemu-system-x86_64 -nodefaults -display none -no-reboot
		-m "$MEM" -smp "$SMP" -kernel "$(boot_image)" -initrd "$BUILDDIR/initramfs.cpio"
		-append "$append")
	if [[ ${PROTSHM_KVM:-0} == 1 ]]; then
		QEMU+=(-enable-kvm -cpu host)
	elif [[ ${PROTSHM_QEMU_ARGS:-} == *-icount* ]]; then
		QEMU+=(-accel "tcg,thread=single" -cpu max) # no MTTCG with icount
	else
		QEMU+=(-accel "tcg,thread=multi" -cpu max)
	fi
	# shellcheck disable=SC2206 # split into words on purpose
	[[ -z ${PROTSHM_QEMU_ARGS:-} ]] || QEMU+=(${PROTSHM_QEMU_ARGS})
	if ((INTERACTIVE)); then
		QEMU+=(-chardev "$chardev,mux=on,signal=off" -serial chardev:con
			-mon "chardev=con,mode=readline")
	else
		QEMU+=(-chardev "$chardev" -serial chardev:con)
	fi
}

# watch_boot - background: record the host time the guest's init started.
watch_boot() {
	rm -f "$BUILDDIR/boot.stamp"
	(
		while sleep 0.1; do
			if grep -qa "$MARK init started" "$LOG" 2>/dev/null; then
				now >"$BUILDDIR/boot.stamp"
				exit 0
			fi
		done
	) &
	WATCHER=$!
}

# on_signal - INT/TERM trap: stop QEMU, remember why.
# shellcheck disable=SC2317
on_signal() {
	INTERRUPTED=1
	[[ -z $QPID ]] || kill -TERM "$QPID" 2>/dev/null || true
}

# hide_dmesg - copy the console to stdout without the dmesg dump (the log
# keeps it), so a user sees the commands' output.
hide_dmesg() {
	awk -v b="$MARK dmesg begin" -v e="$MARK dmesg end" '
		index($0, b) { skip = 1; print "(guest dmesg: see the log)"; next }
		index($0, e) { skip = 0; next }
		!skip { print; fflush() }'
}

# run_qemu - run QEMU (under timeout unless interactive); return its status.
run_qemu() {
	local rc=0
	: >"$LOG"
	T0=$(now)
	watch_boot
	if ((INTERACTIVE)); then
		"${QEMU[@]}" || rc=$?
	else
		trap on_signal INT TERM
		if ((QUIET)); then
			timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null >/dev/null &
		else
			timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null > >(hide_dmesg) &
		fi
		QPID=$!
		while :; do
			rc=0
			wait "$QPID" || rc=$?
			kill -0 "$QPID" 2>/dev/null || break # else: wait interrupted by a signal
		done
		trap - INT TERM
	fi
	kill "$WATCHER" 2>/dev/null || true
	wait "$WATCHER" 2>/dev/null || true
	# Guest died within one poll interval of init: use now as the (upper bound) time.
	[[ -f $BUILDDIR/boot.stamp ]] || ! grep -qa "$MARK init started" "$LOG" ||
		now >"$BUILDDIR/boot.stamp"
	tr -d '\r' <"$LOG" >"$LOG.tmp" && mv "$LOG.tmp" "$LOG"
	return "$rc"
}

# report_timing - boot (QEMU start to guest init) and total seconds.
report_timing() {
	local boot="?"
	[[ ! -f $BUILDDIR/boot.stamp ]] || boot=$(elapsed "$T0" "$(<"$BUILDDIR/boot.stamp")")
	msg "timing: boot ${boot} s, total $(elapsed "$T0") s"
}

# guest_result - the status from the guest's result marker (fails if absent).
guest_result() {
	grep -ao "$MARK result [0-9]\+" "$LOG" | tail -n 1 | awk '{ print $NF }' | grep .
}

# scan_trouble - print kernel-trouble lines (deduplicated, ">>"-marked) with a few
# lines of context, overlapping contexts merged; true if any.  The command-echo
# marker lines are skipped, everything else (console, program output, dmesg) counts.
scan_trouble() {
	awk -v re="$TROUBLE" -v mark="$MARK run:" -v max=30 '
		{ line[NR] = $0 }
		index($0, mark) != 1 && $0 ~ re {
			key = $0
			sub(/^.*\[ *[0-9]+\.[0-9]+\] /, "", key)
			if (!(key in seen) && n < max) {
				seen[key] = 1; n++; hit[NR] = 1
				for (j = NR - 2; j <= NR + 6; j++) show[j] = 1
			} else if (!(key in seen)) more++
		}
		END {
			for (j = 1; j <= NR; j++) {
				if (!show[j]) continue
				if (!show[j - 1]) print "--"
				printf "%s%s\n", (hit[j] ? ">> " : "   "), line[j]
			}
			if (more) print "-- (" more " more distinct matches)"
			exit n == 0
		}' "$LOG"
}

# died_before_load QEMU_RC - true when the guest died (no result, no
# timeout) before it loaded the module or ran a command: a boot failure
# such as Debian 6.12's rare "Oops: int3" under MTTCG while the kernel
# patches its text, which says nothing about protshm.
died_before_load() {
	((!INTERRUPTED && !INTERACTIVE && $1 != 124 && $1 != 137)) &&
		! guest_result >/dev/null &&
		! grep -qa -e "^$MARK insmod" -e "^$MARK run:" "$LOG"
}

# verdict QEMU_RC - turn the run into the exit status (see header).
verdict() {
	local qrc=$1 rc
	if ((INTERRUPTED)); then
		msg "interrupted"
		return 130
	fi
	if ! rc=$(guest_result); then
		if ((qrc == 124 || qrc == 137)); then
			msg "TIMEOUT: guest still running after ${TIMEOUT} s (log: $LOG)"
			rc=124
		else
			msg "guest died without result (qemu status $qrc); last 40 log lines:"
			tail -n 40 "$LOG" >&2
			rc=125
		fi
	fi
	grep -a "^$MARK check FAILED" "$LOG" | sed "s/^$MARK /$PROG: guest /" >&2 || true
	if scan_trouble >"$BUILDDIR/trouble.txt"; then
		msg "kernel trouble in guest log ($LOG):"
		cat "$BUILDDIR/trouble.txt" >&2
		((rc != 0)) || rc=126
	fi
	((rc == 0)) || msg "FAIL (status $rc)"
	return "$rc"
}

main() {
	local qrc=0 rc=0
	parse_args "$@"
	IMAGE=$("$HERE/kernel.sh" "$KSEL" image) || exit 2
	"$HERE/extract-ksrc.sh" "$KSRC" || exit 2
	mkdir -p "$BUILDDIR"
	LOG=$BUILDDIR/guest.log
	stage_base
	stage_files
	stage_libs
	build_initramfs
	qemu_cmd
	msg "booting $IMAGE (${MEM}, ${SMP} cpus, timeout $( ((INTERACTIVE)) && echo none || echo "${TIMEOUT}s"))"
	run_qemu || qrc=$?
	if died_before_load "$qrc"; then
		cp "$LOG" "$LOG.died"
		msg "RETRY: the guest died before protshm was loaded (qemu status $qrc;" \
			"$(grep -a -m1 -E "$TROUBLE" "$LOG" | tr -d '\r' || echo 'no trouble line')):" \
			"booting once more (log of the failed boot: $LOG.died)"
		qrc=0
		run_qemu || qrc=$?
	fi
	verdict "$qrc" || rc=$?
	report_timing
	exit "$rc"
}

main "$@"
