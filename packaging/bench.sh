#!/usr/bin/env bash
# bench.sh measures Vaihde on this machine, over 127.0.0.1 only, every run bounded:
#   1. Go benchmarks (go test -bench)
#   2. REGISTER with digest authentication per second (SIPp, stepped offered rates)
#   3. call set-ups per second through the B2BUA (SIPp UAC -> Vaihde -> SIPp UAS; and vaihde-load setup)
#   4. 1000 simultaneous relayed calls for 30 s (vaihde-load media): loss, jitter, server CPU
#   5. 500 callers waiting in one queue (music, progress, position and estimate announcements)
#      while 50 agents are paused, then the agents answer them all (vaihde-load queue): loss to
#      the waiting callers, server CPU and memory
#   6. Softphone memory and CPU at idle and during a call to a baresip peer, under Xvfb + PulseAudio
# Figures are printed and written as Markdown to $BENCH_OUT/results.md for docs/PERFORMANCE.md.
#
# Knobs (environment): BENCH_OUT (default bench-out), BENCH_SIP_PORT (25960),
# BENCH_MEDIA_CALLS (1000), BENCH_MEDIA_SECONDS (30), BENCH_QUEUE_CALLERS (500), BENCH_QUEUE_AGENTS
# (50), BENCH_QUEUE_WAIT (30s), BENCH_SKIP (space-separated step names:
# gobench register setup media queue softphone), BENCH_ONLY (space-separated step names: run only these,
# e.g. BENCH_ONLY=softphone), BENCH_QUICK=1 (one low rate per SIPp step: a smoke run),
# BENCH_SOFTPHONE_IDLE / BENCH_SOFTPHONE_CALL (seconds of Softphone measurement, default 20 each),
# BENCH_SOFTPHONE_ARGS (extra Softphone flags, e.g. "-cpuprofile /tmp/sp.prof").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LANG=C.UTF-8 LC_ALL=C.UTF-8

OUT=${BENCH_OUT:-$ROOT/bench-out}
SIP_PORT=${BENCH_SIP_PORT:-25960}
HTTP_PORT=$((SIP_PORT + 1))
MEDIA_CALLS=${BENCH_MEDIA_CALLS:-1000}
MEDIA_SECONDS=${BENCH_MEDIA_SECONDS:-30}
QUEUE_CALLERS=${BENCH_QUEUE_CALLERS:-500}
QUEUE_AGENTS=${BENCH_QUEUE_AGENTS:-50}
QUEUE_WAIT=${BENCH_QUEUE_WAIT:-30s}
SKIP=" ${BENCH_SKIP:-} "
REG_RATES="500 1000 2000 3000 4000"
CALL_RATES="50 100 200 400"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	REG_RATES="100"
	CALL_RATES="20"
fi
SCEN=$ROOT/server/interop/testdata/sipp
mkdir -p "$OUT"
WORK=$(mktemp -d)
RESULTS=$OUT/results.md
: >"$RESULTS"

