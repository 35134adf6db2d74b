#!/usr/bin/env bash
# sign-check.sh - check Secure Boot signing of the module (make sign, make
# install SIGN_KEY=...), with a throw-away key, in a build dir of its own.
#
# Usage: scripts/sign-check.sh [KERNEL]   (default 6.1)
#
# The unsigned module has no signature; make sign adds exactly one (also when
# run twice), with the key's subject as signer (modinfo); make install with
# SIGN_KEY/SIGN_CERT installs a signed module; the signed module's version
# is the project's.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TOP"

KSEL=${1:-6.1}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=(make --no-print-directory -s KERNEL="$KSEL" BUILD="$T/build")
CN="protshm sign-check $$"
MAGIC='~Module signature appended~'

openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$CN/" \
	-keyout "$T/key.pem" -outform DER -out "$T/cert.der" 2>/dev/null
"${M[@]}" module >/dev/null
ko=$(ls "$T"/build/kmod/*/protshm.ko)
[[ -z $(modinfo -F signer "$ko") ]] || fail "unsigned build has a signer"
echo "sign-check: unsigned: signer '' ($(grep -o -a "$MAGIC" "$ko" | wc -l) signatures)"

for i in 1 2; do
	"${M[@]}" sign SIGN_KEY="$T/key.pem" SIGN_CERT="$T/cert.der" >/dev/null
	[[ $(modinfo -F signer "$ko") == "$CN" ]] || fail "make sign #$i: signer is not '$CN'"
	n=$(grep -o -a "$MAGIC" "$ko" | wc -l)
	((n == 1)) || fail "make sign #$i: $n signatures"
done
echo "sign-check: make sign (twice): signer '$(modinfo -F signer "$ko")'," \
	"sig_hashalgo $(modinfo -F sig_hashalgo "$ko"), 1 signature," \
	"version $(modinfo -F version "$ko")"

"${M[@]}" install-module DESTDIR="$T/root" SIGN_KEY="$T/key.pem" \
	SIGN_CERT="$T/cert.der" >/dev/null 2>&1
inst=$(ls "$T"/root/lib/modules/*/updates/protshm.ko*)
# modinfo reads compressed modules too
[[ $(modinfo -F signer "$inst") == "$CN" ]] || fail "installed module not signed"
echo "sign-check: make install SIGN_KEY=...: ${inst#"$T"/root} signed by '$CN'"
