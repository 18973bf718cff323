#!/usr/bin/env bash
# Captures the Softphone's screenshots into docs/screenshots/ with the real application under
# Xvfb:
#   login.png  first run, empty configuration
#   main.png   registered to a demo server, idle
#   call.png   an answered call to a baresip peer on auto-answer
#   incoming.png  (extra) the incoming-call banner while baresip calls the Softphone
# main.png and call.png need the server (server/cmd/vaihde -demo) and baresip; without them only
# login.png is made. KEEP_WORK=1 keeps the logs. Every process started here is stopped by its PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/docs/screenshots}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill "${PIDS[$i]}" 2>/dev/null || true
		wait "${PIDS[$i]}" 2>/dev/null || true
	done
	if [ -n "${KEEP_WORK:-}" ]; then echo "screenshots: work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

export LANG=en_US.UTF-8 # Fyne cannot parse C.UTF-8
export FYNE_THEME=${FYNE_THEME:-light}
export FYNE_SCALE=${FYNE_SCALE:-1}
SHOT_AFTER=${SHOT_AFTER:-4s}
mkdir -p "$OUT"

log() { echo "screenshots: $*" >&2; }

# free_port prints a TCP/UDP port that is free on 127.0.0.1 right now.
free_port() {
	python3 - <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
print(p)
PY
}

# wait_for CMD... retries CMD for up to 30 s.
wait_for() {
	for _ in $(seq 1 60); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.5
	done
	return 1
}

# --- display -------------------------------------------------------------------------------
DISP=
for d in $(seq 90 199); do
	if [ ! -e "/tmp/.X$d-lock" ] && [ ! -e "/tmp/.X11-unix/X$d" ]; then DISP=$d; break; fi
done
[ -n "$DISP" ] || { log "no free X display"; exit 1; }
Xvfb ":$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY=":$DISP"
wait_for test -e "/tmp/.X11-unix/X$DISP" || { log "Xvfb did not start"; exit 1; }

# --- build ---------------------------------------------------------------------------------
cd "$ROOT"
log "building the Softphone"
go build -o "$WORK/softphone" ./client/cmd/softphone

# shoot NAME ARGS... runs the Softphone with its own config dir and writes $OUT/NAME.
shoot() {
	local name=$1
	shift
	local cfg="$WORK/cfg-${name%.png}"
	mkdir -p "$cfg"
	log "capturing $name"
	timeout 120 "$WORK/softphone" -config-dir "$cfg" -no-audio \
		-screenshot "$OUT/$name" -screenshot-after "$SHOT_AFTER" "$@" \
		>"$WORK/softphone-${name%.png}.log" 2>&1 || {
		log "softphone failed for $name:"
		tail -20 "$WORK/softphone-${name%.png}.log" >&2
		return 1
	}
}

# 1. Login screen: first run, empty configuration.
shoot login.png

# --- server and peer -------------------------------------------------------------------------
if [ ! -d "$ROOT/server/cmd/vaihde" ]; then
	log "server/cmd/vaihde not found: only login.png made"
	exit 0
fi
log "building the server"
go build -o "$WORK/vaihde" ./server/cmd/vaihde
SIP_PORT=$(free_port)
TLS_PORT=$(free_port)
HTTP_PORT=$(free_port)
RTP_MIN=$((20000 + (SIP_PORT % 2000) * 10))
"$WORK/vaihde" -demo -db "$WORK/vaihde.db" -sip-addr "127.0.0.1:$SIP_PORT" \
	-tls-addr "127.0.0.1:$TLS_PORT" -http-addr "127.0.0.1:$HTTP_PORT" \
	-rtp-port-min "$RTP_MIN" -rtp-port-max "$((RTP_MIN + 99))" >"$WORK/vaihde.out" 2>"$WORK/vaihde.log" &
