#!/usr/bin/env bash
# build.sh builds the server's Debian package, dist/vaihde_<version>_<arch>.deb: the static
# binary, the hardened systemd unit, /etc/vaihde/config.json (a conffile), the voice prompts
# (spoken now by packaging/prompts.sh) and the maintainer scripts of this directory.
#
# Environment: VAIHDE_VERSION overrides packaging/version.sh; DIST the output directory
# (default dist/); GOARCH the target (default amd64); DEB_COMPRESS dpkg-deb's -Z (default xz,
# the smallest; the test uses gzip, several times faster to build; lintian refuses zstd).
# Prints the package's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/packaging/deb"
out=${DIST:-$root/dist}
goarch=${GOARCH:-amd64}
case "$goarch" in
amd64 | arm64 | riscv64) arch=$goarch ;;
arm) arch=armhf ;;
386) arch=i386 ;;
*) echo "build.sh: no Debian architecture for GOARCH=$goarch" >&2; exit 1 ;;
esac
version=$("$root/packaging/version.sh")
case "$version" in
[0-9]*) ;;
*) echo "build.sh: version $version does not start with a digit" >&2; exit 1 ;;
esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/vaihde-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"

# The binary: pure Go, static, reproducible paths, stamped with the package version.
install -d -m 755 "$stage/usr/bin"
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" go build -trimpath \
	-ldflags "-s -w -X main.version=$version" -o "$stage/usr/bin/vaihde" ./server/cmd/vaihde)

# Voice prompts, regenerated only where their text changed (prompts.sh keeps stamps).
"$root/packaging/prompts.sh" >&2
prompts="$stage/usr/share/vaihde/prompts"
install -d -m 755 "$prompts"
for lang in fi sv en; do
	[ -d "$root/assets/prompts/$lang" ] || { echo "build.sh: no $lang prompts in assets/prompts" >&2; exit 1; }
	cp -r "$root/assets/prompts/$lang" "$prompts/$lang"
done
# Administrators' own recordings are state, kept (and backed up) in /var/lib/vaihde.
ln -s /var/lib/vaihde/prompts-custom "$prompts/custom"

install -D -m 644 "$here/vaihde.service" "$stage/lib/systemd/system/vaihde.service"
install -D -m 644 "$here/config.json" "$stage/etc/vaihde/config.json"
doc="$stage/usr/share/doc/vaihde"
install -D -m 644 "$here/copyright" "$doc/copyright"
install -m 644 "$here/README.Debian" "$doc/README.Debian"
{
	printf 'vaihde (%s) unstable; urgency=medium\n\n  * Built from git %s.\n\n' \
		"$version" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf ' -- Vaihde developers <vaihde@users.noreply.github.com>  %s\n' \
		"$(date -R -d "@$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$doc/changelog.gz" # a native package (no Debian revision)
chmod 644 "$doc/changelog.gz"
install -d -m 755 "$stage/usr/share/man/man8"
gzip -9n <"$here/vaihde.8" >"$stage/usr/share/man/man8/vaihde.8.gz"
chmod 644 "$stage/usr/share/man/man8/vaihde.8.gz"
install -D -m 644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/vaihde"
find "$stage" -type d -exec chmod 755 {} +

install -d -m 755 "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/control.in" >"$stage/DEBIAN/control"
install -m 644 "$here/conffiles" "$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 755 "$here/$s" "$stage/DEBIAN/$s"
done
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
	sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 644 "$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/vaihde_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$stage" "$deb" >&2
echo "$deb"
