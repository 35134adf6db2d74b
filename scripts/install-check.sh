#!/usr/bin/env bash
# install-check.sh - check make install / make uninstall in a staging root.
#
# Usage: scripts/install-check.sh [KERNEL]   (default 6.1; needs make all first)
#
# Installs into a fresh empty DESTDIR, checks what is there (module with its
# version, library, headers, pkg-config file, man pages, protshmctl without
# a runpath, bash completion, example), compiles the example with pkg-config
# and without it (only the prefix's include and lib directories, as a
# compiler searches /usr/local by default), runs the installed protshmctl
# help, then uninstalls and checks that DESTDIR is empty again.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TOP"

KSEL=${1:-6.1}
D=$(mktemp -d)
P=$D/usr/local
trap 'rm -rf "$D"' EXIT

make --no-print-directory -s install KERNEL="$KSEL" DESTDIR="$D" >/dev/null
rel=$(scripts/kernel.sh "$KSEL" release)
ko=$(ls "$D/lib/modules/$rel/updates/"protshm.ko*) || fail "no module in updates/"
echo "module: ${ko#"$D"}"
for f in bin/protshmctl include/protshm.h include/protshm/linux/protshm.h \
	lib/libprotshm.so.1 lib/libprotshm.so lib/libprotshm.a \
	lib/pkgconfig/libprotshm.pc share/man/man3/protshm_map.3 \
	share/man/man4/protshm.4 share/man/man7/protshm.7 \
	share/man/man8/protshmctl.8 \
	share/bash-completion/completions/protshmctl \
	share/doc/libprotshm-dev/example.c; do
	[[ -e $P/$f ]] || fail "missing $f"
done
echo "files: $(find "$D" -type f -o -type l | wc -l) installed"
! readelf -d "$P/bin/protshmctl" | grep -E 'RUNPATH|RPATH' ||
	fail "installed protshmctl has a runpath"
echo "protshmctl: no RUNPATH/RPATH"

ex=$P/share/doc/libprotshm-dev/example.c
export PKG_CONFIG_PATH=$P/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
# shellcheck disable=SC2046
gcc -Wall -Wextra -Werror -Werror=implicit-function-declaration -o "$D/ex1" "$ex" \
	$(pkg-config --cflags --libs libprotshm)
echo "example: gcc ex.c \$(pkg-config --cflags --libs libprotshm): ok"
gcc -Wall -Wextra -Werror -Werror=implicit-function-declaration -o "$D/ex2" "$ex" \
	-I"$P/include" -L"$P/lib" -lprotshm
echo "example: gcc ex.c -lprotshm (no pkg-config): ok"
gcc -std=gnu11 -Wall -Werror=implicit-function-declaration -c -o "$D/demo.o" \
	userlib/examples/demo.c -I"$P/include"
echo "demo.c alone (no -D_GNU_SOURCE): ok"
LD_LIBRARY_PATH=$P/lib "$P/bin/protshmctl" help restrict | head -n 1
LD_LIBRARY_PATH=$P/lib "$P/bin/protshmctl" -V
rm -f "$D/ex1" "$D/ex2" "$D/demo.o"

make --no-print-directory -s uninstall KERNEL="$KSEL" DESTDIR="$D" >/dev/null
left=$(find "$D" -mindepth 1)
[[ -z $left ]] || fail "left behind after uninstall: $left"
echo "install-check: make install / uninstall DESTDIR=$D: nothing left behind"
