#!/usr/bin/env bash
# mxgate benchmark (not a test): smtp-source -> {smtp-sink directly, HAProxy TCP relay, mxgate,
# mxgate with its connection/RCPT filters, mxgate with SPF alone} -> smtp-sink.
#
#   bench/run.sh BUILD_DIR [--quick]
#
# Prints messages/s per target (medians of R runs), the ratios mxgate/direct,
# mxgate/haproxy, filters/mxgate (SPF + DNSBL + FCrDNS + greylisting, the one triplet
# pre-allowed) and spf/mxgate (2 KB messages only; a sender whose SPF record needs three
# DNS-querying terms), CPU time per message of each mxgate and of haproxy from
# /proc/<pid>/stat, cached SPF evaluations per second on one thread
# (bench/spf_eval_bench.cpp), and mxgate's resident memory per idle plain session. DNS
# comes from an nsd on loopback, cached by mxgate's resolver. Everything runs on 127.0.0.1
# with ports bound at start (see start_on_candidate), in a temp dir; every process it
# starts is stopped by PID on exit, and every step has a time bound. If mxgate is missing
# or fails, the direct and haproxy numbers are still printed. See bench/README.md.
#
# Environment: BENCH_REPEATS (3), BENCH_TARGET_SECONDS (2.5: calibrated length of one
# direct run), BENCH_IDLE_SESSIONS (5000), BENCH_RUN_TIMEOUT (60 s per smtp-source run),
# MXGATE_WORKERS (1, like haproxy's nbthread 1), MXGATE_BIN (default BUILD_DIR/mxgate),
# BENCH_KEEP=1 (keep the temp dir with all logs).
set -uo pipefail

usage() { echo "usage: $0 BUILD_DIR [--quick]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
[[ -d $1 ]] || { echo "$0: $1: not a directory" >&2; exit 2; }
BUILD_DIR=$(cd "$1" && pwd)
QUICK=0
if [[ $# -eq 2 ]]; then [[ $2 == --quick ]] || usage; QUICK=1; fi

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SINK_BIN=/usr/sbin/smtp-sink
SOURCE_BIN=/usr/sbin/smtp-source
HAPROXY_BIN=$(command -v haproxy || echo /usr/sbin/haproxy)
MXGATE=${MXGATE_BIN:-$BUILD_DIR/mxgate}
MXGATE_WORKERS=${MXGATE_WORKERS:-1}
SPF_EVAL_BIN=$BUILD_DIR/bench/spf_eval_bench

REPEATS=${BENCH_REPEATS:-3}
TARGET_SECONDS=${BENCH_TARGET_SECONDS:-2.5}
IDLE_SESSIONS=${BENCH_IDLE_SESSIONS:-5000}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-60}   # seconds: any single smtp-source run (a direct run takes ~TARGET_SECONDS)
PILOT=300
SPF_EVAL_SECONDS=2           # one run of the SPF micro-benchmark (bench/spf_eval_bench.cpp)
if ((QUICK)); then
    REPEATS=${BENCH_REPEATS:-1}; TARGET_SECONDS=${BENCH_TARGET_SECONDS:-0.5}
    IDLE_SESSIONS=${BENCH_IDLE_SESSIONS:-1000}; RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-20}; PILOT=100
    SPF_EVAL_SECONDS=0.5
fi
MAX_FAILURES=2               # a target failing this many runs is dropped from the rest of the benchmark
SIZES=(2048 102400)          # smtp-source -l: payload bytes (plus its few headers)
SESSIONS=(1 10 50)           # smtp-source -s: parallel sessions
SPF_SIZE=2048                # the only size the "spf" target runs (it adds ~10 % to the run time)
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/mxgate-bench.XXXXXX)
chmod 711 "$WORK"
RESULTS=$WORK/results.tsv
STARTED=()                   # PIDs of everything we started, stopped on exit

log() { echo "[bench] $*" >&2; }

