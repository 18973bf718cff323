#!/usr/bin/env bash
# build.sh cross-builds the Windows Softphone on Linux (make package-windows):
#   dist/windows/Softphone.exe                  static PE32+ GUI program, icon + version info
#   dist/windows/Softphone-setup-<version>.exe  NSIS per-user setup program (softphone.nsi)
# PortAudio comes from portaudio.sh (Debian's source, built once into the cache). Both .exe files
# (and the uninstaller inside the setup) are signed by sign.sh when SIGN_* is set, else unsigned.
# DIST overrides the output directory; VAIHDE_VERSION the version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
out=${DIST:-$root/dist/windows}
host=x86_64-w64-mingw32
GO=${GO:-go}

for t in "$host-gcc" "$host-windres" makensis convert; do
	command -v "$t" >/dev/null || { echo "build.sh: $t missing (make deps)" >&2; exit 1; }
done

prefix=$("$here/portaudio.sh")
version=$("$root/packaging/version.sh")
# Windows file versions are four 16-bit numbers: the version's leading a.b.c, then 0.
IFS=. read -r v1 v2 v3 _ <<<"$(echo "$version" | sed -E 's/^([0-9]+)\.([0-9]+)\.([0-9]+).*/\1.\2.\3/;t;s/.*/0.0.0/')"
filever="$v1.$v2.$v3.0"

mkdir -p "$out"
work=$(mktemp -d)
syso="$root/client/cmd/softphone/rsrc_windows_amd64.syso"
# The .syso is generated: it must not outlive the build (nor end up in git).
trap 'rm -rf "$work" "$syso"' EXIT

convert "$root/assets/icon.png" -background none -define icon:auto-resize=256,64,48,32,16 "$work/softphone.ico"
cp "$here/softphone.manifest" "$work/"
sed -e "s|@FILEVERSION@|$v1,$v2,$v3,0|g" -e "s|@VERSION@|$version|g" \
	-e "s|@ICON@|softphone.ico|g" -e "s|@MANIFEST@|softphone.manifest|g" \
	"$here/softphone.rc.in" >"$work/softphone.rc"
(cd "$work" && "$host-windres" -O coff -i softphone.rc -o "$syso")

# WINE_SMOKE=1 (the Wine smoke test only) builds dist/.../Softphone-wine.exe instead: the same
# program, but Go's net package tolerates Wine 8's missing SIO_UDP_NETRESET ioctl (WSAEOPNOTSUPP),
# which Go (go.dev/issue/68614) asks for on every UDP socket; real Windows (8 and later) has it. The
# patched file is a -overlay of the installed Go's own source, never shipped.
overlay=()
exe_name=Softphone.exe
if [ "${WINE_SMOKE:-0}" = 1 ]; then
	goroot=$("$GO" env GOROOT)
	perl -0pe 's/(windows\.SIO_UDP_NETRESET[^\n]*\n\t\tif err != nil)( \{)/$1 \&\& err != syscall.Errno(10045)$2/ or die "pattern not found\n"' \
		"$goroot/src/net/fd_windows.go" >"$work/fd_windows.go" ||
		{ echo "build.sh: cannot patch $goroot/src/net/fd_windows.go for Wine" >&2; exit 1; }
	printf '{"Replace":{"%s":"%s"}}\n' "$goroot/src/net/fd_windows.go" "$work/fd_windows.go" >"$work/overlay.json"
	overlay=(-overlay "$work/overlay.json")
	exe_name=Softphone-wine.exe
fi

echo "build.sh: $exe_name $version (PortAudio from $prefix)" >&2
# -static: libgcc and winpthread linked in, so only Windows' own DLLs are needed at run time.
# -H=windowsgui: no console window. PKG_CONFIG_LIBDIR hides the Linux portaudio-2.0.pc.
env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$host-gcc" CXX="$host-g++" \
	CGO_LDFLAGS="-static" \
	"$GO" build -trimpath "${overlay[@]}" -ldflags="-s -w -H=windowsgui" -o "$out/$exe_name" ./client/cmd/softphone
rm -f "$syso"
if [ "$exe_name" != Softphone.exe ]; then
	ls -l "$out/$exe_name" >&2
	exit 0
fi
"$here/sign.sh" "$out/Softphone.exe"

setup="$out/Softphone-setup-$version.exe"
echo "build.sh: $(basename "$setup")" >&2
makensis -V2 -NOCD -DVERSION="$version" -DFILEVERSION="$filever" -DEXE="$out/Softphone.exe" \
	-DICON="$work/softphone.ico" -DOUTFILE="$setup" -DSIGN="$here/sign.sh" "$here/softphone.nsi" >&2
ls -l "$out/Softphone.exe" "$setup" >&2
