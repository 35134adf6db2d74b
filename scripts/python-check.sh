#!/usr/bin/env bash
# python-check.sh - install the Python binding with pip and run its tests in
# the test VM.
#
# Usage: scripts/python-check.sh --kernel SEL --build DIR --ko PATH
#
# 1. pip install (Debian's /usr/bin/python3, no network, no build isolation)
#    of a copy of bindings/python into DIR/python/site; "import protshm"
#    from there against DIR/userlib/libprotshm.so.1.
# 2. Stages DIR/python/vm/pyhome: the python3 binary and the part of its
#    standard library the tests import (found by importing them on the
#    host); vm.sh copies the shared libraries.  The guest runs
#    python3 -m unittest on bindings/python/tests with the module loaded.
# Exits non-zero if the install, the import or a test fails (or the VM
# reports kernel trouble).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PY=/usr/bin/python3
KSEL="" BUILD="" KO=""

parse_opts --kernel=KSEL --build=BUILD --ko=KO -- "$@"
[[ -n $KSEL && -f $KO && -f $BUILD/userlib/libprotshm.so.1 ]] ||
	die "no --kernel, no module at '$KO' or no $BUILD/userlib/libprotshm.so.1 (run make all first)"
W=$BUILD/python
rm -rf "$W" && mkdir -p "$W/src" "$W/site"
export PROTSHM_LIBRARY=$BUILD/userlib/libprotshm.so.1

# 1. pip install from a copy (pip writes build/ and *.egg-info next to it)
cp -a "$TOP/bindings/python/." "$W/src/"
"$PY" -m pip install -q --no-deps --no-build-isolation --no-index \
	--target "$W/site" "$W/src" 2>&1 | grep -v 'Running pip as the .root. user' || true
v=$(PYTHONPATH=$W/site "$PY" -c 'import protshm; print(protshm.__version__)')
echo "python-check: pip install + import protshm: version $v from $W/site"
[[ $v == "$(<"$TOP/VERSION")" ]] || die "protshm.__version__ $v is not VERSION's"
grep -qx "version = \"$v\"" "$TOP/bindings/python/pyproject.toml" ||
	die "pyproject.toml's version is not $v"

# 2. the interpreter and the stdlib files the tests import
home=$W/vm/pyhome
stdlib=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
ver=$("$PY" -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
mkdir -p "$home/bin" "$home/lib/$ver/lib-dynload"
cp -L "$PY" "$home/bin/python3"
PYTHONPATH=$W/site:$TOP/bindings/python/tests "$PY" -S -c '
import sys, runpy, unittest, unittest.main, argparse, difflib, pprint
import traceback, linecache, tokenize, fnmatch, signal, errno, mmap, ctypes, locale, gettext
import encodings.utf_8, encodings.latin_1, encodings.ascii, encodings.aliases
import test_protshm
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f:
        print(f)' | while read -r f; do
	case $f in
	"$stdlib"/*) rel=${f#"$stdlib"/}; mkdir -p "$home/lib/$ver/$(dirname "$rel")"
		cp "$f" "$home/lib/$ver/$rel" ;;
	esac
done
cp -a "$stdlib/unittest" "$home/lib/$ver/"	# with __main__.py (python3 -m)
cp -a "$W/site/protshm" "$TOP/bindings/python/tests" "$W/vm/"
echo "python-check: staged $(find "$home" -type f | wc -l) files, $(du -sh "$home" | cut -f1)"
# The staged interpreter alone (env -i) must get through the suite here,
# where it skips without /dev/protshm, before the VM run.
env -i PYTHONHOME="$home" PYTHONPATH="$W/vm" LD_LIBRARY_PATH="$BUILD/userlib" \
	PYTHONDONTWRITEBYTECODE=1 "$home/bin/python3" -S -m unittest discover \
	-s "$W/vm/tests" 2>&1 | tail -n 1 | sed 's/^/python-check: staged python on the host: /'

"$HERE/vm.sh" --kernel "$KSEL" --builddir "$BUILD/vm/python-$KSEL" --ko "$KO" \
	--files "$home $W/vm/protshm $W/vm/tests $BUILD/userlib" --timeout 600 \
	--cmd 'PYTHONHOME=/protshm/pyhome PYTHONPATH=/protshm LD_LIBRARY_PATH=/protshm/userlib PYTHONDONTWRITEBYTECODE=1 pyhome/bin/python3 -S -m unittest discover -v -s tests'
