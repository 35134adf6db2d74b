#!/usr/bin/env bash
# debug-kernel.sh - build (once) and cache the protshm debug kernel: Debian's
# linux-source-6.1 or another series (plus a one-line export, see do_patch) configured from
# `make allnoconfig` plus scripts/debug-kernel.config (KASAN, lockdep,
# DEBUG_VM, kmemleak, PAGE_TABLE_CHECK, fault injection, and the features the
# tests use).
#
# Usage: scripts/debug-kernel.sh [--dir|--key|--rebuild]
#   (none)     make sure the kernel is built; print its tree (bzImage in
#              arch/x86/boot, ready for out-of-tree modules: it is the KDIR)
#              on stdout.  A cached build answers in well under a second.
#   --dir      print the cache directory of the current key; build nothing
#   --key      print the key and what it is made of; build nothing
#   --rebuild  discard the cached build of the current key and build again
# Everything but the answer goes to stderr; the build's output goes to
# DIR/build.log.
#
# Cache: $PROTSHM_CACHE/kernels/<key>/ (PROTSHM_CACHE defaults to
#   /var/cache/protshm if it is writable, else ${XDG_CACHE_HOME:-~/.cache}/protshm).
#   <key> = sha256 of the tarball's name, size and mtime, the compiler version,
#   RECIPE below and the config fragment.  DIR/.complete marks a finished
#   build; an interrupted one resumes (make is incremental).  A lock file
#   serialises concurrent runs for the same key.  Old keys are not removed.
# Environment: KSRC_TARBALL (default /usr/src/linux-source-6.1.tar.xz; any
#   Debian linux-source-X.Y.tar.xz, e.g. the 7.2 one of scripts/sid-kernel.sh),
#   JOBS (default nproc), PROTSHM_CACHE.

# The phase functions are called through phase() and a trap: not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Bump when the steps below change in a way that changes the result.
RECIPE="export-dump_mm/allnoconfig+fragment/merge_config-m/olddefconfig/all+modules_prepare v4"
TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
FRAGMENT=$HERE/debug-kernel.config
SRCTOP=$(basename "$TARBALL" .tar.xz)
JOBS=${JOBS:-$(nproc)}
DIR="" TREE="" LOG="" TICKER=""

# key_input - the text the key is the hash of (also kept as DIR/key.txt).
key_input() {
	echo "tarball: $(basename "$TARBALL") $(stat -c '%s %Y' "$TARBALL")"
	echo "compiler: $(${CC:-gcc} --version | head -n 1)"
	echo "recipe: $RECIPE"
	echo "fragment:"
	cat "$FRAGMENT"
}

# set_paths - DIR, TREE and LOG for the current key.
set_paths() {
	local key
	[[ -f $TARBALL ]] || die "$TARBALL missing (apt-get install $SRCTOP)"
	[[ -f $FRAGMENT ]] || die "$FRAGMENT missing"
	key=$(key_input | sha256sum | cut -c1-16)
	DIR=$(cache_root)/kernels/$key
	TREE=$DIR/$SRCTOP
	LOG=$DIR/build.log
}

# has_outputs - true when TREE has what kernel.sh and module builds use.
has_outputs() {
	[[ -f $TREE/arch/x86/boot/bzImage && -f $TREE/include/config/kernel.release &&
		-f $TREE/Module.symvers && -x $TREE/scripts/mod/modpost ]]
}

# is_complete - true when DIR holds a finished build.
is_complete() {
	[[ -f $DIR/.complete ]] && has_outputs
}

# do_extract - unpack the tarball into DIR (tar creates $SRCTOP).
do_extract() {
	rm -rf "$TREE" "$DIR/extract.tmp"
	mkdir -p "$DIR/extract.tmp"
	tar -xJf "$TARBALL" -C "$DIR/extract.tmp" >>"$LOG" 2>&1 || return 1
	[[ -f $DIR/extract.tmp/$SRCTOP/Makefile ]] || { echo "no $SRCTOP/ in $TARBALL" >>"$LOG"; return 1; }
	mv "$DIR/extract.tmp/$SRCTOP" "$TREE"
	rmdir "$DIR/extract.tmp"
	touch "$DIR/.extracted"
}

# do_patch - local changes to the source, each one idempotent:
# - export dump_mm(): with CONFIG_DEBUG_VM, mmap_assert_locked() and
#   mmap_assert_write_locked() (include/linux/mmap_lock.h) expand to
#   VM_BUG_ON_MM(), which calls dump_mm(); 6.1 does not export it (dump_page
#   and dump_vma are), so any module using those asserts fails modpost.
do_patch() {
	local f=$TREE/mm/debug.c
	if ! grep -q '^EXPORT_SYMBOL(dump_mm);' "$f"; then
		awk '{ print } /^void dump_mm\(const struct mm_struct \*mm\)$/ { fn = 1 }
			fn && $0 == "}" { print "EXPORT_SYMBOL(dump_mm);"; fn = 0 }' "$f" >"$f.tmp" &&
			mv "$f.tmp" "$f" || return 1
		grep -q '^EXPORT_SYMBOL(dump_mm);' "$f" || { echo "$f: could not export dump_mm" >>"$LOG"; return 1; }
		echo "patched $f: EXPORT_SYMBOL(dump_mm)" >>"$LOG"
	fi
	touch "$DIR/.patched"
}

