#!/usr/bin/env bash
# sid-kernel.sh - fetch (once) and cache a kernel series of Debian sid (7.2)
# for protshm: Debian's image and brd.ko, and a module build tree made from
# linux-source-SERIES with Debian's .config and Module.symvers (taken from
# the headers package), `make olddefconfig` with the host's compiler (only
# compiler-capability symbols change) and `make modules_prepare` with
# Debian's release string, so that the module loads into Debian's image.
# Nothing is installed on the host: apt runs on a private state directory
# with a temporary sources list, suite sid on the host's own Debian mirror
# (the first configured entry of the host's release).
#
# Usage: scripts/sid-kernel.sh SERIES [--dir|--refresh|--rebuild]
#   (none)     make sure the kernel is there; print its directory DIR on stdout:
#                DIR/linux-source-SERIES/        module build tree (the KDIR)
#                DIR/vmlinuz, DIR/release        Debian's image and its release
#                DIR/modules/kernel/drivers/block/brd.ko
#                DIR/linux-source-SERIES.tar.xz  the source (debug kernel)
#              A cached kernel answers offline in well under a second.
#   --dir      print DIR; fetch and build nothing
#   --refresh  ask sid again which packages are current, then as (none)
#   --rebuild  discard DIR and fetch and build again
# Which packages make up SERIES is asked of sid once and kept in
# CACHE/kernels/sid-SERIES.pkgs (--refresh asks again).  When sid no longer
# has SERIES (it moved on), this says what it has instead.
# Cache: CACHE/kernels/<key>/, CACHE as in debug-kernel.sh; <key> = sha256 of
#   the packages (name, version, SHA256), the compiler version and RECIPE.
#   DIR/.complete marks a finished tree; DIR/build.log has the build output.
# Environment: JOBS (default nproc), PROTSHM_CACHE, PROTSHM_SID_MIRROR (a
#   Debian archive URI to use instead of the host's).

# Phase functions run through phase(): not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Bump when the steps below change in a way that changes the result.
RECIPE="debian-config+symvers/olddefconfig/modules_prepare KERNELRELEASE v1"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
JOBS=${JOBS:-$(nproc)}
SERIES="" KROOT="" APTDIR="" PKGS="" DIR="" TREE="" LOG=""
APT_OPTS=()

# host_mirror - "URI KEYRING" of the host's Debian archive: the first
# enabled deb entry whose suite is the host's release codename exactly.
host_mirror() {
	local codename f
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $codename ]] || return 1
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[[ -f $f ]] || continue
			awk -v cn="$codename" -v kr="$KEYRING" '
				BEGIN { RS = ""; FS = "\n" }
				{
					delete v
					for (i = 1; i <= NF; i++) {
						if ($i ~ /^[ \t]*#/ || !match($i, /^[A-Za-z-]+:/)) continue
						v[tolower(substr($i, 1, RLENGTH - 1))] = substr($i, RLENGTH + 2)
					}
					if (v["enabled"] ~ /^[ \t]*no/ || (" " v["types"] " ") !~ / deb /) next
					if ((" " v["suites"] " ") !~ (" " cn " ")) next
					split(v["uris"], u, " ")
					k = v["signed-by"] ~ /^\// ? v["signed-by"] : kr
					print u[1], k
				}' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[[ -f $f ]] || continue
			awk -v cn="$codename" -v kr="$KEYRING" '
				$1 != "deb" { next }
				{ k = kr; i = 2 }
				$2 ~ /^\[/ {
					for (; i <= NF; i++) {
						if ($i ~ /^\[?signed-by=/) { k = $i; sub(/^\[?signed-by=/, "", k); sub(/\]$/, "", k) }
						if ($i ~ /\]$/) { i++; break }
					}
				}
				$(i + 1) == cn { print $i, k }' "$f"
		done
	} | head -n 1 | grep .
}

# set_apt - private apt state under KROOT/sid-apt and its sources list.
set_apt() {
	local mirror key
	APTDIR=$KROOT/sid-apt
	mkdir -p "$APTDIR"/{state/lists/partial,cache/archives/partial,parts}
	: >"$APTDIR/status"
	if [[ -n ${PROTSHM_SID_MIRROR:-} ]]; then
		mirror=$PROTSHM_SID_MIRROR key=$KEYRING
	else
		read -r mirror key < <(host_mirror) ||
			die "no Debian archive for this host's release in /etc/apt/sources.list*; set PROTSHM_SID_MIRROR"
	fi
	echo "deb [signed-by=$key] $mirror sid main" >"$APTDIR/sources.list"
	APT_OPTS=(-o "Dir::State=$APTDIR/state" -o "Dir::State::status=$APTDIR/status"
		-o "Dir::Cache=$APTDIR/cache" -o "Dir::Etc::SourceList=$APTDIR/sources.list"
		-o "Dir::Etc::SourceParts=$APTDIR/parts" -o "Dir::Etc::PreferencesParts=$APTDIR/parts"
		-o Dir::Etc::Preferences=/dev/null -o Debug::NoLocking=1
		-o APT::Sandbox::User=root -qq)
}