stop_pid() {   # SIGTERM, up to 5 s, then SIGKILL - this PID only
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local pid
    for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ports: whoever can bind port 0 does (smtp-sink, mxgate), and the script reads the port
# its PID listens on; haproxy and nsd start on a candidate port and, when another process
# took it first, on a new one. No port is handed out after being freed and then trusted.

# A port that was free a moment ago: only a guess (see start_on_candidate).
candidate_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# TCP ports in LISTEN state held by PID (its socket inodes looked up in /proc/net/tcp).
listening_ports() {
    local pid=$1 fd link inodes=" "
    for fd in /proc/"$pid"/fd/*; do
        link=$(readlink "$fd" 2>/dev/null) || continue
        [[ $link == socket:* ]] && inodes+="${link:8:-1} "
    done
    awk -v inodes="$inodes" '$4 == "0A" && index(inodes, " " $10 " ") { n = split($2, a, ":"); print a[n] }' \
        /proc/net/tcp | while read -r hex; do echo $((16#$hex)); done
}

# Wait (at most 10 s) until PID listens on PORT, or on any port when PORT is 0; prints
# the port. Fails if PID dies first.
wait_listen() {
    local port=$1 pid=$2 i found
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        found=$(listening_ports "$pid" | awk -v p="$port" 'p == 0 || $1 == p { print; exit }')
        if [[ -n $found ]]; then echo "$found"; return 0; fi
        sleep 0.05
    done
    return 1
}

# Start a server that cannot bind port 0: START_FN PORT writes its config, starts it in
# the background and sets LAST_PID. When it exits because the candidate port was taken
# ("in use" in one of the LOG_FILEs), try a new one, 5 attempts in all. Sets CANDIDATE_PORT.
start_on_candidate() {
    local start_fn=$1 attempt port
    shift
    for ((attempt = 1; attempt <= 5; attempt++)); do
        port=$(candidate_port)
        "$start_fn" "$port"
        STARTED+=("$LAST_PID")
        if wait_listen "$port" "$LAST_PID" >/dev/null; then CANDIDATE_PORT=$port; return 0; fi
        stop_pid "$LAST_PID"
        grep -qs "in use" "$@" || return 1
        log "port $port was taken before $start_fn bound it (attempt $attempt of 5), retrying on another port"
    done
    return 1
}

cpu_ticks() {   # utime + stime of PID, in clock ticks (fields 14 and 15 of /proc/PID/stat)
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

now() { date +%s.%N; }

# ---------------------------------------------------------------- peers

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
if ((NOFILE < IDLE_SESSIONS + 100)); then
    log "ulimit -n is $NOFILE: idle-session test reduced to $((NOFILE - 100)) sessions"
    IDLE_SESSIONS=$((NOFILE - 100))
fi

for bin in "$SINK_BIN" "$SOURCE_BIN"; do
    [[ -x $bin ]] || { echo "$0: $bin not found (Debian package postfix)" >&2; exit 1; }
done

SINK_USER=()
[[ $(id -u) == 0 ]] && SINK_USER=(-u nobody)
"$SINK_BIN" "${SINK_USER[@]}" -m 1024 "127.0.0.1:0" 1024 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
STARTED+=("$SINK_PID")
SINK_PORT=$(wait_listen 0 "$SINK_PID") || { cat "$WORK/sink.log" >&2; echo "$0: smtp-sink did not start" >&2; exit 1; }
log "smtp-sink pid $SINK_PID on 127.0.0.1:$SINK_PORT"

HAP_OK=0 HAP_PID="" HAP_PORT=""
start_haproxy() {
    sed -e "s/@LISTEN@/127.0.0.1:$1/" -e "s/@SINK@/127.0.0.1:$SINK_PORT/" -e "s/@MAXCONN@/$((NOFILE / 2 - 100))/" \
        "$HERE/haproxy.cfg.in" >"$WORK/haproxy.cfg"
    "$HAPROXY_BIN" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
    LAST_PID=$!
}
if [[ -x $HAPROXY_BIN ]]; then
    if start_on_candidate start_haproxy "$WORK/haproxy.log"; then
        HAP_PORT=$CANDIDATE_PORT HAP_PID=$LAST_PID
        HAP_OK=1
        log "haproxy pid $HAP_PID on 127.0.0.1:$HAP_PORT"
    else
        log "haproxy did not start: $(tail -5 "$WORK/haproxy.log")"
    fi
else
    log "haproxy not installed: skipping that target"
fi

# The plain mxgate's config; the filtered ones append their sections to a copy.
cat >"$WORK/mxgate.yaml" <<EOF
# written by bench/run.sh
server:
  hostname: "mx.bench.test"
  workers: $MXGATE_WORKERS
  allow_root: true    # the benchmark runs as whoever starts it, often root
listeners:
  - address: "127.0.0.1:0"
    tls: "none"
trusted_networks: []
domains:
  bench.test: "sink"
backends:
  sink:
    type: "smtp"
    servers: ["127.0.0.1:$SINK_PORT"]
limits:
  max_connections: $((IDLE_SESSIONS + 1000))
  max_connections_per_ip: $((IDLE_SESSIONS + 1000))
logging:
  level: "warn"
EOF

# start_mxgate NAME CONFIG: starts it on port 0, sets LAST_PID and LAST_PORT, or sets
# LAST_WHY and fails.
start_mxgate() {
    local name=$1 config=$2
    "$MXGATE" -c "$config" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED+=("$LAST_PID")
    LAST_PORT=$(wait_listen 0 "$LAST_PID") || { LAST_WHY="did not start: $(tail -3 "$WORK/$name.log" | tr '\n' ' ')"; return 1; }
}

MX_OK=0 MX_PID="" MX_PORT="" MX_WHY=""
if [[ ! -x $MXGATE ]]; then
    MX_WHY="$MXGATE is not an executable (build it first)"
    log "mxgate: $MX_WHY"
elif start_mxgate mxgate "$WORK/mxgate.yaml"; then
    MX_OK=1 MX_PID=$LAST_PID MX_PORT=$LAST_PORT
    log "mxgate pid $MX_PID on 127.0.0.1:$MX_PORT ($MXGATE, workers: $MXGATE_WORKERS)"
else
    MX_WHY=$LAST_WHY
    log "mxgate $MX_WHY"
fi

# DNS for the filtered mxgates: an nsd on loopback serving bench.test, whose SPF record
# needs three DNS-querying terms (RFC 7208 §4.6.4) and matches 127.0.0.1 only at the last
# one, and an empty DNS list. mxgate's resolver caches every answer after the first
# message. check_host(127.0.0.1, bench.test, bar@bench.test) asks, in this order:
#   TXT bench.test                  v=spf1 include:_spf.bench.test mx -all
#   TXT _spf.bench.test             v=spf1 a:relay.bench.test -all   (include: a term)
#   A   relay.bench.test            127.0.0.2: no match, the include fails   (a: a term)
#   MX  bench.test                  10 mx.bench.test                         (mx: a term)
#   A   mx.bench.test               127.0.0.1: match, pass
NSD_OK=0 NSD_PORT="" NSD_WHY=""
ZONES=$WORK/zones
start_nsd() {
    cat >"$ZONES/nsd.conf" <<NSD_END
server:
  ip-address: 127.0.0.1@$1
  do-ip6: no
  username: ""
  zonesdir: "$ZONES"
  pidfile: "$ZONES/nsd.pid"
  database: ""
  zonelistfile: "$ZONES/zone.list"
  xfrdfile: "$ZONES/xfrd.state"
  xfrdir: "$ZONES"
  logfile: "$ZONES/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "bench.test"
  zonefile: "bench.test.zone"
zone:
  name: "bl.bench.test"
  zonefile: "bl.bench.test.zone"
NSD_END
    rm -f "$ZONES/nsd.log"
    /usr/sbin/nsd -d -c "$ZONES/nsd.conf" >"$WORK/nsd.log" 2>&1 &
    LAST_PID=$!
}
if [[ ! -x /usr/sbin/nsd ]]; then
    NSD_WHY="nsd not installed (Debian package nsd)"
else
    mkdir -p "$ZONES"
    for zone in bench.test bl.bench.test; do
        {
            echo "\$ORIGIN $zone."
            echo "\$TTL 3600"
            echo "@ IN SOA ns.$zone. hostmaster.$zone. 1 3600 600 86400 3600"
            echo "@ IN NS ns.$zone."
            echo "ns IN A 127.0.0.1"
            if [[ $zone == bench.test ]]; then
                echo '@ IN TXT "v=spf1 include:_spf.bench.test mx -all"'
                echo '_spf IN TXT "v=spf1 a:relay.bench.test -all"'
                echo 'relay IN A 127.0.0.2'
                echo '@ IN MX 10 mx.bench.test.'
                echo 'mx IN A 127.0.0.1'
            fi
        } >"$ZONES/$zone.zone"
    done
    if start_on_candidate start_nsd "$ZONES/nsd.log" "$WORK/nsd.log"; then
        NSD_OK=1 NSD_PORT=$CANDIDATE_PORT
        log "nsd pid $LAST_PID on 127.0.0.1:$NSD_PORT"
    else
        NSD_WHY="nsd did not start: $(tail -2 "$ZONES/nsd.log" | tr '\n' ' ')"
    fi
fi

# The plain config plus DNS from the nsd and the filter sections given on stdin.
filtered_config() {
    cat "$WORK/mxgate.yaml"
    cat <<DNS_END
dns:
  servers: ["127.0.0.1@$NSD_PORT"]
  transparent_local_zones: ["test"]
DNS_END
    cat
}

# mxgate with the filters of issue 4: SPF, a DNS list and FCrDNS, greylisting in SQLite
# with the bench triplet pre-allowed. Same listener and backend settings as the plain mxgate.
FX_OK=0 FX_PID="" FX_PORT="" FX_WHY=""
start_filtered_mxgate() {
    filtered_config >"$WORK/filters.yaml" <<FILTERS_END
state:
  sqlite:
    path: "$WORK/state.db"
filters:
  spf:
    enabled: true
  dnsbl:
    enabled: true
    lists:
      - {name: "bench", zone: "bl.bench.test"}
  greylist:
    enabled: true
    delay: 1s
FILTERS_END
    start_mxgate filters "$WORK/filters.yaml" || { FX_WHY=$LAST_WHY; return 1; }
    FX_PID=$LAST_PID FX_PORT=$LAST_PORT
    # Greylisting: the first attempt is deferred, a retry after the delay passes and
    # the triplet stays allowed, so the runs measure the lookup, not the deferral.
    timeout 10 "$SOURCE_BIN" -m 1 -M bench.test -f bar@bench.test -t foo@bench.test "127.0.0.1:$FX_PORT" \
        >>"$WORK/source.log" 2>&1
    sleep 1.5
    if ! timeout 10 "$SOURCE_BIN" -m 1 -M bench.test -f bar@bench.test -t foo@bench.test "127.0.0.1:$FX_PORT" \
        >>"$WORK/source.log" 2>&1; then
        FX_WHY="the greylisting retry did not pass"
        return 1
    fi
    return 0
}

# mxgate with SPF alone (issue 10): what the evaluator costs per message.
SPF_OK=0 SPF_PID="" SPF_PORT="" SPF_WHY=""
start_spf_mxgate() {
    filtered_config >"$WORK/spf.yaml" <<SPF_END
filters:
  spf:
    enabled: true
SPF_END
    start_mxgate spf "$WORK/spf.yaml" || { SPF_WHY=$LAST_WHY; return 1; }
    SPF_PID=$LAST_PID SPF_PORT=$LAST_PORT
    # One message that must be accepted: SPF passes and the answers are cached.
    if ! timeout 10 "$SOURCE_BIN" -m 1 -M bench.test -f bar@bench.test -t foo@bench.test "127.0.0.1:$SPF_PORT" \
        >>"$WORK/source.log" 2>&1; then
        SPF_WHY="the first message was not accepted: $(tail -2 "$WORK/source.log" | tr '\n' ' ')"
        return 1
    fi
}

if ((!MX_OK)); then
    FX_WHY="mxgate did not start" SPF_WHY="mxgate did not start"
elif ((!NSD_OK)); then
    FX_WHY=$NSD_WHY SPF_WHY=$NSD_WHY
else
    if start_filtered_mxgate; then
        FX_OK=1
        log "mxgate with filters pid $FX_PID on 127.0.0.1:$FX_PORT"
    else
        log "mxgate with filters: $FX_WHY"
    fi
    if start_spf_mxgate; then
        SPF_OK=1
        log "mxgate with SPF only pid $SPF_PID on 127.0.0.1:$SPF_PORT"
    else
        log "mxgate with SPF only: $SPF_WHY"
    fi
fi

# ---------------------------------------------------------------- runs

# run_source PORT SIZE SESSIONS COUNT -> prints elapsed seconds, or fails
run_source() {
    local port=$1 size=$2 sessions=$3 count=$4 t0 t1
    t0=$(now)
    if ! timeout "$RUN_TIMEOUT" "$SOURCE_BIN" -s "$sessions" -m "$count" -l "$size" -M bench.test \
        -f bar@bench.test -t foo@bench.test "127.0.0.1:$port" >>"$WORK/source.log" 2>&1; then
        return 1
    fi
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# One measured run of TARGET; appends a line to $RESULTS.
measure() {
    local target=$1 size=$2 sessions=$3 count=$4 rep=$5 port pid c0 c1 elapsed
    case $target in
        direct) port=$SINK_PORT pid="" ;;
        haproxy) ((HAP_OK)) || return 0; port=$HAP_PORT pid=$HAP_PID ;;
        mxgate)
            ((MX_OK)) || return 0
            if ! kill -0 "$MX_PID" 2>/dev/null; then
                MX_OK=0 MX_WHY="died during the benchmark: $(tail -3 "$WORK/mxgate.log" | tr '\n' ' ')"
                log "mxgate $MX_WHY"
                return 0
            fi
            port=$MX_PORT pid=$MX_PID ;;
        filters)
            ((FX_OK)) || return 0
            kill -0 "$FX_PID" 2>/dev/null || { FX_OK=0 FX_WHY="died during the benchmark"; return 0; }
            port=$FX_PORT pid=$FX_PID ;;
        spf)
            ((SPF_OK)) || return 0
            kill -0 "$SPF_PID" 2>/dev/null || { SPF_OK=0 SPF_WHY="died during the benchmark"; return 0; }
            port=$SPF_PORT pid=$SPF_PID ;;
    esac
    c0=0 c1=0
    [[ -n $pid ]] && c0=$(cpu_ticks "$pid")
    if elapsed=$(run_source "$port" "$size" "$sessions" "$count"); then
        [[ -n $pid ]] && c1=$(cpu_ticks "$pid")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$size" "$sessions" "$rep" "$count" "$elapsed" \
            "$((c1 - c0))" >>"$RESULTS"
    else
        log "$target size=$size sessions=$sessions: smtp-source failed or timed out after ${RUN_TIMEOUT}s"
        tail -3 "$WORK/source.log" >&2
        printf '%s\t%s\t%s\t%s\t%s\tfail\t0\n' "$target" "$size" "$sessions" "$rep" "$count" >>"$RESULTS"
        FAILURES[$target]=$((${FAILURES[$target]:-0} + 1))
        if ((FAILURES[$target] >= MAX_FAILURES)); then
            log "$target: $MAX_FAILURES failed runs, dropping it from the remaining runs"
            case $target in
                haproxy) HAP_OK=0 ;;
                mxgate) MX_OK=0 MX_WHY="dropped after $MAX_FAILURES failed runs (smtp-source errors/timeouts)" ;;
                filters) FX_OK=0 FX_WHY="dropped after $MAX_FAILURES failed runs (smtp-source errors/timeouts)" ;;
                spf) SPF_OK=0 SPF_WHY="dropped after $MAX_FAILURES failed runs (smtp-source errors/timeouts)" ;;
            esac
        fi
    fi
}

declare -A FAILURES
# Calibrate one message count per (size, sessions) on the direct path: ~TARGET_SECONDS there.
declare -A COUNT
for size in "${SIZES[@]}"; do
    for sessions in "${SESSIONS[@]}"; do
        if el=$(run_source "$SINK_PORT" "$size" "$sessions" "$PILOT"); then
            COUNT[${size}_$sessions]=$(awk -v p="$PILOT" -v e="$el" -v t="$TARGET_SECONDS" -v s="$sessions" \
                'BEGIN { n = int(p / e * t); if (n < 100) n = 100; if (n > 20000) n = 20000;
                         n = int((n + s - 1) / s) * s; print n }')
        else
            COUNT[${size}_$sessions]=$PILOT
        fi
        log "size=$size sessions=$sessions: ${COUNT[${size}_$sessions]} messages per run"
    done
done

TARGETS=(direct haproxy mxgate filters spf)
for ((rep = 1; rep <= REPEATS; rep++)); do
    for size in "${SIZES[@]}"; do
        for sessions in "${SESSIONS[@]}"; do
            # Interleave targets run by run, rotating who goes first, so drift hits all alike.
            for ((k = 0; k < ${#TARGETS[@]}; k++)); do
                target=${TARGETS[$(((k + rep + sessions) % ${#TARGETS[@]}))]}
                # SPF costs the same per message whatever its size: small messages show it.
                [[ $target == spf && $size != "$SPF_SIZE" ]] && continue
                measure "$target" "$size" "$sessions" "${COUNT[${size}_$sessions]}" "$rep"
            done
        done
    done
    log "repetition $rep/$REPEATS done"
done

# ---------------------------------------------------------------- SPF micro-benchmark

# Cached evaluations per second on one thread (bench/spf_eval_bench.cpp), against the same
# nsd and sender as the "spf" target, with nothing else running; median of REPEATS runs.
SPF_EVAL_LINE="spf evaluations: n/a"
if [[ ! -x $SPF_EVAL_BIN ]]; then
    SPF_EVAL_LINE+=" ($SPF_EVAL_BIN is not an executable: build the target spf_eval_bench)"
elif ((!NSD_OK)); then
    SPF_EVAL_LINE+=" ($NSD_WHY)"
else
    for ((rep = 1; rep <= REPEATS; rep++)); do
        timeout $((RUN_TIMEOUT + 10)) "$SPF_EVAL_BIN" "127.0.0.1@$NSD_PORT" bar@bench.test 127.0.0.1 "$SPF_EVAL_SECONDS" \
            >>"$WORK/spf_eval.log" 2>&1 || log "spf_eval_bench failed: $(tail -1 "$WORK/spf_eval.log")"
    done
    SPF_EVAL_LINE=$(awk '/^spf_eval / { ++n; for (i = 2; i <= NF; i++) { split($i, kv, "=")
                                                                    if (kv[1] == "per_second") wall[n] = kv[2]
                                                                    if (kv[1] == "per_cpu_second") cpu[n] = kv[2] } }
        function median(v, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
        END { if (n == 0) { print "spf evaluations: n/a (no run succeeded)"; exit }
              printf "spf evaluations (cached, one thread), median of %d run(s): %.0f per second, %.0f per CPU second\n",
                     n, median(wall, n), median(cpu, n) }' "$WORK/spf_eval.log")
fi

# ---------------------------------------------------------------- idle sessions (RSS)

IDLE_LINE="mxgate idle sessions: n/a (${MX_WHY:-not measured})"
if ((MX_OK)) && kill -0 "$MX_PID" 2>/dev/null; then
    base=$(rss_kib "$MX_PID")
    "$PY" - "$MX_PORT" "$IDLE_SESSIONS" "$WORK/idle.status" >"$WORK/idle.log" 2>&1 <<'PYEOF' &
# Open N plain sessions to mxgate, read each greeting, report, then hold them (at most 120 s).
import socket, sys, time
port, n, status = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks, greeted, failed = [], 0, 0
deadline = time.monotonic() + 60
for i in range(n):
    if time.monotonic() > deadline:
        break
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        data = s.recv(512)
        if data.startswith(b"220"):
            greeted += 1
        else:
            failed += 1
        socks.append(s)
    except OSError as exc:
        failed += 1
        if failed > 50:
            break
with open(status + ".tmp", "w") as f:
    f.write(f"{greeted} {failed}\n")
import os
os.rename(status + ".tmp", status)
time.sleep(120)
PYEOF
    HOLD_PID=$!
    STARTED+=("$HOLD_PID")
    for ((i = 0; i < 900; i++)); do [[ -f $WORK/idle.status ]] && break; kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
    if [[ -f $WORK/idle.status ]]; then
        sleep 1   # let mxgate finish writing greetings and settle
        read -r greeted failed <"$WORK/idle.status"
        loaded=$(rss_kib "$MX_PID")
        if [[ -n $loaded && -n $base ]] && ((greeted > 0)); then
            IDLE_LINE=$(awk -v b="$base" -v l="$loaded" -v g="$greeted" -v f="$failed" \
                'BEGIN { printf "mxgate idle sessions: %d held (%d refused/failed); RSS %d KiB -> %d KiB: %.1f KiB per session",
                         g, f, b, l, (l - b) / g }')
        else
            IDLE_LINE="mxgate idle sessions: none greeted ($greeted ok, $failed failed)"
        fi
    else
        IDLE_LINE="mxgate idle sessions: holder did not report: $(tail -2 "$WORK/idle.log" | tr '\n' ' ')"
    fi
    stop_pid "$HOLD_PID"
fi

# ---------------------------------------------------------------- report

"$PY" - "$RESULTS" "$CLK_TCK" "$REPEATS" <<'PYEOF'
import statistics, sys
from collections import defaultdict
path, clk, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate = defaultdict(list)   # (target, size, sessions) -> [msg/s]
cpu = defaultdict(list)    # (target, size, sessions) -> [µs/msg]
fails = defaultdict(int)
try:
    rows = [l.rstrip("\n").split("\t") for l in open(path)]
except FileNotFoundError:
    rows = []
for target, size, sessions, rep, count, elapsed, ticks in rows:
    key = (target, int(size), int(sessions))
    if elapsed == "fail":
        fails[key] += 1
        continue
    rate[key].append(int(count) / float(elapsed))
    if target != "direct":
        cpu[key].append(int(ticks) / clk * 1e6 / int(count))

def med(v):
    return statistics.median(v) if v else None

def fmt(v, spec="{:.0f}"):
    return spec.format(v) if v is not None else "n/a"

combos = sorted({(s, n) for (_, s, n) in list(rate) + list(fails)})
print(f"\nmessages/s, median of {repeats} run(s); CPU = process utime+stime per message (10 ms tick resolution)\n")
hdr = ("size", "sess", "direct", "haproxy", "mxgate", "filters", "spf", "mx/direct", "mx/haproxy", "filt/mx",
       "spf/mx", "mx CPU µs/msg", "filt CPU µs/msg", "spf CPU µs/msg", "hap CPU µs/msg")
line = "{:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11} {:>8} {:>7} {:>14} {:>16} {:>15} {:>15}"
print(line.format(*hdr))

def ratio(a, b):
    return fmt(a / b if a and b else None, "{:.2f}")

for size, sess in combos:
    d, h, m, x, p = (med(rate[(t, size, sess)]) for t in ("direct", "haproxy", "mxgate", "filters", "spf"))
    print(line.format(
        f"{size // 1024}KB", sess, fmt(d), fmt(h), fmt(m), fmt(x), fmt(p), ratio(m, d), ratio(m, h), ratio(x, m),
        ratio(p, m), *(fmt(med(cpu[(t, size, sess)]), "{:.1f}") for t in ("mxgate", "filters", "spf", "haproxy"))))
bad = {k: v for k, v in fails.items() if v}
if bad:
    print("\nfailed runs: " + ", ".join(f"{t} {s // 1024}KB x{n}: {c}" for (t, s, n), c in sorted(bad.items())))
PYEOF
echo
echo "$SPF_EVAL_LINE"
echo "$IDLE_LINE"
((MX_OK)) || echo "mxgate: ${MX_WHY:-not measured}"
((FX_OK)) || echo "mxgate with filters: ${FX_WHY:-not measured}"
((SPF_OK)) || echo "mxgate with SPF only: ${SPF_WHY:-not measured}"
exit 0
