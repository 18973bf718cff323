#!/usr/bin/env bash
# chroot.sh makes and removes fresh Debian 12 (bookworm) chroots for the packaging tests, which
# install Vaihde's .deb files into a clean system the way an administrator would.
#
#   packaging/chroot.sh create DIR   DIR becomes a minbase bookworm with /proc, /sys, /dev, /dev/pts
#                                    and the host's /tmp/.X11-unix mounted, and resolv.conf copied
#   packaging/chroot.sh destroy DIR  unmounts what create mounted and deletes DIR
#
# The first create runs debootstrap (a few minutes, from the mirror apt already uses) and keeps
# a tarball of the result in $VAIHDE_CHROOT_CACHE (default /var/tmp/vaihde-chroot); later ones
# unpack it in seconds. Needs root and debootstrap.
set -euo pipefail

cache=${VAIHDE_CHROOT_CACHE:-/var/tmp/vaihde-chroot}
suite=bookworm
tarball="$cache/$suite-minbase.tar"

die() { echo "chroot.sh: $*" >&2; exit 1; }

mirror() {
	# The mirror apt already uses (deb822 or one-line sources), else Debian's own.
	local m
	m=$(grep -rhoE '^URIs:[[:space:]]*\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '{print $2}' | grep -v security | head -n1 || true)
	[ -n "$m" ] || m=$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?\S+' /etc/apt/sources.list 2>/dev/null |
		awk '{print $NF}' | grep -v security | head -n1 || true)
	echo "${m:-http://deb.debian.org/debian}"
}

build_cache() {
	command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
	mkdir -p "$cache"
	local tmp
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	local m
	m=$(mirror)
	echo "chroot.sh: debootstrap $suite from $m (once; cached in $tarball)" >&2
	if ! debootstrap --variant=minbase "$suite" "$tmp/root" "$m" >"$tmp/debootstrap.log" 2>&1; then
		tail -n 30 "$tmp/debootstrap.log" >&2
		rm -rf "$tmp"
		die "debootstrap failed"
	fi
	# Point updates come from the same mirror, as on a normal install (run apt-get update first).
	printf 'deb %s %s main\ndeb %s %s-updates main\n' "$m" "$suite" "$m" "$suite" >"$tmp/root/etc/apt/sources.list"
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" -cf "$tarball.part" .
	mv "$tarball.part" "$tarball"
	rm -rf "$tmp"
}

mounts() {
	# Mount points under DIR, deepest first.
	awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r
}

create() {
	local dir=$1
	[ "$(id -u)" -eq 0 ] || die "needs root"
	[ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && die "$dir exists and is not empty"
	if [ ! -f "$tarball" ]; then
		# Two tests may create at once (go test runs packages in parallel): one debootstraps.
		mkdir -p "$cache"
		exec 9>"$cache/.lock"
		flock 9
		[ -f "$tarball" ] || build_cache
		flock -u 9
	fi
	mkdir -p "$dir"
	tar -C "$dir" -xf "$tarball"
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$dir/proc"
	mount -t sysfs sysfs "$dir/sys"
	mount --rbind /dev "$dir/dev"
	mount --make-rslave "$dir/dev"
	if [ -d /tmp/.X11-unix ]; then
		mkdir -p "$dir/tmp/.X11-unix"
		mount --bind /tmp/.X11-unix "$dir/tmp/.X11-unix"
	fi
	# No service starts inside (there is no init): package scripts that ask are told no.
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
}

destroy() {
	local dir=$1
	[ -d "$dir" ] || return 0
	local m
	for m in $(mounts "$(realpath "$dir")"); do
		umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$(mounts "$(realpath "$dir")")" ]; then
		die "$dir still has mounts; not deleting"
	fi
	rm -rf --one-file-system "$dir"
}

case "${1:-}" in
create) [ $# -eq 2 ] || die "usage: chroot.sh create DIR"; create "$2" ;;
destroy) [ $# -eq 2 ] || die "usage: chroot.sh destroy DIR"; destroy "$2" ;;
*) die "usage: chroot.sh create|destroy DIR" ;;
esac
