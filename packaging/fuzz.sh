#!/usr/bin/env bash
# fuzz.sh runs every Fuzz* test in the module for FUZZTIME (default 20s) each, one at a time
# (go test -fuzz accepts one target per package run).
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8 LC_ALL=C.UTF-8
FUZZTIME=${FUZZTIME:-20s}

found=0
failed=()
while IFS= read -r file; do
	pkg=./$(dirname "$file")
	for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		found=$((found + 1))
		echo "== $pkg $fn ($FUZZTIME)"
		if ! go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			failed+=("$pkg $fn")
		fi
	done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' . | grep -v '^./\.git/' | sed 's#^\./##' | sort)

echo "fuzz: $found targets run"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
	exit 1
fi