# verify_config - every line of the fragment must hold in TREE/.config:
# CONFIG_X=V exactly, "# CONFIG_X is not set" not =y/=m.  Lists all misses.
verify_config() {
	awk '
		FNR == NR {
			if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) cfg[substr($0, 1, RLENGTH - 1)] = substr($0, RLENGTH + 1)
			next
		}
		/^CONFIG_[A-Za-z0-9_]+=/ {
			n++; eq = index($0, "="); sym = substr($0, 1, eq - 1); want = substr($0, eq + 1)
			if (!(sym in cfg) || cfg[sym] != want) {
				printf "  %s: want %s, got %s\n", sym, want, (sym in cfg) ? cfg[sym] : "not set"; bad++
			}
			next
		}
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ {
			n++; sym = $2
			if (cfg[sym] == "y" || cfg[sym] == "m") { printf "  %s: want not set, got %s\n", sym, cfg[sym]; bad++ }
		}
		END {
			if (bad) { printf "%d of %d fragment options did not take (missing dependency?)\n", bad, n; exit 1 }
			printf "all %d fragment options hold in .config\n", n
		}' "$TREE/.config" "$FRAGMENT"
}

# do_config - allnoconfig (64-bit) + fragment + olddefconfig, then verify.
do_config() {
	local out
	rm -f "$DIR/.configured"
	(
		cd "$TREE" &&
			make ARCH=x86_64 allnoconfig &&
			scripts/kconfig/merge_config.sh -m -O . .config "$FRAGMENT" &&
			make olddefconfig
	) >>"$LOG" 2>&1 || return 1
	cp "$FRAGMENT" "$DIR/debug-kernel.config"
	if ! out=$(verify_config); then
		msg "config verification FAILED:"
		echo "$out" >&2
		echo "$out" >>"$LOG"
		return 1
	fi
	msg "config: $out"
	echo "$out" >>"$LOG"
	touch "$DIR/.configured"
}

# ticker T0 - background: every minute, a progress line on stderr (counts
# the log lines written since the ticker started).
ticker() {
	local t0=$1 first last n
	first=$(($(wc -l <"$LOG") + 1))
	while sleep 60; do
		n=$(tail -n +"$first" "$LOG" | grep -acE '^  CC ') || true
		last=$(tail -n +"$first" "$LOG" | grep -aE '^  (CC|LD|AR|AS|GEN)' | tail -n 1 | sed 's/^ *//') || true
		msg "  ... $(printf '%.0f' "$(echo "$(now) - $t0" | bc)") s, $n files compiled, last: ${last:-?}"
	done
}

# do_build - the kernel (vmlinux, bzImage, Module.symvers) and the
# out-of-tree module prerequisites.
do_build() {
	ticker "$(now)" &
	TICKER=$!
	local rc=0
	(cd "$TREE" && make -j"$JOBS" all && make -j"$JOBS" modules_prepare) >>"$LOG" 2>&1 || rc=$?
	kill "$TICKER" 2>/dev/null || true
	wait "$TICKER" 2>/dev/null || true
	TICKER=""
	return "$rc"
}

# build - extract, configure and build as needed, then mark complete.
build() {
	local t0
	t0=$(now)
	msg "building the debug kernel ($SRCTOP) in $DIR with $JOBS jobs (log: $LOG; takes ~20 min on 2 cores)"
	key_input >"$DIR/key.txt"
	[[ -f $DIR/.extracted && -f $TREE/Makefile ]] || { rm -f "$DIR/.patched"; phase extract do_extract; }
	[[ -f $DIR/.patched ]] || phase patch do_patch
	[[ -f $DIR/.configured && -f $TREE/.config ]] || phase config do_config
	phase "build (make all modules_prepare)" do_build
	has_outputs || die "build finished but $TREE lacks bzImage, kernel.release, Module.symvers or modpost"
	date -u +%FT%TZ >"$DIR/.complete"
	msg "done in $(elapsed "$t0") s: $(<"$TREE/include/config/kernel.release"), $TREE/arch/x86/boot/bzImage"
}

cleanup() {
	[[ -z $TICKER ]] || kill "$TICKER" 2>/dev/null || true
}

main() {
	local mode=build
	case ${1:-} in
	"") ;;
	--dir | --key | --rebuild) mode=${1#--} ;;
	*) usage ;;
	esac
	set_paths
	case $mode in
	dir) echo "$DIR"; return ;;
	key) echo "${DIR##*/}"; key_input | sed -n '1,3p' >&2; echo "fragment: $FRAGMENT" >&2; return ;;
	esac
	if [[ $mode == build ]] && is_complete; then
		echo "$TREE"
		return
	fi
	mkdir -p "$DIR"
	trap cleanup EXIT
	lock_dir "$DIR"
	if [[ $mode == rebuild ]]; then
		msg "discarding $DIR"
		rm -rf "$TREE" "$DIR"/.{extracted,patched,configured,complete} "$LOG"
	fi
	is_complete || build
	echo "$TREE"
}

# One line: bash reads a script as it runs it, and the build takes minutes.
{ main "$@"; exit; }
