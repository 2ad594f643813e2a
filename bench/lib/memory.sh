# Sourced by bench/run.sh: resident memory of an mxgate under held sessions
# (bench/lib/hold_sessions.py), read from VmRSS in /proc. Each function prints one line
# of the report, or says why there is no figure.

# wait_status FILE PID: until FILE exists (90 s at most) or PID is gone.
wait_status() {
    local i
    for ((i = 0; i < 900; i++)); do [[ -f $1 ]] && return 0; kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
    [[ -f $1 ]]
}

# hold PORT N [MESSAGE_FILE]: starts the holder in the background, sets HOLD_PID.
hold() {
    rm -f "$WORK/hold.status".*
    "$PY" "$HERE/lib/hold_sessions.py" "$1" "$2" "$WORK/hold.status" ${3:+"$3"} >"$WORK/hold.log" 2>&1 &
    HOLD_PID=$!
    STARTED+=("$HOLD_PID")
}

holder_failure() { echo "holder did not report: $(tail -2 "$WORK/hold.log" | tr '\n' ' ')"; }

# KiB per idle plain session: N sessions greeted and held.
idle_sessions_line() {
    local pid=$1 port=$2 base loaded greeted failed
    base=$(rss_kib "$pid")
    hold "$port" "$IDLE_SESSIONS"
    if ! wait_status "$WORK/hold.status.1" "$HOLD_PID"; then
        echo "mxgate idle sessions: $(holder_failure)"
    else
        sleep 1   # let mxgate finish writing greetings and settle
        read -r greeted failed <"$WORK/hold.status.1"
        loaded=$(rss_kib "$pid")
        if [[ -n $loaded && -n $base ]] && ((greeted > 0)); then
            awk -v b="$base" -v l="$loaded" -v g="$greeted" -v f="$failed" \
                'BEGIN { printf "mxgate idle sessions: %d held (%d refused/failed); RSS %d KiB -> %d KiB: %.1f KiB per session\n",
                         g, f, b, l, (l - b) / g }'
        else
            echo "mxgate idle sessions: none greeted ($greeted ok, $failed failed)"
        fi
    fi
    stop_pid "$HOLD_PID"
}

# The highest VmRSS of PID over SECONDS, sampled every 0.1 s.
peak_rss_kib() {
    local pid=$1 samples=$(($2 * 10)) i rss peak=0
    for ((i = 0; i < samples; i++)); do
        rss=$(rss_kib "$pid")
        [[ -n $rss ]] && ((rss > peak)) && peak=$rss
        sleep 0.1
    done
    echo "$peak"
}

# KiB per message in flight: N sessions opened up to DATA (354), then each sends the
# message without its final dot, so the content filters' mxgate holds N messages in its
# spool at once. Reported against idle RSS (what the brief calls per message in flight)
# and against RSS with the N sessions open but empty (the message's own share).
in_flight_line() {
    local pid=$1 port=$2 file=$3 label=$4 base opened peak ready sent failed unsent
    base=$(rss_kib "$pid")
    hold "$port" "$INFLIGHT_SESSIONS" "$file"
    if ! wait_status "$WORK/hold.status.1" "$HOLD_PID"; then
        echo "$label in flight: $(holder_failure)"
        stop_pid "$HOLD_PID"
        return
    fi
    sleep 1
    read -r ready failed <"$WORK/hold.status.1"
    opened=$(rss_kib "$pid")
    touch "$WORK/hold.status.go"
    if ! wait_status "$WORK/hold.status.2" "$HOLD_PID"; then
        echo "$label in flight: $(holder_failure)"
    elif ((ready == 0)); then
        echo "$label in flight: no session reached DATA ($failed failed)"
    else
        read -r sent unsent <"$WORK/hold.status.2"
        peak=$(peak_rss_kib "$pid" 3)
        awk -v b="$base" -v o="$opened" -v p="$peak" -v n="$sent" -v f=$((failed + unsent)) -v l="$label" \
            -v kb=$(($(wc -c <"$file") / 1024)) \
            'BEGIN { printf "%s, memory per message in flight: %d sessions each holding a %d KB message (%d failed); " \
                            "RSS idle %d KiB, at DATA %d KiB, peak %d KiB: %.1f KiB per message (%.1f KiB beyond its session)\n",
                     l, n, kb, f, b, o, p, (p - b) / n, (p - o) / n }'
    fi
    stop_pid "$HOLD_PID"
}
