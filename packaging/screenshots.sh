#!/usr/bin/env bash
# Captures the Softphone's screenshots into docs/screenshots/ with the real application under
# Xvfb:
#   login.png  first run, empty configuration
#   main.png   registered to a demo server, idle
#   call.png   an answered call to a baresip peer on auto-answer
#   incoming.png  (extra) the incoming-call banner while baresip calls the Softphone
#   presence.png  the own-presence panel open
#   chat.png      a conversation with a few messages (sent through the HTTP API)
#   directory.png the Colleagues tab with a search typed; colleagues' presence set through the
#                 HTTP API, two of them on a call with each other (baresip) when baresip is here
#   voicemail.png  1004's Voicemail tab with two messages left by baresip callers (1005, 1002)
#                  through the server's voicemail, the older one marked heard through the API
#   forwarding.png 1004's forwarding and voicemail settings, filled in through the HTTP API
#   voicemail-settings.png  (extra) the same screen scrolled to the voicemail options, PIN and
#                  the VIP numbers that ring through the away notice
#   emergency.png  a call to 112, answered by a SIPp "carrier" on the trunk, with the
#                  "State your location" reminder (CALL-10; needs sipp)
#   agent.png      the Queues tab of an agent: in two of three queues, wrap-up counting down
#   queue-call.png a queue callback ringing: queue name, caller and callback text
#                  (these two use a stand-in registrar and agent API, client/agent/agenttest:
#                  go test ./client/cmd/softphone -run AgentScreenshots with VAIHDE_SHOTS_DIR)
# All but login.png need the server (server/cmd/vaihde -demo); call.png, incoming.png and the
# on-call state need baresip; without the server only login.png is made. KEEP_WORK=1 keeps the logs. Every process started here is stopped by its PID on exit.
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
	timeout 120 "$WORK/softphone" -config-dir "$cfg" -no-keychain -no-audio \
		-screenshot "$OUT/$name" -screenshot-after "$SHOT_AFTER" "$@" \
		>"$WORK/softphone-${name%.png}.log" 2>&1 || {
		log "softphone failed for $name:"
		tail -20 "$WORK/softphone-${name%.png}.log" >&2
		return 1
	}
}

# 1. Login screen: first run, empty configuration.
shoot login.png

# Agent view and a queue call, against the stand-in server of the test (it runs its own Xvfb).
log "capturing agent.png and queue-call.png"
VAIHDE_SHOTS_DIR="$OUT" go test ./client/cmd/softphone -run TestIntegrationAgentScreenshots -count=1 \
	>"$WORK/agentshots.log" 2>&1 || { log "agent screenshots failed:"; tail -20 "$WORK/agentshots.log" >&2; }

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
TRUNK_PORT=$(free_port)
RTP_MIN=$((20000 + (SIP_PORT % 2000) * 10))
# The trunk goes to a SIPp "carrier" on loopback that answers every call (emergency.png).
VAIHDE_TRUNK_HOST=127.0.0.1 VAIHDE_TRUNK_PORT=$TRUNK_PORT "$WORK/vaihde" -demo -db "$WORK/vaihde.db" -sip-addr "127.0.0.1:$SIP_PORT" \
	-tls-addr "127.0.0.1:$TLS_PORT" -http-addr "127.0.0.1:$HTTP_PORT" -https-addr "" \
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

# 3. An emergency call: 112 goes out on the trunk to the SIPp carrier, which answers; the call
# panel shows "State your location".
if command -v sipp >/dev/null; then
	sipp -sn uas -i 127.0.0.1 -p "$TRUNK_PORT" -mp "$((RTP_MIN + 300))" -nostdin -trace_err \
		-error_file "$WORK/sipp-carrier.err" >"$WORK/sipp-carrier.log" 2>&1 &
	PIDS+=($!)
	sleep 1
	SHOT_AFTER=${CALL_SHOT_AFTER:-8s} shoot emergency.png "${ACCOUNT[@]}" -dial 112 || true
	if ! grep -q "screenshot taken.*active=1" "$WORK/softphone-emergency.log"; then
		log "emergency.png: the call to 112 was not answered when captured (does the server route emergency calls to the trunk?); removed"
		rm -f "$OUT/emergency.png"
		grep -i "112\|emergency\|trunk" "$WORK/vaihde.log" | tail -5 >&2 || true
	fi
