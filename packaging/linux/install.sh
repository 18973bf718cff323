#!/bin/sh
# install.sh installs the Vaihde Softphone from this folder for the current user, without root:
# the program into $PREFIX/bin (default ~/.local/bin), the menu entry and icon into the user's
# data directory ($XDG_DATA_HOME, default ~/.local/share; $PREFIX/share when PREFIX is given),
# and makes it the handler of tel:, callto:, sip: and sips: links (xdg-mime).
# uninstall.sh (same variables) removes it again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${PREFIX:-}" ]; then
	datadir=${DATADIR:-$PREFIX/share}
else
	PREFIX=$HOME/.local
	datadir=${DATADIR:-${XDG_DATA_HOME:-$HOME/.local/share}}
fi
bindir=$PREFIX/bin
apps=$datadir/applications
icons=$datadir/icons/hicolor/256x256/apps

mkdir -p "$bindir" "$apps" "$icons"
install -m 0755 "$here/bin/vaihde-softphone" "$bindir/vaihde-softphone"
install -m 0644 "$here/share/icons/hicolor/256x256/apps/vaihde-softphone.png" "$icons/vaihde-softphone.png"
# The menu entry names the program by its full path: ~/.local/bin is not on every PATH.
sed "s|^Exec=vaihde-softphone |Exec=$bindir/vaihde-softphone |" \
	"$here/share/applications/vaihde-softphone.desktop" >"$apps/vaihde-softphone.desktop"
chmod 0644 "$apps/vaihde-softphone.desktop"

if command -v update-desktop-database >/dev/null 2>&1; then
	update-desktop-database -q "$apps" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$datadir/icons/hicolor/index.theme" ]; then
	gtk-update-icon-cache -q -t "$datadir/icons/hicolor" || true
fi
if command -v xdg-mime >/dev/null 2>&1; then
	for s in tel callto sip sips; do
		xdg-mime default vaihde-softphone.desktop "x-scheme-handler/$s"
	done
	echo "vaihde-softphone: handles tel:, callto:, sip: and sips: links"
else
	echo "vaihde-softphone: xdg-mime not found (package xdg-utils): links are not registered" >&2
fi
echo "vaihde-softphone: installed $bindir/vaihde-softphone"