PIDS+=($!)
wait_for grep -q "vaihde ready" "$WORK/vaihde.log" || {
	log "server did not start:"
	tail -20 "$WORK/vaihde.log" >&2
	exit 1
}
DOMAIN=demo.vaihde.local # server/demo: users 1001…, password "demo<extension>"
ACCOUNT=(-server "127.0.0.1:$SIP_PORT" -api "http://127.0.0.1:$HTTP_PORT" -user 1001 -password demo1001)

# 2. Main window: registered, idle.
shoot main.png "${ACCOUNT[@]}"
grep -q "screenshot taken.*registered=true" "$WORK/softphone-main.log" || {
	log "main.png: the Softphone was not registered when captured"
	tail -20 "$WORK/softphone-main.log" >&2
	exit 1
}

# 3. An answered call to baresip (1002) on auto-answer.
if ! command -v baresip >/dev/null; then
	log "baresip not installed: call.png skipped"
	exit 0
fi
BDIR="$WORK/baresip"
mkdir -p "$BDIR"
sox -n -r 8000 -c 1 -b 16 "$BDIR/tone.wav" synth 120 sine 440 vol 0.3
B_PORT=$(free_port)
B_RTP=$((RTP_MIN + 200))
B_CTRL=$(free_port)
cat >"$BDIR/config" <<CFG
poll_method epoll
sip_listen 127.0.0.1:$B_PORT
net_interface 127.0.0.1
audio_player aufile,$BDIR/heard.wav
audio_alert aufile,$BDIR/alert.wav
audio_source aufile,$BDIR/tone.wav
audio_level no
rtp_ports $B_RTP-$((B_RTP + 19))
statmode_default off
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_tmp uuid.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:$B_CTRL
CFG
echo "<sip:1002@$DOMAIN>;outbound=\"sip:127.0.0.1:$SIP_PORT;lr\";auth_user=1002;auth_pass=demo1002;regint=300;answermode=auto" >"$BDIR/accounts"
: >"$BDIR/contacts"
baresip -f "$BDIR" </dev/null >"$WORK/baresip.log" 2>&1 &
PIDS+=($!)
wait_for grep -q "200 OK" "$WORK/baresip.log" || log "baresip did not report its registration; trying anyway"

SHOT_AFTER=${CALL_SHOT_AFTER:-8s} shoot call.png "${ACCOUNT[@]}" -dial 1002
if ! grep -q "screenshot taken.*active=1" "$WORK/softphone-call.log"; then
	log "call.png: no answered call when captured (does the server route calls yet?); removed"
	rm -f "$OUT/call.png"
	grep -i "call\|invite" "$WORK/softphone-call.log" "$WORK/vaihde.log" | tail -10 >&2 || true
	exit 1
fi
# 4. (extra, best effort) An incoming call: baresip calls the Softphone, which does not answer.
baresip_cmd() { # baresip_cmd COMMAND PARAMS: one ctrl_tcp netstring command
	python3 - "$B_CTRL" "$1" "$2" <<'PY'
import json, socket, sys
port, cmd, params = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = json.dumps({"command": cmd, "params": params, "token": "shot"}).encode()
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(str(len(msg)).encode() + b":" + msg + b",")
PY
}
log "capturing incoming.png"
timeout 120 "$WORK/softphone" -config-dir "$WORK/cfg-incoming" -no-audio \
	-screenshot "$OUT/incoming.png" -screenshot-after 12s "${ACCOUNT[@]}" >"$WORK/softphone-incoming.log" 2>&1 &
SP=$!
PIDS+=($SP)
if wait_for grep -q "state=Registered" "$WORK/softphone-incoming.log"; then
	sleep 1
	baresip_cmd dial "sip:1001@$DOMAIN" || log "could not ask baresip to dial"
fi
wait "$SP" || true
if ! grep -q "screenshot taken" "$WORK/softphone-incoming.log"; then
	log "incoming.png not made"
	rm -f "$OUT/incoming.png"
fi
baresip_cmd hangup "" || true
log "done: $(ls "$OUT")"
