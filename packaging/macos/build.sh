#!/usr/bin/env bash
# build.sh builds dist/macos/Vaihde Softphone.app and dist/macos/Vaihde-Softphone-<version>.dmg.
# Only on a Mac (Xcode command line tools, Go, and PortAudio from Homebrew: brew install
# portaudio pkg-config): a cgo Fyne app needs Apple's SDK and cannot be cross-built from Linux.
#   MACOS_SIGN_IDENTITY="Developer ID Application: Name (TEAMID)"  sign for distribution
#                      (hardened runtime, entitlements.plist); unset: ad-hoc signature (--sign -)
#   MACOS_NOTARY_PROFILE=name  notarise the .dmg with `xcrun notarytool submit --wait` using a
#                      profile saved by `xcrun notarytool store-credentials name`, then staple it
#   MACOS_ARCHS="arm64 amd64"  architectures of the universal binary (default both)
# The steps are explained in docs/PACKAGING.md, "## macOS".
set -euo pipefail
if [ "$(uname -s)" != Darwin ]; then
	echo "package-macos: needs macOS (uname is $(uname -s)); build it on a Mac: docs/PACKAGING.md \"## macOS\"" >&2
	exit 1
fi
cd "$(dirname "$0")/../.."
version=$(./packaging/version.sh)
short=${version%%+*} # CFBundleShortVersionString: numbers and dots only
out=dist/macos
app="$out/Vaihde Softphone.app"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"

# A universal binary: one per architecture, joined by lipo.
bins=()
for arch in ${MACOS_ARCHS:-arm64 amd64}; do
	echo "package-macos: building $arch"
	CGO_ENABLED=1 GOOS=darwin GOARCH=$arch MACOSX_DEPLOYMENT_TARGET=11.0 \
		go build -trimpath -ldflags="-s -w" -o "$work/softphone-$arch" ./client/cmd/softphone
	bins+=("$work/softphone-$arch")
done
lipo -create -output "$app/Contents/MacOS/vaihde-softphone" "${bins[@]}"

sed -e "s/@VERSION@/$version/" -e "s/@SHORT_VERSION@/$short/" packaging/macos/Info.plist >"$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist"
printf 'APPL????' >"$app/Contents/PkgInfo"

# The icon: every size of an .iconset from the 256 px PNG (sips), then iconutil.
set_dir="$work/icon.iconset"
mkdir -p "$set_dir"
for s in 16 32 128 256; do
	sips -z $s $s assets/icon.png --out "$set_dir/icon_${s}x${s}.png" >/dev/null
	d=$((s * 2))
	sips -z $d $d assets/icon.png --out "$set_dir/icon_${s}x${s}@2x.png" >/dev/null
done
iconutil -c icns -o "$app/Contents/Resources/icon.icns" "$set_dir"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
	codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
		--sign "$MACOS_SIGN_IDENTITY" "$app"
else
	echo "package-macos: ad-hoc signature (MACOS_SIGN_IDENTITY unset): Gatekeeper warns on other Macs"
	codesign --force --sign - --entitlements packaging/macos/entitlements.plist "$app"
fi
codesign --verify --strict --verbose=2 "$app"

# The .dmg: the app and a link to /Applications to drag it onto.
stage="$work/dmg"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg="$out/Vaihde-Softphone-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "Vaihde Softphone" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
	codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
fi
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
	xcrun notarytool submit "$dmg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
	xcrun stapler staple "$dmg"
	spctl --assess --type open --context context:primary-signature --verbose "$dmg"
fi
echo "package-macos: $app"
echo "package-macos: $dmg"
