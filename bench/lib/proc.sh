# Sourced by bench/run.sh: the processes it starts and the ports they listen on.
# Every process is recorded in STARTED by PID and stopped by PID (cleanup, on exit);
# every wait is time-bounded. Nothing here prints to stdout but the values asked for.

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
