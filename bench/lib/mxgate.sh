# Sourced by bench/run.sh: the mxgates it measures, each on port 0 in front of smtp-sink
# (bench/lib/peers.sh), with the same listener and backend settings: "mxgate" (no
# filters), "filters" (issue 4: SPF, a DNS list, FCrDNS, greylisting) and "spf" (issue 10:
# SPF alone). A target that cannot start is not measured and says why (TARGET_WHY).

# The plain mxgate's config; the filtered ones append their sections to a copy.
write_mxgate_config() {
    cat >"$WORK/mxgate.yaml" <<EOF_CONFIG
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
    max_connections: $((MAX_SESSIONS + 100))   # every held message keeps its backend connection
limits:
  max_connections: $((MAX_SESSIONS + 1000))
  max_connections_per_ip: $((MAX_SESSIONS + 1000))
logging:
  level: "warn"
EOF_CONFIG
}

# start_mxgate NAME CONFIG: starts it on port 0, sets LAST_PID and LAST_PORT, or sets
# LAST_WHY and fails.
start_mxgate() {
    local name=$1 config=$2
    "$MXGATE" -c "$config" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED+=("$LAST_PID")
    LAST_PORT=$(wait_listen 0 "$LAST_PID") || { LAST_WHY="did not start: $(tail -3 "$WORK/$name.log" | tr '\n' ' ')"; return 1; }
}

# start_target NAME CONFIG: start_mxgate, and on success the target NAME is measured.
start_target() {
    start_mxgate "$1" "$2" || { target_down "$1" "$LAST_WHY"; return 1; }
    target_up "$1" "$LAST_PORT" "$LAST_PID" "$WORK/$1.log"
}

start_plain_mxgate() {
    if [[ ! -x $MXGATE ]]; then
        target_down mxgate "$MXGATE is not an executable (build it first)"
        log "mxgate: ${TARGET_WHY[mxgate]}"
    elif start_target mxgate "$WORK/mxgate.yaml"; then
        log "mxgate pid $LAST_PID on 127.0.0.1:$LAST_PORT ($MXGATE, workers: $MXGATE_WORKERS)"
    else
        log "mxgate ${TARGET_WHY[mxgate]}"
    fi
}

# send_one PORT [SMTP-SOURCE OPTION...]: one message from bar@bench.test, which must be accepted.
send_one() {
    local port=$1
    shift
    timeout 10 "$SOURCE_BIN" -m 1 -M bench.test -f bar@bench.test -t foo@bench.test "$@" "127.0.0.1:$port" \
        >>"$WORK/source.log" 2>&1
}

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
# with the bench triplet pre-allowed.
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
    start_target filters "$WORK/filters.yaml" || return 1
    # Greylisting: the first attempt is deferred, a retry after the delay passes and
    # the triplet stays allowed, so the runs measure the lookup, not the deferral.
    send_one "$LAST_PORT"
    sleep 1.5
    send_one "$LAST_PORT" || { target_down filters "the greylisting retry did not pass"; return 1; }
}

# The filters target's config with its own state file and the shipped default policy
# (issue 12): the rules' cost over the same filters, and the message held for the
# policy's end-of-data rule.
start_policy_mxgate() {
    cp "$HERE/../conf/policy.yaml" "$WORK/policy-rules.yaml"
    sed "s|$WORK/state.db|$WORK/policy-state.db|" "$WORK/filters.yaml" >"$WORK/policy.yaml"
    printf 'spool:\n  directory: "%s"\npolicy:\n  file: "%s"\n  watch_interval: 0\n' \
        "$WORK" "$WORK/policy-rules.yaml" >>"$WORK/policy.yaml"
    start_target policy "$WORK/policy.yaml" || return 1
    send_one "$LAST_PORT"
    sleep 1.5
    send_one "$LAST_PORT" || { target_down policy "the greylisting retry did not pass"; return 1; }
}

# mxgate with SPF alone (issue 10): what the evaluator costs per message.
start_spf_mxgate() {
    filtered_config >"$WORK/spf.yaml" <<SPF_END
filters:
  spf:
    enabled: true
SPF_END
    start_target spf "$WORK/spf.yaml" || return 1
    # One message that must be accepted: SPF passes and the answers are cached.
    if ! send_one "$LAST_PORT"; then
        target_down spf "the first message was not accepted: $(tail -2 "$WORK/source.log" | tr '\n' ' ')"
        return 1
    fi
}

# start_filtered_targets START_FN:NAME...: each START_FN once the plain mxgate and nsd
# are up; otherwise the target NAME is down for that reason.
start_filtered_targets() {
    local spec start_fn name label
    for spec in "$@"; do
        start_fn=${spec%%:*} name=${spec#*:} label=${TARGET_LABEL[${spec#*:}]}
        if ! target_ok mxgate; then
            target_down "$name" "mxgate did not start"
        elif [[ -z $NSD_PORT ]]; then
            target_down "$name" "$NSD_WHY"
        elif "$start_fn"; then
            log "$label pid ${TARGET_PID[$name]} on 127.0.0.1:${TARGET_PORT[$name]}"
        else
            log "$label: ${TARGET_WHY[$name]}"
        fi
    done
}
