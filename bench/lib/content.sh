# Sourced by bench/run.sh: the "content" target of issue 11 (bench/run.sh BUILD_DIR content):
# mxgate with DKIM and DMARC on, fed messages signed before any timed run, against the plain
# mxgate fed the same files. The key (selector bench._domainkey) and bench.test's DMARC
# record (p=reject) are served by the bench's nsd and cached by mxgate's resolver. SPF is
# off, so a message is accepted only if its signature verifies and aligns: the first message
# of each size, sent before the runs, proves that the runs measure a passing check.

declare -A MESSAGE_FILE      # size -> the signed message smtp-source -F sends (bench/lib/measure.sh)

# prepare_signed_messages RECORDS_FILE: a new RSA-2048 key, the messages of every size in
# SIZES, and the zone-file lines nsd needs written to RECORDS_FILE.
prepare_signed_messages() {
    local records=$1 public size
    openssl genrsa -out "$WORK/dkim.pem" 2048 2>/dev/null || { log "openssl genrsa failed"; return 1; }
    public=$(openssl rsa -in "$WORK/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
    "$PY" "$HERE/lib/signed_messages.py" "$WORK/dkim.pem" "$public" "$WORK" "${SIZES[@]}" >"$records" || return 1
    echo '_dmarc IN TXT "v=DMARC1; p=reject"' >>"$records"
    for size in "${SIZES[@]}"; do MESSAGE_FILE[$size]=$WORK/signed-$size.eml; done
}

write_content_config() {
    filtered_config >"$WORK/content.yaml" <<CONTENT_END
spool:
  directory: "$WORK"
  memory_limit: 256KiB   # every message of the bench is held in memory
filters:
  dkim:
    enabled: true
  dmarc:
    enabled: true
CONTENT_END
}

# start_content_mxgate [NAME]: the target "content", or another process NAME of the same
# config; sets LAST_PID and LAST_PORT. Each size's message must be accepted once.
start_content_mxgate() {
    local name=${1:-content} size
    start_mxgate "$name" "$WORK/content.yaml" || { target_down "$name" "$LAST_WHY"; return 1; }
    for size in "${SIZES[@]}"; do
        if ! send_one "$LAST_PORT" -F "${MESSAGE_FILE[$size]}"; then
            target_down "$name" "the signed $size-byte message was not accepted (DKIM or DMARC did not pass):
$(tail -2 "$WORK/source.log")"
            return 1
        fi
    done
    [[ $name == content ]] && target_up content "$LAST_PORT" "$LAST_PID" "$WORK/content.log"
    return 0
}

# Memory per message in flight, on a content mxgate of its own started now: its idle RSS is
# not inflated by what the throughput runs left in the allocator.
in_flight_memory_line() {
    local size=${SIZES[-1]} pid
    if ! target_ok mxgate || [[ -z $NSD_PORT ]]; then
        echo "memory per message in flight: n/a (${TARGET_WHY[mxgate]:-$NSD_WHY})"
    elif ! start_content_mxgate content-memory; then
        echo "memory per message in flight: n/a (${TARGET_WHY[content-memory]})"
    else
        pid=$LAST_PID
        in_flight_line "$pid" "$LAST_PORT" "${MESSAGE_FILE[$size]}" "${TARGET_LABEL[content]}"
        stop_pid "$pid"
    fi
}