PIDS=()
cleanup() {
	# Stop only what this script started, by PID (each in its own process group where possible).
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 1
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

ONLY=" ${BENCH_ONLY:-} "
# skip STEP: true when STEP is in BENCH_SKIP, or BENCH_ONLY is set and does not name it.
skip() { [[ "$SKIP" == *" $1 "* ]] || { [ -n "${BENCH_ONLY:-}" ] && [[ "$ONLY" != *" $1 "* ]]; }; }
say() { printf '%s\n' "$*"; }
record() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# Many sockets for 1000 calls (4 RTP sockets per relayed call on the server, 2 per call in the tool).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

say "== building"
CGO_ENABLED=0 go build -o "$WORK/vaihde" ./server/cmd/vaihde
have_load=0
if { ! skip setup || ! skip media || ! skip queue; } && [ -d server/cmd/vaihde-load ] && CGO_ENABLED=0 go build -o "$WORK/vaihde-load" ./server/cmd/vaihde-load; then
	have_load=1
fi

cpu_ticks() { awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# start_server [keep]: a fresh database, or (keep) the one prepared in $WORK/vaihde.db.
start_server() {
	[ "${1:-}" = keep ] || rm -f "$WORK/vaihde.db"*
	"$WORK/vaihde" -demo -sip-addr "127.0.0.1:$SIP_PORT" -http-addr "127.0.0.1:$HTTP_PORT" -https-addr "" \
		-tls-addr "127.0.0.1:$((SIP_PORT + 2))" -db "$WORK/vaihde.db" \
		-rtp-port-min 20000 -rtp-port-max 29999 -log-level warn >"$OUT/vaihde.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$SIP_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	say "vaihde did not start; log:"; tail -20 "$OUT/vaihde.log"; exit 1
}

stop_server() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}

# sipp_stat CSV COLUMN: the last value of a column of a SIPp -trace_stat file.
sipp_stat() {
	[ -s "$1" ] || return 0
	awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next } { v = $c } END { print v }' "$1"
}
# sipp_elapsed CSV: seconds between StartTime and CurrentTime of the last line (their third,
# tab-separated part is a Unix time with microseconds).
sipp_elapsed() {
	[ -s "$1" ] || return 0
	awk -F';' 'END { split($1, a, "\t"); split($3, b, "\t"); printf "%.2f", b[3] - a[3] }' "$1"
}
sipp_ms() {
	awk -F: '{ if (NF >= 4) { ms = ($1 * 3600 + $2 * 60 + $3) * 1000 + $4 / 1000; if (ms < 1) print "<1"; else printf "%.1f\n", ms } else print $0 }' <<<"$1"
}

record "# Vaihde benchmark results"
record ""
record "- Date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
record "- Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), $(go version | awk '{ print $3 }'), $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1 || true)"
record "- Everything over 127.0.0.1; server started as: \`vaihde -demo -sip-addr 127.0.0.1:$SIP_PORT -rtp-port-min 20000 -rtp-port-max 29999 -log-level warn\`"
record ""

# ---------------------------------------------------------------------------------------------
if ! skip gobench; then
	say "== Go benchmarks"
	record "## Go benchmarks"
	record ""
	record "\`go test -run '^\$' -bench . -benchmem -benchtime 1s ./server/... ./shared/... ./client/people/...\`"
	record ""
	record '```'
	go test -run '^$' -bench . -benchmem -benchtime 1s -timeout 15m ./server/... ./shared/... ./client/people/... 2>&1 |
		grep -E '^(Benchmark|ok|FAIL|---)' | tee -a "$RESULTS" || true
	record '```'
	record ""
fi

