#!/usr/bin/env bash
# build.sh builds the Linux packages of the Softphone into dist/linux/:
#   vaihde-softphone-<version>-linux-amd64.tar.gz  per-user install (install.sh → ~/.local)
#   vaihde-softphone_<version>_amd64.deb           system-wide (/usr/bin, /usr/share)
# The .deb's Depends come from the binary itself: its NEEDED libraries (objdump -p) and the X
# libraries GLFW dlopens (their sonames in the binary), mapped to the Debian packages that hold
# them here (dpkg -S), libc6 at the newest GLIBC symbol version it uses, plus libgl1-mesa-dri
# (software GL where no GPU driver is installed).
# VAIHDE_SOFTPHONE_BIN=path packages an already-built binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=${VAIHDE_DIST_DIR:-$root/dist}/linux
version=$(./packaging/version.sh)
arch=amd64
[ "$(go env GOARCH 2>/dev/null || echo amd64)" = amd64 ] || { echo "build.sh: amd64 only" >&2; exit 1; }
for t in objdump strings dpkg dpkg-deb tar; do
	command -v "$t" >/dev/null || { echo "build.sh: $t is missing (binutils, dpkg)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/vaihde-softphone
if [ -n "${VAIHDE_SOFTPHONE_BIN:-}" ]; then
	cp "$VAIHDE_SOFTPHONE_BIN" "$bin"
else
	echo "build.sh: building the Softphone $version (cgo: Fyne + PortAudio)"
	CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o "$bin" ./client/cmd/softphone
fi
mkdir -p "$out"

# --- tarball ---
name=vaihde-softphone-$version-linux-$arch
t=$work/$name
install -D -m 0755 "$bin" "$t/bin/vaihde-softphone"
install -D -m 0644 packaging/linux/vaihde-softphone.desktop "$t/share/applications/vaihde-softphone.desktop"
install -D -m 0644 assets/icon.png "$t/share/icons/hicolor/256x256/apps/vaihde-softphone.png"
install -m 0755 packaging/linux/install.sh packaging/linux/uninstall.sh "$t/"
tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
echo "build.sh: $out/$name.tar.gz"

# --- Depends, from the binary ---
declare -A pkgs=()
named=$(strings -a "$bin" | grep -E '^lib[A-Za-z0-9_+-]+\.so\.[0-9]+$' | sort -u || true)
while read -r lib; do
	# The path the dynamic linker would load, then the package that owns it.
	# (awk reads to the end: an early exit would kill ldconfig with SIGPIPE under pipefail)
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && p == "" { p = $NF } END { print p }')
	[ -n "$path" ] || { echo "build.sh: $lib (NEEDED) is not installed here" >&2; exit 1; }
	owner=""
	# /usr-merged systems: dpkg may know the file under /lib or /usr/lib.
	for p in "$path" "$(readlink -f "$path")" "/usr${path#/usr}" "${path#/usr}"; do
		owner=$(dpkg -S "$p" 2>/dev/null | sed -n 1p || true)
		[ -n "$owner" ] && break
	done
	owner=${owner%%:*}
	[ -n "$owner" ] || { echo "build.sh: no Debian package owns $path ($lib)" >&2; exit 1; }
	pkgs[$owner]=1
done < <(
	objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'
	# GLFW loads the X extension libraries with dlopen (not NEEDED): the ones it needs for
	# cursors, monitors, input and window transparency, where the binary names them.
	for so in libX11-xcb.so.1 libXcursor.so.1 libXi.so.6 libXinerama.so.1 libXrandr.so.2 libXrender.so.1 libXxf86vm.so.1; do
		if grep -qxF "$so" <<<"$named"; then echo "$so"; fi
	done
)
glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
unset 'pkgs[libc6]'
depends="libc6 (>= ${glibc:-2.36})"
for p in $(printf '%s\n' "${!pkgs[@]}" | sort); do
	depends="$depends, $p"
done
depends="$depends, libgl1-mesa-dri"
echo "build.sh: Depends: $depends"

# --- .deb ---
d=$work/deb
install -D -m 0755 "$bin" "$d/usr/bin/vaihde-softphone"
install -D -m 0644 packaging/linux/vaihde-softphone.desktop "$d/usr/share/applications/vaihde-softphone.desktop"
install -D -m 0644 assets/icon.png "$d/usr/share/icons/hicolor/256x256/apps/vaihde-softphone.png"
install -d "$d/usr/share/doc/vaihde-softphone" "$d/DEBIAN"
cat >"$d/usr/share/doc/vaihde-softphone/copyright" <<'EOT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Vaihde
Source: https://github.com/vaihde/vaihde
EOT
size=$(du -sk --exclude=DEBIAN "$d" | cut -f1)
cat >"$d/DEBIAN/control" <<EOT
Package: vaihde-softphone
Version: $version
Architecture: $arch
Maintainer: ${VAIHDE_MAINTAINER:-Vaihde developers <vaihde@localhost>}
Installed-Size: $size
Depends: $depends
Recommends: xdg-utils
Section: comm
Priority: optional
Homepage: https://github.com/vaihde/vaihde
Description: Vaihde Softphone — desktop phone for the Vaihde PBX
 Log in with ext@domain, call colleagues, answer, hold and transfer, set your
 presence, chat, send SMS, listen to voicemail. Handles tel:, callto: and sip:
 links (the number opens in the dial field).
EOT
for script in postinst postrm; do
	cat >"$d/DEBIAN/$script" <<'EOT'
#!/bin/sh
# Refresh the menu and the tel:/callto:/sip: handler cache (desktop-file-utils' trigger does
# it too where installed; xdg-desktop-menu for desktops that want it).
set -e
case "$1" in
configure | remove | purge)
	if command -v update-desktop-database >/dev/null 2>&1; then
		update-desktop-database -q /usr/share/applications || true
	fi
	if command -v xdg-desktop-menu >/dev/null 2>&1; then
		xdg-desktop-menu forceupdate --mode system || true
	fi
	if command -v gtk-update-icon-cache >/dev/null 2>&1; then
		gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
	fi
	;;
esac
exit 0
EOT
	chmod 0755 "$d/DEBIAN/$script"
done
deb=$out/vaihde-softphone_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$d" "$deb" >/dev/null
echo "build.sh: $deb"
