#!/bin/sh
# uninstall.sh removes what install.sh installed (give it the same PREFIX/DATADIR, if any) and
# the tel:/callto:/sip:/sips: associations to the Softphone from the user's mimeapps.list.
set -eu
if [ -n "${PREFIX:-}" ]; then
	datadir=${DATADIR:-$PREFIX/share}
else
	PREFIX=$HOME/.local
	datadir=${DATADIR:-${XDG_DATA_HOME:-$HOME/.local/share}}
fi
rm -f "$PREFIX/bin/vaihde-softphone" "$datadir/applications/vaihde-softphone.desktop" \
	"$datadir/icons/hicolor/256x256/apps/vaihde-softphone.png"
# xdg-mime has no "unset": drop our lines from the files it writes.
for f in "${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list" "$datadir/applications/mimeapps.list"; do
	[ -f "$f" ] || continue
	sed -i '/^x-scheme-handler\/\(tel\|callto\|sip\|sips\)=vaihde-softphone\.desktop;*$/d' "$f"
done
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$datadir/applications" ]; then
	update-desktop-database -q "$datadir/applications" || true
fi
echo "vaihde-softphone: removed"
