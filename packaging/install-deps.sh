#!/usr/bin/env bash
# install-deps.sh installs the Debian packages that building Vaihde and running its tests need,
# and only those that are missing: a machine that has them all is left untouched (no apt-get at
# all). Works as root, or through sudo when run as another user.
set -euo pipefail

# Build: Fyne's GLFW and PortAudio (the server itself is pure Go and needs none of these).
build_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev portaudio19-dev
	gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis dpkg-dev)
# (The last line: make package-windows — mingw-w64 for Softphone.exe and PortAudio, which
# packaging/windows/portaudio.sh builds from Debian's source package (apt-get source needs
# dpkg-dev), NSIS for the setup program; ImageMagick (below) converts the icon.)
# Tests: third-party SIP peers (baresip-x11 holds baresip's pulse audio module, which
# --no-install-recommends would leave out), audio tools, a headless X server and sound server, xdotool
# (real X key presses into the Softphone window), debootstrap (fresh Debian chroots the packages
# are installed into: packaging/chroot.sh), dbus (a private session bus: tray
# and media keys), xdg-utils and desktop-file-utils (the Softphone's
# tel:/sip: link registration: packaging/linux), and a real SMTP daemon (aiosmtpd, run with
# /usr/bin/python3) that receives voicemail notification email. The server .deb test also runs
# lintian and systemd-analyze (systemd) on the package and its unit, and boots a chroot with
# systemd-nspawn (systemd-container) to run the unit under systemd.
test_pkgs=(sip-tester baresip baresip-x11 linphone-cli sox espeak-ng xvfb imagemagick pulseaudio
	pulseaudio-utils libasound2-plugins python3-aiosmtpd xdotool debootstrap
	xdg-utils desktop-file-utils dbus lintian systemd
	systemd-container wine64 wine p7zip-full osslsigncode openssl)
# (wine64/wine run Softphone.exe and its setup in packaging/windows; 7z lists the setup's files;
# osslsigncode signs them, its test with a throw-away certificate.)
# Nice to have; a failure to install these does not fail the run.
optional_pkgs=(tshark)

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
missing_opt=()
if [ "${VAIHDE_OPTIONAL_DEPS:-0}" = 1 ]; then
	for p in "${optional_pkgs[@]}"; do
		installed "$p" || missing_opt+=("$p")
	done
fi

if [ ${#missing[@]} -eq 0 ] && [ ${#missing_opt[@]} -eq 0 ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
else
	echo "install-deps: missing packages (${missing[*]} ${missing_opt[*]}) and not root, no sudo" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o Dpkg::Use-Pty=0)
echo "install-deps: installing ${missing[*]} ${missing_opt[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"
fi
if [ ${#missing_opt[@]} -gt 0 ]; then
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing_opt[@]}" ||
		echo "install-deps: optional packages not installed: ${missing_opt[*]}" >&2
fi

still=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
	installed "$p" || still+=("$p")
done
if [ ${#still[@]} -gt 0 ]; then
	echo "install-deps: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "install-deps: done"
