#!/usr/bin/env bash
# check-all.sh - run `make check` for each kernel given and summarise.
#
# Usage: scripts/check-all.sh KERNEL...   (e.g. 6.1 6.12 7.2 debug debug-7.2)
# Every kernel runs even if an earlier one failed; the exit status is
# non-zero if any did.
set -uo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TOP" || exit 2

declare -A result secs
status=0 pass=0 fail=0 skip=0
mkdir -p build
for k in "$@"; do
	start=$SECONDS
	make --no-print-directory check KERNEL="$k" 2>&1 | tee "build/check-all-$k.log"
	rc=${PIPESTATUS[0]}
	secs[$k]=$((SECONDS - start))
	result[$k]=$(grep -E '^protshm: [0-9]+ passed' "build/check-all-$k.log" | tail -n 1)
	if [[ -n ${result[$k]} ]]; then
		read -r p f s < <(sed -E 's/^protshm: ([0-9]+) passed, ([0-9]+) failed, ([0-9]*) skipped.*/\1 \2 \3/' <<<"${result[$k]}")
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
	else
		result[$k]="no result"
		fail=$((fail + 1))
	fi
	((rc == 0)) || status=1
	result[$k]+=" (exit $rc)"
done
echo "check-all summary:"
for k in "$@"; do
	printf '  %-9s %4d s  %s\n' "$k" "${secs[$k]}" "${result[$k]}"
done
echo "check-all: $pass passed, $fail failed, $skip skipped"
exit $status
