#!/usr/bin/env bash
# version.sh prints the version packages are stamped with, from git: the tag without its "v"
# (v1.2.0 → 1.2.0), tag-N-gSHA → 1.2.0+N.gSHA, no tag → 0.0.0+gSHA; a dirty tree adds ".dirty".
# The result is valid as a Debian version and as the Windows file version's first three numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${VAIHDE_VERSION:-}" ]; then
	echo "$VAIHDE_VERSION"
	exit 0
fi
d=$(git describe --tags --long --dirty --match 'v[0-9]*' 2>/dev/null || true)
if [ -z "$d" ]; then
	sha=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
	v="0.0.0+g$sha"
	git diff --quiet HEAD 2>/dev/null || v="$v.dirty"
	echo "$v"
	exit 0
fi
dirty=""
case "$d" in *-dirty) dirty=".dirty"; d=${d%-dirty} ;; esac
sha=${d##*-g}; rest=${d%-g*}; n=${rest##*-}; tag=${rest%-*}; tag=${tag#v}
if [ "$n" = 0 ] && [ -z "$dirty" ]; then
	echo "$tag"
else
	echo "$tag+$n.g$sha$dirty"
fi