else
	log "sipp not installed: emergency.png skipped"
fi

# --- people: presence, colleagues and chat set up through the real server's HTTP API ----------
API="http://127.0.0.1:$HTTP_PORT"
token() { # token EXT: logs the demo user in and prints the bearer token
	curl -sf -X POST "$API/api/login" -H 'Content-Type: application/json' \
		-d "{\"user\":\"$1\",\"password\":\"demo$1\"}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
api() { # api EXT METHOD PATH JSON: one API request as the demo user EXT
	local tok
	tok=$(token "$1") || return 1
	curl -sf -X "$2" "$API$3" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$4" >/dev/null
}
later() { date -u -d "+$1 min" +%Y-%m-%dT%H:%M:00Z; } # an end time $1 minutes ahead
set_presence() {
	api 1001 PUT /api/presence "{\"activity\":7,\"role\":1,\"until\":\"$(later 240)\",\"note\":\"Working from home today, call my mobile\"}" &&
		api 1002 PUT /api/presence '{"activity":1,"note":"Quotes and customer accounts"}' &&
		api 1003 PUT /api/presence "{\"activity\":4,\"until\":\"$(later 90)\",\"note\":\"Customer visit in Espoo\"}" &&
		api 1004 PUT /api/presence "{\"activity\":3,\"until\":\"$(later 40)\"}" &&
		api 1005 PUT /api/presence '{"activity":8,"note":"English-speaking customers"}' &&
		api 1006 PUT /api/presence "{\"activity\":6,\"until\":\"$(date -u -d '+9 days' +%Y-%m-%dT08:00:00Z)\",\"note\":\"Back on Monday\"}"
}
send_chat() {
	api 1002 POST /api/messages '{"to":"1001","body":"Hi Aino, the offer for Asiakas Oy is ready for review."}' &&
		api 1001 POST /api/messages '{"to":"1002","body":"Thanks Mikko! Did you include the maintenance contract?"}' &&
		api 1002 POST /api/messages '{"to":"1001","body":"Yes, 24 months with the 5 % discount we talked about."}' &&
		api 1001 POST /api/messages '{"to":"1002","body":"Great, I will sign it after lunch."}' &&
		api 1002 POST /api/messages '{"to":"1001","body":"Good, I will let them know."}'
}
# people_shot NAME ARGS...: a people screenshot; the Softphone must have loaded its colleagues.
people_shot() {
	local name=$1
	shift
	shoot "$name" "${ACCOUNT[@]}" "$@" || return 1
	if ! grep -q "people at screenshot.*loaded=true" "$WORK/softphone-${name%.png}.log"; then
		log "$name: the Softphone had not loaded its colleagues when captured; removed"
		grep -i "people\|event stream" "$WORK/softphone-${name%.png}.log" | tail -5 >&2 || true
		rm -f "$OUT/$name"
		return 1
	fi
}
PEOPLE=1
if ! set_presence; then
	log "the server refused the presence API (is it built yet?); people screenshots skipped"
	PEOPLE=
fi
if [ -n "$PEOPLE" ]; then
	people_shot presence.png -presence-panel || true
	if send_chat; then
		people_shot chat.png -chat 1002 || true
	else
		log "the server refused the messages API; chat.png skipped"
	fi
	people_shot directory.png -search "m" || true # replaced below with the on-call state when baresip runs
fi

# 4. An answered call to baresip (1002) on auto-answer.
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
{
	echo "<sip:1002@$DOMAIN>;outbound=\"sip:127.0.0.1:$SIP_PORT;lr\";auth_user=1002;auth_pass=demo1002;regint=300;answermode=auto"
	# 1005 calls 1002 for the directory's on-call state.
	echo "<sip:1005@$DOMAIN>;outbound=\"sip:127.0.0.1:$SIP_PORT;lr\";auth_user=1005;auth_pass=demo1005;regint=300"
} >"$BDIR/accounts"
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
# 5. (extra, best effort) An incoming call: baresip calls the Softphone, which does not answer.
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
	baresip_cmd uafind "sip:1002@$DOMAIN" || true
	baresip_cmd dial "sip:1001@$DOMAIN" || log "could not ask baresip to dial"
fi
wait "$SP" || true
if ! grep -q "screenshot taken" "$WORK/softphone-incoming.log"; then
	log "incoming.png not made"
	rm -f "$OUT/incoming.png"
fi
baresip_cmd hangup "" || true

# 6. The directory again, now with 1005 (Emma) on a call with 1002 (Mikko, auto-answer).
if [ -n "$PEOPLE" ]; then
	sleep 1
	baresip_cmd uafind "sip:1005@$DOMAIN" || true
	baresip_cmd dial "sip:1002@$DOMAIN" || log "could not ask baresip to dial"
	sleep 2
	SHOT_AFTER=${DIR_SHOT_AFTER:-6s} people_shot directory.png -search "m" || true
	baresip_cmd hangup "" || true
fi

# 7. Voicemail: 1004 (Juha, never registered here) gets two messages from baresip callers whose
# calls go to his voicemail; the older is marked heard. Then his routing is filled in through
# the API for the forwarding screen.
VM_ACCOUNT=(-server "127.0.0.1:$SIP_PORT" -api "http://127.0.0.1:$HTTP_PORT" -user 1004 -password demo1004)
leave_voicemail() { # leave_voicemail FROM TO: baresip's account FROM leaves a message (its tone) for TO
	local before
	before=$(grep -c "terminated" "$WORK/baresip.log" || true)
	baresip_cmd uafind "sip:$1@$DOMAIN" || return 1
	baresip_cmd dial "sip:$2@$DOMAIN" || return 1
	sleep "${VM_TALK:-21}" # the greeting reads the number out (~14 s), then ~6 s of message
	baresip_cmd sndcode "#" || true
	for _ in $(seq 1 60); do # the server says "message saved" and hangs up
		if [ "$(grep -c "terminated" "$WORK/baresip.log" || true)" -gt "$before" ]; then return 0; fi
		sleep 0.5
	done
	baresip_cmd hangup "" || true
}
vm_ids() { # the message IDs of 1004's mailbox, newest first
	curl -sf "$API/api/voicemail" -H "Authorization: Bearer $(token 1004)" |
		python3 -c 'import json, sys; print(" ".join(str(m["id"]) for m in json.load(sys.stdin)["messages"]))'
}
log "leaving two voicemail messages for 1004"
sleep 1
leave_voicemail 1005 1004 || log "could not leave the first message"
sleep 1
leave_voicemail 1002 1004 || log "could not leave the second message"
IDS=($(vm_ids || true))
if [ "${#IDS[@]}" -ge 2 ]; then
	api 1004 PUT "/api/voicemail/${IDS[-1]}" '{"heard":true}' || log "could not mark the older message heard"
	shoot voicemail.png "${VM_ACCOUNT[@]}" -tab voicemail || true
	if ! grep -q "voicemail at screenshot.*loaded=true messages=2" "$WORK/softphone-voicemail.log"; then
		log "voicemail.png: the Softphone did not show the two messages; removed"
		grep -i "voicemail" "$WORK/softphone-voicemail.log" | tail -5 >&2 || true
		rm -f "$OUT/voicemail.png"
	fi
else
	log "1004's mailbox has ${#IDS[@]} messages (does the server route unreachable users to voicemail?); voicemail.png skipped"
	grep -i "voicemail\|deposit" "$WORK/vaihde.log" | tail -5 >&2 || true
fi
if api 1004 PUT /api/forwarding '{"immediate":"","busy":"1003","no_answer":"voicemail","ring_seconds":25,"unreachable":"040 765 4321","activities":[{"activity":2,"target":"1005"},{"activity":4,"target":"voicemail"},{"activity":6,"target":"voicemail"}]}' &&
	api 1004 PUT /api/voicemail/settings '{"enabled":true,"notify":"sms","announce_activity":true,"customer_service":"1005","offer_bypass":true}' &&
	api 1004 POST /api/contacts '{"name":"Kalle Asiakas","company":"Asiakas Oy","mobile":"040 555 1234","vip":true}'; then
	for part in top end; do
		name=forwarding.png
		[ "$part" = end ] && name=voicemail-settings.png
		shoot "$name" "${VM_ACCOUNT[@]}" -forwarding "$part" || continue
		if ! grep -q "people at screenshot.*loaded=true" "$WORK/softphone-${name%.png}.log"; then
			log "$name: the Softphone had not loaded the activities when captured; removed"
			rm -f "$OUT/$name"
		fi
	done
else
	log "the server refused the forwarding API; forwarding.png skipped"
fi
log "done: $(ls "$OUT")"
