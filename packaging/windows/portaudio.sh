#!/usr/bin/env bash
# portaudio.sh builds PortAudio for 64-bit Windows (mingw-w64), static, with the WMME and
# DirectSound host APIs, from Debian's own source package portaudio19 (no other download), into
# a prefix under the cache directory, and prints that prefix. Nothing is done when the prefix
# already holds a build. WASAPI is left out: PortAudio 19.6's WASAPI backend does not compile
# against mingw-w64's headers as shipped in Debian 12.
#
# The source comes through a private apt configuration (its own deb-src list and state under the
# cache), so the system's apt sources are not changed and no root is needed for this step.
set -euo pipefail

cache=${VAIHDE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vaihde}
host=x86_64-w64-mingw32
# The version apt would install for Linux is the one we build for Windows, so that both
# Softphones share one PortAudio.
version=$(apt-cache show --no-all-versions portaudio19-dev 2>/dev/null | sed -n 's/^Version: //p' | head -1)
version=${version:-19.6.0-1.2}
prefix="$cache/portaudio-mingw-$version"

if [ -f "$prefix/lib/libportaudio.a" ] && [ -f "$prefix/lib/pkgconfig/portaudio-2.0.pc" ]; then
	echo "$prefix"
	exit 0
fi
command -v "$host-gcc" >/dev/null || { echo "portaudio.sh: $host-gcc missing (apt-get install gcc-mingw-w64-x86-64)" >&2; exit 1; }
command -v dpkg-source >/dev/null || { echo "portaudio.sh: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/portaudio-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The mirror and suite of the system's own Debian sources (deb.debian.org bookworm by default).
mirror=http://deb.debian.org/debian
suite=bookworm
for f in /etc/apt/sources.list.d/debian.sources; do
	[ -f "$f" ] || continue
	u=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' "$f")
	[ -n "$u" ] && mirror=$u
done
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/etc/preferences.d" "$work/apt/etc/sources.list.d"
cat >"$work/apt/etc/sources.list.d/debian-src.sources" <<SRC
Types: deb-src
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
: >"$work/apt/etc/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$work/apt/etc/sources.list"
	-o "Dir::Etc::SourceParts=$work/apt/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$work/apt/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$work/apt/etc/preferences.d"
	-o "Dir::State::Lists=$work/apt/lists"
	-o "Dir::Cache=$work/apt/cache"
	-o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
echo "portaudio.sh: fetching Debian source portaudio19=$version from $mirror" >&2
apt-get -q "${apt_private[@]}" update >&2
(cd "$work" && apt-get -q "${apt_private[@]}" source --download-only "portaudio19=$version" >&2)
(cd "$work" && dpkg-source --no-check -x portaudio19_*.dsc src >&2)

echo "portaudio.sh: building for $host into $prefix" >&2
cd "$work/src"
./configure --host="$host" --prefix="$prefix" --with-winapi=wmme,directx \
	--enable-static --disable-shared --without-jack --without-alsa --without-oss >"$work/configure.log" 2>&1 ||
	{ tail -40 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -40 "$work/install.log" >&2; exit 1; }
[ -f "$prefix/lib/libportaudio.a" ] || { echo "portaudio.sh: no libportaudio.a in $prefix" >&2; exit 1; }
echo "$prefix"