# ---------------------------------------------------------------------------------------------
if ! skip register; then
	say "== REGISTER with digest authentication (SIPp)"
	start_server
	record "## REGISTER with digest authentication"
	record ""
	record "Each registration is REGISTER → 401 → REGISTER with credentials (MD5: SIPp's User-Agent gets an MD5 challenge) → 200, all for user 1001 (a refresh of the same binding)."
	record ""
	record "| offered rate (/s) | registrations | successful | failed | achieved (/s) | mean response time (ms) |"
	record "|---:|---:|---:|---:|---:|---:|"
	for rate in $REG_RATES; do
		n=$((rate * 5))
		stat="$OUT/sipp-register-$rate.csv"
		cmd=(sipp -sf "$SCEN/register.xml" -s 1001 -au 1001 -ap demo1001 -i 127.0.0.1 -p $((SIP_PORT + 10))
			-r "$rate" -m "$n" -l 2000 -timeout 60s -nostdin -trace_stat -stf "$stat" -fd 1
			"127.0.0.1:$SIP_PORT")
		say "   ${cmd[*]}"
		"${cmd[@]}" >"$OUT/sipp-register-$rate.out" 2>&1 || true
		ok=$(sipp_stat "$stat" "SuccessfulCall(C)")
		failed=$(sipp_stat "$stat" "FailedCall(C)")
		elapsed=$(sipp_elapsed "$stat")
		rt=$(sipp_ms "$(sipp_stat "$stat" "ResponseTime1(C)")")
		achieved=$(awk -v n="${ok:-0}" -v s="${elapsed:-0}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }')
		record "| $rate | $n | ${ok:-?} | ${failed:-?} | $achieved | ${rt:-?} |"
	done
	record ""
	record "Command: \`sipp -sf server/interop/testdata/sipp/register.xml -s 1001 -au 1001 -ap demo1001 -i 127.0.0.1 -p PORT -r RATE -m \$((RATE*5)) -l 2000 -timeout 60s -nostdin -trace_stat 127.0.0.1:$SIP_PORT\`"
	record ""
	stop_server
fi

# ---------------------------------------------------------------------------------------------
if ! skip setup; then
	say "== call set-ups through the B2BUA"
	start_server
	record "## Call set-ups per second"
	record ""
	UAS_PORT=$((SIP_PORT + 20))
	sipp -sf "$SCEN/register.xml" -s 1010 -au 1010 -ap demo1010 -i 127.0.0.1 -p "$UAS_PORT" -m 1 \
		-timeout 20s -nostdin "127.0.0.1:$SIP_PORT" >"$WORK/uas-reg.out" 2>&1 || {
		say "registering the SIPp UAS failed"; tail -20 "$WORK/uas-reg.out"
	}
	sipp -sf "$SCEN/call_uas.xml" -i 127.0.0.1 -p "$UAS_PORT" -l 10000 -nostdin -timeout 300s \
		-mp $((SIP_PORT + 30)) >"$WORK/uas.out" 2>&1 &
	UAS_PID=$!
	PIDS+=("$UAS_PID")
	record "SIPp UAC as 1001 (INVITE → 407 → INVITE with credentials → 200 → ACK, 1 s, BYE) → Vaihde → SIPp UAS registered as 1010."
	record ""
	record "| offered rate (/s) | calls | successful | failed | achieved (/s) | mean set-up time (ms) | server CPU (s) |"
	record "|---:|---:|---:|---:|---:|---:|---:|"
	for rate in $CALL_RATES; do
		n=$((rate * 10))
		stat="$OUT/sipp-call-$rate.csv"
		t0=$(cpu_ticks "$SERVER_PID")
		sipp -sf "$SCEN/call_uac.xml" -key caller 1001 -au 1001 -ap demo1001 -s 1010 -i 127.0.0.1 -p $((SIP_PORT + 21)) \
			-mp $((SIP_PORT + 40)) -r "$rate" -m "$n" -l 3000 -timeout 120s -nostdin \
			-trace_stat -stf "$stat" -fd 1 "127.0.0.1:$SIP_PORT" >"$OUT/sipp-call-$rate.out" 2>&1 || true
		t1=$(cpu_ticks "$SERVER_PID")
		ok=$(sipp_stat "$stat" "SuccessfulCall(C)")
		failed=$(sipp_stat "$stat" "FailedCall(C)")
		elapsed=$(sipp_elapsed "$stat")
		rt=$(sipp_ms "$(sipp_stat "$stat" "ResponseTime1(C)")")
		achieved=$(awk -v n="${ok:-0}" -v s="${elapsed:-0}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }')
		cpu=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 100 }')
		record "| $rate | $n | ${ok:-?} | ${failed:-?} | $achieved | ${rt:-?} | $cpu |"
	done
	record ""
	record "Commands: \`sipp -sf register.xml -s 1010 -au 1010 -ap demo1010 -p UAS_PORT -m 1 …\`, then \`sipp -sf call_uas.xml -p UAS_PORT -l 10000\` and \`sipp -sf call_uac.xml -key caller 1001 -au 1001 -ap demo1001 -s 1010 -r RATE -m \$((RATE*10)) -l 3000 -timeout 120s -trace_stat 127.0.0.1:$SIP_PORT\` (scenarios in server/interop/testdata/sipp)."
	record ""
	kill -TERM "$UAS_PID" 2>/dev/null || true
	wait "$UAS_PID" 2>/dev/null || true
	if [ "$have_load" = 1 ]; then
		say "   vaihde-load setup -calls 2000 -rate 200"
		record "vaihde-load (its own SIP UAs, G.711 SDP, digest auth): \`vaihde-load setup -calls 2000 -rate 200 -server 127.0.0.1:$SIP_PORT -user 1003 -password demo1003 -callee 1004 -callee-password demo1004\`"
		record ""
		record '```'
		"$WORK/vaihde-load" setup -calls 2000 -rate 200 -server "127.0.0.1:$SIP_PORT" -user 1003 -password demo1003 \
			-callee 1004 -callee-password demo1004 2>&1 | tee -a "$RESULTS" || true
		record '```'
		record ""
	fi
	stop_server
fi

# ---------------------------------------------------------------------------------------------
if ! skip media && [ "$have_load" = 1 ]; then
	say "== $MEDIA_CALLS simultaneous calls x ${MEDIA_SECONDS}s of media"
	start_server
	record "## $MEDIA_CALLS simultaneous calls, ${MEDIA_SECONDS} s of G.711 media each way"
	record ""
	record "\`vaihde-load media -calls $MEDIA_CALLS -duration ${MEDIA_SECONDS}s -rate 50 -server 127.0.0.1:$SIP_PORT -user 1005 -password demo1005 -callee 1006 -callee-password demo1006 -server-pid PID\`"
	record ""
	rss0=$(rss_kb "$SERVER_PID")
	record '```'
	"$WORK/vaihde-load" media -calls "$MEDIA_CALLS" -duration "${MEDIA_SECONDS}s" -rate 50 \
		-server "127.0.0.1:$SIP_PORT" -user 1005 -password demo1005 -callee 1006 -callee-password demo1006 \
		-server-pid "$SERVER_PID" 2>&1 | tee -a "$RESULTS" || true
	record '```'
	rss1=$(rss_kb "$SERVER_PID")
	record ""
	record "Server RSS: ${rss0} kB before, ${rss1} kB after the run."
	record ""
	stop_server
fi

# ---------------------------------------------------------------------------------------------
if ! skip queue && [ "$have_load" = 1 ]; then
	say "== $QUEUE_CALLERS callers waiting in one queue, then $QUEUE_AGENTS agents answering"
	rm -f "$WORK/vaihde.db"*
	"$WORK/vaihde-load" seed-queue -db "$WORK/vaihde.db" -queue 8050 -agents "$QUEUE_AGENTS" -agent-first 2001 -progress 10s
	start_server keep
	record "## $QUEUE_CALLERS callers waiting in one queue, $QUEUE_AGENTS agents answering"
	record ""
	record "A queue on 8050 (\`vaihde-load seed-queue\`: $QUEUE_AGENTS agents of equal skill, hold music, a progress announcement with position and estimated wait every 10 s, no wrap-up). The agents (each its own SIP UA) log in and pause over the HTTP API; $QUEUE_CALLERS calls from 1001 enter the queue at 50/s and send G.711 like phones do; for $QUEUE_WAIT every caller only waits, and what each receives is counted by RTP sequence number and against the 50 packets/s a stream must carry. Then the agents resume and answer every caller (3 s conversations, agent media tagged so the caller's counter sees it is connected). Server CPU is utime+stime of the real \`vaihde\` process from /proc/PID/stat, as % of one core (the machine has $(nproc)); memory is VmRSS / VmHWM."
	record ""
	record "\`vaihde-load queue -calls $QUEUE_CALLERS -queue 8050 -agents $QUEUE_AGENTS -agent-first 2001 -wait $QUEUE_WAIT -talk 3s -rate 50 -server 127.0.0.1:$SIP_PORT -api http://127.0.0.1:$HTTP_PORT -server-pid PID\`"
	record ""
	record '```'
	"$WORK/vaihde-load" queue -calls "$QUEUE_CALLERS" -queue 8050 -agents "$QUEUE_AGENTS" -agent-first 2001 \
		-wait "$QUEUE_WAIT" -talk 3s -rate 50 -server "127.0.0.1:$SIP_PORT" -api "http://127.0.0.1:$HTTP_PORT" \
		-server-pid "$SERVER_PID" 2>&1 | tee -a "$RESULTS" || true
	record '```'
	record ""
	stop_server
fi

# ---------------------------------------------------------------------------------------------
if ! skip softphone && [ -d client/cmd/softphone ]; then
	say "== Softphone memory and CPU, idle and in a call (Xvfb + PulseAudio null sink + baresip)"
	if CGO_ENABLED=1 go build -o "$WORK/softphone" ./client/cmd/softphone; then
		export XDG_RUNTIME_DIR="$WORK/xdg"
		mkdir -p "$XDG_RUNTIME_DIR"
		chmod 700 "$XDG_RUNTIME_DIR"
		pulseaudio -n --daemonize=no --exit-idle-time=-1 --load=module-native-protocol-unix \
			--load="module-null-sink sink_name=vsink rate=48000" >"$WORK/pulse.log" 2>&1 &
		PIDS+=("$!")
		export PULSE_SERVER="unix:$XDG_RUNTIME_DIR/pulse/native"
		for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.2; done
		pactl set-default-sink vsink || true
		pactl set-default-source vsink.monitor || true
		DNUM=$((SIP_PORT % 1000 + 100))
		Xvfb ":$DNUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
		XVFB_PID=$!
		PIDS+=("$XVFB_PID")
		for _ in $(seq 50); do [ -S "/tmp/.X11-unix/X$DNUM" ] && break; sleep 0.2; done
		sleep 0.5
		if ! kill -0 "$XVFB_PID" 2>/dev/null; then # display taken by another run, say
			say "Xvfb :$DNUM did not start; see $WORK/xvfb.log"; cat "$WORK/xvfb.log"; exit 1
		fi
		start_server

		# baresip as 1002, answering automatically; it sends a 1 kHz tone and writes what it hears to a file.
		BDIR=$WORK/baresip
		mkdir -p "$BDIR"
		sox -n -r 8000 -c 1 -b 16 "$BDIR/tone.wav" synth 300 sine 1000 vol 0.3 2>/dev/null || true
		cat >"$BDIR/config" <<-EOF
			poll_method epoll
			sip_listen 127.0.0.1:$((SIP_PORT + 50))
			net_interface 127.0.0.1
			audio_player aufile,$BDIR/heard.wav
			audio_alert aufile,$BDIR/alert.wav
			audio_source aufile,$BDIR/tone.wav
			audio_level no
			rtp_ports 19900-19919
			module_path /usr/lib/baresip/modules
			module g711.so
			module aufile.so
			module_tmp uuid.so
			module_tmp account.so
			module_app menu.so
		EOF
		printf '<sip:1002@demo.vaihde.local>;outbound="sip:127.0.0.1:%s;lr";auth_user=1002;auth_pass=demo1002;regint=300;answermode=auto\n' \
			"$SIP_PORT" >"$BDIR/accounts"
		: >"$BDIR/contacts"
		baresip -f "$BDIR" </dev/null >"$OUT/baresip.log" 2>&1 &
		BS_PID=$!
		PIDS+=("$BS_PID")
		for _ in $(seq 100); do grep -q "200 OK" "$OUT/baresip.log" 2>/dev/null && break; sleep 0.2; done
		grep -q "200 OK" "$OUT/baresip.log" || say "   baresip 1002 did not register; see $OUT/baresip.log"

		# One Softphone process: logged in as 1001, idle for a while, then it calls 1002 by itself.
		SP_IDLE=${BENCH_SOFTPHONE_IDLE:-20}
		SP_CALL=${BENCH_SOFTPHONE_CALL:-20}
		SP_SETTLE=20 # start-up (fonts, first paint, call log); the number field gives up the focus after 15 s
		mkdir -p "$WORK/softphone-config"
		sp_cmd=("$WORK/softphone" -config-dir "$WORK/softphone-config" -server "127.0.0.1:$SIP_PORT"
			-api "http://127.0.0.1:$HTTP_PORT" -user 1001 -password demo1001 -dial 1002 -dial-after "$((SP_SETTLE + SP_IDLE + 5))s" ${BENCH_SOFTPHONE_ARGS:-})
		say "   ${sp_cmd[*]}"
		DISPLAY=:$DNUM "${sp_cmd[@]}" >"$OUT/softphone.log" 2>&1 &
		SP_PID=$!
		PIDS+=("$SP_PID")
		for _ in $(seq 100); do grep -q "state=Registered" "$OUT/softphone.log" && break; sleep 0.2; done
		sleep "$SP_SETTLE"
		if kill -0 "$SP_PID" 2>/dev/null; then
			c0=$(cpu_ticks "$SP_PID")
			sleep "$SP_IDLE"
			c1=$(cpu_ticks "$SP_PID")
			idle_rss=$(rss_kb "$SP_PID")
			idle_cpu=$(awk -v a="$c0" -v b="$c1" -v s="$SP_IDLE" 'BEGIN { printf "%.1f%%", (b - a) / s }')
			call_cpu="(no answered call)"
			call_rss="?"
			for _ in $(seq 150); do
				grep -q "call answered" "$OUT/softphone.log" && break
				kill -0 "$SP_PID" 2>/dev/null || break
				sleep 0.2
			done
			if grep -q "call answered" "$OUT/softphone.log"; then
				sleep 2 # past call set-up
				c0=$(cpu_ticks "$SP_PID")
				sleep "$SP_CALL"
				c1=$(cpu_ticks "$SP_PID")
				call_rss=$(rss_kb "$SP_PID")
				if grep -q "call ended" "$OUT/softphone.log"; then
					call_cpu="(the call ended during the measurement; see softphone.log)"
				else
					call_cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f%%", (b - a) / '"$SP_CALL"' }')
				fi
			fi
			record "## Softphone"
			record ""
			record "Real Softphone under Xvfb (Mesa software GL) with PortAudio on a PulseAudio null sink, logged in as 1001; it calls baresip 1002 (auto-answer, G.711, 1 kHz tone) through the server by itself after the idle measurement (\`softphone -server 127.0.0.1:$SIP_PORT -user 1001 -password demo1001 -dial 1002 -dial-after $((SP_SETTLE + SP_IDLE + 5))s\`). CPU is utime+stime from /proc/PID/stat, as % of one core."
			record ""
			record "- RSS at idle: ${idle_rss} kB (a minimal Fyne window under Mesa is about 150 MB)"
			record "- CPU at idle (logged in, no call, ${SP_SETTLE} s after registering) over ${SP_IDLE} s: ${idle_cpu}"
			record "- CPU during a call (audio both ways, call timer running) over ${SP_CALL} s: ${call_cpu}"
			record "- RSS during the call: ${call_rss} kB"
			record ""
		else
			say "softphone exited early; see $OUT/softphone.log"
		fi
		kill -TERM "$SP_PID" "$BS_PID" 2>/dev/null || true
		wait "$SP_PID" "$BS_PID" 2>/dev/null || true
		stop_server
	fi
fi

say ""
say "Results written to $RESULTS"
