# shellcheck shell=bash
# lib.sh - the helpers every script of scripts/ (and .ci/run) shares; sourced,
# not run:
#   # shellcheck source=scripts/lib.sh
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Sets HERE (this directory), TOP (the repository) and PROG (the running
# script's name, unless the script set it), the prefix of every message.
# TROUBLE is the one pattern of kernel-trouble lines: vm.sh scans the guest
# log with it and hands it to the guest (PVM_TROUBLE, see vm-init.sh).

# shellcheck disable=SC2034 # HERE, TOP and TROUBLE are for the sourcing scripts
{
	HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	TOP=$(dirname "$HERE")
	PROG=${PROG:-${0##*/}}
	TROUBLE='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection|Kernel panic|sleeping function called from invalid context|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|unreferenced object|Call Trace:|enqueued on deprecated workqueue'
}

# msg TEXT... - "PROG: TEXT" on stderr.
msg() {
	echo "$PROG: $*" >&2
}

# die TEXT... - msg, then exit with DIE_STATUS (default 1).
die() {
	msg "$@"
	exit "${DIE_STATUS:-1}"
}

# fail TEXT... - a failed check: "PROG: FAIL: TEXT", exit 1.
fail() {
	msg "FAIL: $*"
	exit 1
}

# usage - print the running script's header from its "# Usage:" line to
# the end of the comment block on stderr; exit 2.
usage() {
	awk '/^# Usage:/ { on = 1 } on && !/^#/ { exit } on { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
}

# parse_opts SPEC... -- ARG... - set variables from long options.  A SPEC is
#   --NAME=VAR   option with a value (may be empty): VAR=value
#   --NAME+VAR   repeatable option with a value: appended to the array VAR
#   --NAME!VAR   flag: VAR=1
# -h/--help, an unknown option, a missing value or any other argument: usage.
parse_opts() {
	local -A _po_val=() _po_add=() _po_flag=()
	while [[ $1 != -- ]]; do
		case $1 in
		*=*) _po_val[${1%%=*}]=${1#*=} ;;
		*+*) _po_add[${1%%+*}]=${1#*+} ;;
		*!*) _po_flag[${1%%!*}]=${1#*!} ;;
		esac
		shift
	done
	shift
	while (($#)); do
		if [[ -n ${_po_flag[$1]:-} ]]; then
			printf -v "${_po_flag[$1]}" 1
		elif [[ -n ${_po_val[$1]:-} || -n ${_po_add[$1]:-} ]]; then
			(($# >= 2)) || { msg "$1 wants a value"; usage; }
			if [[ -n ${_po_val[$1]:-} ]]; then
				printf -v "${_po_val[$1]}" '%s' "$2"
			else
				eval "${_po_add[$1]}+=(\"\$2\")"
			fi
			shift
		else
			[[ $1 == -h || $1 == --help ]] || msg "unknown option '$1'"
			usage
		fi
		shift
	done
}

# decompress FILE [NAME] - FILE (e.g. a module as the kernel ships it)
# uncompressed on stdout; the format is NAME's suffix (default FILE's): .xz,
# .zst, .gz, anything else is copied.
decompress() {
	case ${2:-$1} in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# run_tee LOG CMD... - run CMD; its output, carriage returns dropped, on
# stdout and in LOG.  Returns CMD's status.
run_tee() {
	local log=$1
	shift
	"$@" | tr -d '\r' | tee "$log"
	return "${PIPESTATUS[0]}"
}

# now - seconds since the epoch, with fraction.
now() {
	date +%s.%N
}

# elapsed T0 [T1] - seconds from T0 to T1 (default now), one decimal.
elapsed() {
	printf '%.1f' "$(echo "${2:-$(now)} - $1" | bc)"
}

# phase NAME CMD... - run one step, report its duration; on failure exit 1.
# With LOG set, CMD's output goes there and its last lines are shown on
# failure; otherwise it goes to stdout.
phase() {
	local name=$1 t0 rc=0
	shift
	t0=$(now)
	msg "$name ..."
	[[ -z ${LOG:-} ]] || echo "=== $name: $*" >>"$LOG"
	"$@" || rc=$?
	if ((rc)); then
		msg "$name FAILED (status $rc) after $(elapsed "$t0") s${LOG:+; last lines of $LOG:}"
		[[ -z ${LOG:-} ]] || tail -n 30 "$LOG" >&2
		exit 1
	fi
	msg "$name: $(elapsed "$t0") s"
}

# lock_dir DIR - hold DIR.lock (fd 9) for the rest of the script.
lock_dir() {
	exec 9>"$1.lock"
	if ! flock -n 9; then
		msg "waiting for another run using $1 ..."
		flock 9
	fi
}

# cache_root - where the kernel caches (kernels/) live: PROTSHM_CACHE, else
# /var/cache/protshm if writable, else the user's cache directory.
cache_root() {
	if [[ -n ${PROTSHM_CACHE:-} ]]; then
		echo "$PROTSHM_CACHE"
	elif [[ -w /var/cache/protshm ]] || { [[ ! -e /var/cache/protshm && -w /var/cache ]]; }; then
		echo /var/cache/protshm
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/protshm"
	fi
}
