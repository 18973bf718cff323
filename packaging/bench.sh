#!/usr/bin/env bash
# bench.sh measures Vaihde on this machine, over 127.0.0.1 only, every run bounded:
#   1. Go benchmarks (go test -bench)
#   2. REGISTER with digest authentication per second (SIPp, stepped offered rates)
#   3. call set-ups per second through the B2BUA (SIPp UAC -> Vaihde -> SIPp UAS; and vaihde-load setup)
#   4. 1000 simultaneous relayed calls for 30 s (vaihde-load media): loss, jitter, server CPU
#   5. Softphone memory at idle and CPU during a call, under Xvfb + PulseAudio (if it builds)
# Figures are printed and written as Markdown to $BENCH_OUT/results.md for docs/PERFORMANCE.md.
#
# Knobs (environment): BENCH_OUT (default bench-out), BENCH_SIP_PORT (25960),
# BENCH_MEDIA_CALLS (1000), BENCH_MEDIA_SECONDS (30), BENCH_SKIP (space-separated step names:
# gobench register setup media softphone), BENCH_QUICK=1 (one low rate per SIPp step: a smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LANG=C.UTF-8 LC_ALL=C.UTF-8

OUT=${BENCH_OUT:-$ROOT/bench-out}
SIP_PORT=${BENCH_SIP_PORT:-25960}
HTTP_PORT=$((SIP_PORT + 1))
MEDIA_CALLS=${BENCH_MEDIA_CALLS:-1000}
MEDIA_SECONDS=${BENCH_MEDIA_SECONDS:-30}
SKIP=" ${BENCH_SKIP:-} "
REG_RATES="250 500 1000 2000"
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

skip() { [[ "$SKIP" == *" $1 "* ]]; }
say() { printf '%s\n' "$*"; }
record() { printf '%s\n' "$*" | tee -a "$RESULTS"; }

# Many sockets for 1000 calls (4 RTP sockets per relayed call on the server, 2 per call in the tool).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

say "== building"
CGO_ENABLED=0 go build -o "$WORK/vaihde" ./server/cmd/vaihde
have_load=0
if [ -d server/cmd/vaihde-load ] && CGO_ENABLED=0 go build -o "$WORK/vaihde-load" ./server/cmd/vaihde-load; then
	have_load=1
fi

cpu_ticks() { awk '{ i = index($0, ") "); split(substr($0, i + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

start_server() {
	rm -f "$WORK/vaihde.db"*
	"$WORK/vaihde" -demo -sip-addr "127.0.0.1:$SIP_PORT" -http-addr "127.0.0.1:$HTTP_PORT" \
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
	record "\`go test -run '^\$' -bench . -benchmem -benchtime 1s ./server/... ./shared/...\`"
	record ""
	record '```'
	go test -run '^$' -bench . -benchmem -benchtime 1s -timeout 15m ./server/... ./shared/... 2>&1 |
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
if ! skip softphone && [ -d client/cmd/softphone ]; then
	say "== Softphone memory and CPU (Xvfb + PulseAudio null sink)"
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
		DISP=:$((SIP_PORT % 1000 + 100))
		Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
		PIDS+=("$!")
		sleep 1
		start_server
		mkdir -p "$WORK/softphone-config"
		DISPLAY=$DISP "$WORK/softphone" -config-dir "$WORK/softphone-config" -server "127.0.0.1:$SIP_PORT" \
			-user 1007 -password demo1007 >"$OUT/softphone.log" 2>&1 &
		SP_PID=$!
		PIDS+=("$SP_PID")
		sleep 10
		if kill -0 "$SP_PID" 2>/dev/null; then
			c0=$(cpu_ticks "$SP_PID")
			sleep 10
			c1=$(cpu_ticks "$SP_PID")
			record "## Softphone"
			record ""
			record "Real Softphone under Xvfb (Mesa software GL) with a PulseAudio null sink, logged in as 1007 (\`softphone -server 127.0.0.1:$SIP_PORT -user 1007 -password demo1007\`), measured 10 s after start."
			record ""
			record "- RSS at idle: $(rss_kb "$SP_PID") kB (a minimal Fyne window under Mesa is about 150 MB)"
			record "- CPU at idle over 10 s: $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f%%", (b - a) / 10 }')"
			record ""
		else
			say "softphone exited early; see $OUT/softphone.log"
		fi
		stop_server
	fi
fi

say ""
say "Results written to $RESULTS"
