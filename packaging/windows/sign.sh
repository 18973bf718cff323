#!/usr/bin/env bash
# sign.sh FILE: Authenticode-signs a Windows executable in place with osslsigncode, when a
# certificate is given; without one it does nothing (unsigned build). Either
#   SIGN_PKCS12=cert.p12 [SIGN_PASSWORD=...]        a PKCS#12 bundle, or
#   SIGN_CERT=cert.pem SIGN_KEY=key.pem [SIGN_PASSWORD=...]   PEM (or DER/SPC) certificate chain + key;
# optionally SIGN_TIMESTAMP_URL=http://... (RFC 3161 timestamp server) and SIGN_URL (publisher's URL).
# softphone.nsi calls it for the uninstaller and the setup program too (!uninstfinalize, !finalize).
set -euo pipefail
f=$1
if [ -z "${SIGN_PKCS12:-}" ] && [ -z "${SIGN_CERT:-}" ]; then
	exit 0
fi
command -v osslsigncode >/dev/null || { echo "sign.sh: osslsigncode missing" >&2; exit 1; }
args=(sign -h sha256 -n "Vaihde Softphone")
if [ -n "${SIGN_PKCS12:-}" ]; then
	args+=(-pkcs12 "$SIGN_PKCS12")
else
	[ -n "${SIGN_KEY:-}" ] || { echo "sign.sh: SIGN_CERT without SIGN_KEY" >&2; exit 1; }
	args+=(-certs "$SIGN_CERT" -key "$SIGN_KEY")
fi
[ -n "${SIGN_PASSWORD:-}" ] && args+=(-pass "$SIGN_PASSWORD")
[ -n "${SIGN_URL:-}" ] && args+=(-i "$SIGN_URL")
[ -n "${SIGN_TIMESTAMP_URL:-}" ] && args+=(-ts "$SIGN_TIMESTAMP_URL")
tmp="$f.signing"
rm -f "$tmp"
osslsigncode "${args[@]}" -in "$f" -out "$tmp" >&2
mv "$tmp" "$f"
echo "sign.sh: signed $f" >&2
