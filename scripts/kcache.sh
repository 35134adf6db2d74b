# shellcheck shell=bash
# kcache.sh - helpers shared by the kernel cache scripts (debug-kernel.sh,
# sid-kernel.sh); sourced, not run.  The sourcing script sets PROG and, before
# calling phase(), LOG (the build log).

die() {
	echo "$PROG: $*" >&2
	exit 1
}

msg() {
	echo "$PROG: $*" >&2
}

# cache_root - where the kernels/ directory lives.
cache_root() {
	if [[ -n ${PROTSHM_CACHE:-} ]]; then
		echo "$PROTSHM_CACHE"
	elif [[ -w /var/cache/protshm ]] || { [[ ! -e /var/cache/protshm && -w /var/cache ]]; }; then
		echo /var/cache/protshm
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/protshm"
	fi
}

# now - seconds since the epoch, with fraction.
now() {
	date +%s.%N
}

# elapsed T0 - seconds since T0, one decimal.
elapsed() {
	printf '%.1f' "$(echo "$(now) - $1" | bc)"
}

# phase NAME CMD... - run one build phase, report its duration.
phase() {
	local name=$1 t0 rc=0
	shift
	t0=$(now)
	msg "$name ..."
	echo "=== $name: $*" >>"$LOG"
	"$@" || rc=$?
	if ((rc)); then
		msg "$name FAILED after $(elapsed "$t0") s; last lines of $LOG:"
		tail -n 30 "$LOG" >&2
		exit 1
	fi
	msg "$name: $(elapsed "$t0") s"
}

# lock_dir DIR - hold DIR.lock (fd 9) for the rest of the script.
lock_dir() {
	exec 9>"$1.lock"
	if ! flock -n 9; then
		msg "waiting for another run building $1 ..."
		flock 9
	fi
}
