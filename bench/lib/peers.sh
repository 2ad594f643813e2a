# Sourced by bench/run.sh: the peers around the measured proxies, all on 127.0.0.1:
# smtp-sink (the backend and the "direct" target), HAProxy (the "haproxy" target) and nsd
# (DNS of the filtered mxgates). Uses bench/lib/proc.sh; each start_* function records
# its PID in STARTED and reports a failure by its status and a *_WHY or log line.

# What every measured target is: TARGET_PORT (empty or unset = not measured, or no longer),
# TARGET_PID (its CPU is counted; empty for direct), TARGET_LOG and, once down, TARGET_WHY.
declare -A TARGET_PORT TARGET_PID TARGET_LOG TARGET_WHY
target_up() { TARGET_PORT[$1]=$2 TARGET_PID[$1]=$3 TARGET_LOG[$1]=$4; }
target_down() { TARGET_PORT[$1]="" TARGET_WHY[$1]=$2; }
target_ok() { [[ -n ${TARGET_PORT[$1]:-} ]]; }

start_sink() {
    local user=()
    [[ $(id -u) == 0 ]] && user=(-u nobody)
    "$SINK_BIN" "${user[@]}" -m 1024 "127.0.0.1:0" 1024 >"$WORK/sink.log" 2>&1 &
    SINK_PID=$!
    STARTED+=("$SINK_PID")
    SINK_PORT=$(wait_listen 0 "$SINK_PID") || { cat "$WORK/sink.log" >&2; echo "$0: smtp-sink did not start" >&2; exit 1; }
    target_up direct "$SINK_PORT" "" "$WORK/sink.log"
    log "smtp-sink pid $SINK_PID on 127.0.0.1:$SINK_PORT"
}

haproxy_on_port() {
    sed -e "s/@LISTEN@/127.0.0.1:$1/" -e "s/@SINK@/127.0.0.1:$SINK_PORT/" -e "s/@MAXCONN@/$((NOFILE / 2 - 100))/" \
        "$HERE/haproxy.cfg.in" >"$WORK/haproxy.cfg"
    "$HAPROXY_BIN" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
    LAST_PID=$!
}

start_haproxy() {
    if [[ ! -x $HAPROXY_BIN ]]; then
        log "haproxy not installed: skipping that target"
    elif start_on_candidate haproxy_on_port "$WORK/haproxy.log"; then
        target_up haproxy "$CANDIDATE_PORT" "$LAST_PID" "$WORK/haproxy.log"
        log "haproxy pid $LAST_PID on 127.0.0.1:$CANDIDATE_PORT"
    else
        log "haproxy did not start: $(tail -5 "$WORK/haproxy.log")"
    fi
}

# DNS for the filtered mxgates: an nsd on loopback serving bench.test, whose SPF record
# needs three DNS-querying terms (RFC 7208 §4.6.4) and matches 127.0.0.1 only at the last
# one, and an empty DNS list. mxgate's resolver caches every answer after the first
# message. check_host(127.0.0.1, bench.test, bar@bench.test) asks, in this order:
#   TXT bench.test                  v=spf1 include:_spf.bench.test mx -all
#   TXT _spf.bench.test             v=spf1 a:relay.bench.test -all   (include: a term)
#   A   relay.bench.test            127.0.0.2: no match, the include fails   (a: a term)
#   MX  bench.test                  10 mx.bench.test                         (mx: a term)
#   A   mx.bench.test               127.0.0.1: match, pass
NSD_PORT="" NSD_WHY=""
ZONES=$WORK/zones
nsd_on_port() {
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

# start_nsd [EXTRA_RECORDS]: the zones above, plus the zone-file lines of the file
# EXTRA_RECORDS in bench.test. Sets NSD_PORT, or NSD_WHY and fails.
start_nsd() {
    local extra=${1:-/dev/null} zone
    if [[ ! -x /usr/sbin/nsd ]]; then
        NSD_WHY="nsd not installed (Debian package nsd)"
        return 1
    fi
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
                cat "$extra"
            fi
        } >"$ZONES/$zone.zone"
    done
    if start_on_candidate nsd_on_port "$ZONES/nsd.log" "$WORK/nsd.log"; then
        NSD_PORT=$CANDIDATE_PORT
        log "nsd pid $LAST_PID on 127.0.0.1:$NSD_PORT"
    else
        NSD_WHY="nsd did not start: $(tail -2 "$ZONES/nsd.log" | tr '\n' ' ')"
        return 1
    fi
}
