#!/usr/bin/env bash
# dkms-check.sh - build the module with DKMS for one kernel's headers and run
# the selftest suite in the test VM with the module DKMS built.
#
# Usage: scripts/dkms-check.sh --kernel SEL --build DIR --src DKMS_SRC
#   SEL       a Debian kernel of scripts/kernel.sh (6.1, 6.12)
#   DKMS_SRC  the DKMS source tree (make dkms-src: DIR/dkms/protshm-VERSION)
#
# DKMS runs in a private tree under DIR/dkms/SEL (--dkmstree, --sourcetree):
# nothing is added to the host's /usr/src or /var/lib/dkms except DKMS's own
# machine-owner key (/var/lib/dkms/mok.key, mok.pub), which DKMS creates on
# first use and signs with.  Checks that the built module reports the
# project's version and carries a signature, then runs scripts/check.sh with
# it.  Exits non-zero if any step fails.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KSEL="" BUILD="" SRC=""

parse_opts --kernel=KSEL --build=BUILD --src=SRC -- "$@"
[[ -n $KSEL && -n $BUILD && -f $SRC/dkms.conf ]] || usage
command -v dkms >/dev/null || die "no dkms (scripts/deps.sh packaging)"

rel=$("$HERE/kernel.sh" "$KSEL" release)
kdir=$("$HERE/kernel.sh" "$KSEL" kdir)
ver=$(<"$SRC/VERSION")
top=$BUILD/dkms/$KSEL
rm -rf "$top" && mkdir -p "$top/src" "$top/tree" "$top/out"
cp -a "$SRC" "$top/src/"
D=(dkms --dkmstree "$top/tree" --sourcetree "$top/src")

start=$SECONDS
"${D[@]}" add -m protshm -v "$ver"
"${D[@]}" build -m protshm -v "$ver" -k "$rel" --kernelsourcedir "$kdir"
built=$(ls "$top/tree/protshm/$ver/$rel/"*/module/protshm.ko*)
echo "$PROG: dkms build for $rel in $((SECONDS - start)) s: ${built#"$top"/}"

# The VM's busybox insmod takes a plain .ko.
ko=$top/out/protshm.ko
decompress "$built" >"$ko"
[[ $(modinfo -F version "$ko") == "$ver" ]] || die "$ko: version is not $ver"
signer=$(modinfo -F signer "$ko")
[[ -n $signer ]] || die "$ko: DKMS did not sign the module"
echo "$PROG: version $(modinfo -F version "$ko"), signer: $signer, sig_hashalgo $(modinfo -F sig_hashalgo "$ko")"

"$HERE/check.sh" --kernel "$KSEL" --build "$BUILD" --ko "$ko" --name "dkms-$KSEL"