apt_cache() {
	apt-cache "${APT_OPTS[@]}" "$@"
}

# field NAME - the value of field NAME of the first stanza on stdin.
field() {
	awk -v f="$1:" '$1 == f { print $2; exit }'
}

# version_of PKG - sid's version of PKG (empty if sid has none).
version_of() {
	{ apt_cache show --no-all-versions "$1" 2>/dev/null || true; } | field Version
}

# what_sid_has - one line on the kernel series sid offers.
what_sid_has() {
	local p out=""
	for p in $(apt_cache pkgnames linux-source- | sort -V); do
		out+=" $p ($(version_of "$p"))"
	done
	echo "${out:- no linux-source-* at all}"
}

# resolve - ask sid which packages make up SERIES; write PKGS.
resolve() {
	local src ver hdr rel bin p
	msg "asking sid ($(awk '{ print $3 }' "$APTDIR/sources.list")) for Linux $SERIES ..."
	apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update of sid failed"
	src=linux-source-$SERIES
	ver=$(version_of "$src")
	[[ -n $ver ]] || die "Debian sid has no $src (any more?); sid has:$(what_sid_has).  Update the matrix's $SERIES selector (scripts/kernel.sh)."
	for p in $(apt_cache pkgnames "linux-headers-$SERIES." | grep -E "^linux-headers-${SERIES//./\\.}\\.[0-9]+[^-]*-amd64\$" | sort -rV); do
		[[ $(version_of "$p") == "$ver" ]] && { hdr=$p; break; }
	done
	[[ -n ${hdr:-} ]] || die "sid has $src $ver but no linux-headers-$SERIES.*-amd64 of that version (sid in transition? headers there: $(apt_cache pkgnames "linux-headers-$SERIES." | tr '\n' ' '))"
	rel=${hdr#linux-headers-}
	for bin in "linux-binary-$rel" "linux-binary-unsigned-$rel" ""; do
		[[ -z $bin || $(version_of "$bin") == "$ver" ]] && break
	done
	[[ -n $bin ]] || die "sid has $src $ver but no linux-binary-$rel of that version"
	for p in "$src" "$hdr" "linux-headers-${rel%-amd64}-common" "$bin" "linux-modules-$rel"; do
		apt_cache show --no-all-versions "$p" |
			awk -v r="$rel" '$1 ~ /^(Package|Version|SHA256):$/ { printf "%s ", $2 } END { print r }'
	done >"$PKGS.tmp"
	(($(awk 'NF == 4 && $2 != ""' "$PKGS.tmp" | wc -l) == 5)) ||
		die "incomplete package data from sid: $(tr '\n' ';' <"$PKGS.tmp")"
	mv "$PKGS.tmp" "$PKGS"
	msg "sid: Linux $rel ($ver)"
}

# key_input - the text the key is the hash of (also kept as DIR/key.txt).
key_input() {
	echo "packages:"
	cat "$PKGS"
	echo "compiler: $(${CC:-gcc} --version | head -n 1)"
	echo "recipe: $RECIPE"
}

set_paths() {
	local key
	key=$(key_input | sha256sum | cut -c1-16)
	DIR=$KROOT/$key
	TREE=$DIR/linux-source-$SERIES
	LOG=$DIR/build.log
}

is_complete() {
	[[ -f $DIR/.complete && -f $DIR/vmlinuz && -f $DIR/release &&
		-f $TREE/Module.symvers && -x $TREE/scripts/mod/modpost ]]
}

# pkg N - the .deb file of the N-th package of PKGS.
pkg() {
	local name ver
	read -r name ver _ < <(sed -n "${1}p" "$PKGS")
	echo "$DIR/debs/${name}_${ver//:/%3a}_"*.deb
}

# do_download - the five packages into DIR/debs, checked against PKGS.
do_download() {
	local n name ver sum f
	mkdir -p "$DIR/debs"
	for n in 1 2 3 4 5; do
		read -r name ver sum _ < <(sed -n "${n}p" "$PKGS")
		f=$(pkg "$n")
		if [[ ! -f $f ]]; then
			(cd "$DIR/debs" && apt-get "${APT_OPTS[@]}" download "$name=$ver") >>"$LOG" 2>&1 || return 1
			f=$(pkg "$n")
		fi
		[[ $(sha256sum <"$f" | cut -d' ' -f1) == "$sum" ]] ||
			{ echo "$f: SHA256 mismatch" >>"$LOG"; rm -f "$f"; return 1; }
	done
	touch "$DIR/.downloaded"
}

# member DEB PATTERN - extract the members of DEB matching PATTERN to stdout.
member() {
	dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards "$2"
}

# do_unpack - source tree, Debian's config and symbols, image, brd.ko.
do_unpack() {
	local rel brd
	rel=$(awk 'NR == 1 { print $4 }' "$PKGS")
	rm -rf "$TREE" "$DIR/modules"
	# tar keeps the tarball's mtime: the debug kernel's key uses it.
	dpkg-deb --fsys-tarfile "$(pkg 1)" | tar -x -C "$DIR" --strip-components=3 \
		"./usr/src/linux-source-$SERIES.tar.xz" || return 1
	tar -xJf "$DIR/linux-source-$SERIES.tar.xz" -C "$DIR" >>"$LOG" 2>&1 || return 1
	[[ -f $TREE/Makefile ]] || { echo "no linux-source-$SERIES/ in the tarball" >>"$LOG"; return 1; }
	member "$(pkg 2)" "./usr/src/linux-headers-$rel/.config" >"$DIR/debian.config"
	member "$(pkg 2)" "./usr/src/linux-headers-$rel/Module.symvers" >"$DIR/Module.symvers"
	member "$(pkg 4)" "./usr/lib/modules/$rel/vmlinuz" >"$DIR/vmlinuz"
	brd=$(dpkg-deb -c "$(pkg 5)" | awk '$NF ~ /\/drivers\/block\/brd\.ko/ { print $NF }')
	mkdir -p "$DIR/modules/kernel/drivers/block"
	if [[ -n $brd ]]; then
		member "$(pkg 5)" "$brd" | decompress /dev/stdin "$brd"
	else
		echo "no brd.ko in $(pkg 5) (built in?)" >>"$LOG"
	fi >"$DIR/modules/kernel/drivers/block/brd.ko"
	[[ -s $DIR/modules/kernel/drivers/block/brd.ko ]] || rm -f "$DIR/modules/kernel/drivers/block/brd.ko"
	[[ -s $DIR/debian.config && -s $DIR/Module.symvers && -s $DIR/vmlinuz ]] || return 1
	echo "$rel" >"$DIR/release"
	touch "$DIR/.unpacked"
}

# do_prepare - Debian's config with the host's compiler, then modules_prepare.
do_prepare() {
	local rel
	rel=$(<"$DIR/release")
	cp "$DIR/debian.config" "$TREE/.config"
	(cd "$TREE" && make olddefconfig && make -j"$JOBS" KERNELRELEASE="$rel" modules_prepare) >>"$LOG" 2>&1 || return 1
	cp "$DIR/Module.symvers" "$TREE/Module.symvers"
	diff <(grep '^CONFIG_' "$DIR/debian.config") <(grep '^CONFIG_' "$TREE/.config") >"$DIR/config.diff" || true
	[[ $(<"$TREE/include/config/kernel.release") == "$rel" ]] ||
		{ echo "kernel.release is not $rel" >>"$LOG"; return 1; }
}

build() {
	local t0
	t0=$(now)
	key_input >"$DIR/key.txt"
	msg "fetching and preparing Linux $SERIES from sid in $DIR (log: $LOG)"
	[[ -f $DIR/.downloaded ]] || phase download do_download
	[[ -f $DIR/.unpacked && -f $TREE/Makefile ]] || phase unpack do_unpack
	phase "olddefconfig + modules_prepare" do_prepare
	date -u +%FT%TZ >"$DIR/.complete"
	msg "done in $(elapsed "$t0") s: $(<"$DIR/release") ($(grep -c '^[<>]' "$DIR/config.diff") config lines differ from Debian's, see $DIR/config.diff)"
}

main() {
	local mode=build
	SERIES=${1:-}
	[[ $SERIES =~ ^[0-9]+\.[0-9]+$ ]] || usage
	case ${2:-} in
	"") ;;
	--dir | --refresh | --rebuild) mode=${2#--} ;;
	*) die "unknown option '$2'" ;;
	esac
	KROOT=$(cache_root)/kernels
	PKGS=$KROOT/sid-$SERIES.pkgs
	mkdir -p "$KROOT"
	set_apt
	if [[ $mode == refresh || ! -s $PKGS ]]; then
		[[ $mode != dir ]] || die "Linux $SERIES from sid not resolved yet (run $PROG $SERIES)"
		resolve
	fi
	set_paths
	[[ $mode != dir ]] || { echo "$DIR"; return; }
	if [[ $mode != rebuild ]] && is_complete; then
		echo "$DIR"
		return
	fi
	mkdir -p "$DIR"
	lock_dir "$DIR"
	if [[ $mode == rebuild ]]; then
		msg "discarding $DIR"
		rm -rf "$TREE" "$DIR"/{.downloaded,.unpacked,.complete,debs,modules} "$LOG"
	fi
	is_complete || build
	echo "$DIR"
}

# One line: bash reads a script as it runs it, and the build takes minutes.
{ main "$@"; exit; }
