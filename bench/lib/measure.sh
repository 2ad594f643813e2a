# Sourced by bench/run.sh: the timed runs. smtp-source sends COUNT messages over SESSIONS
# parallel sessions to one target; a run is timed by wall clock and the target's CPU
# (utime + stime) is read before and after. One line per run goes to $RESULTS:
# target, size, sessions, repetition, count, seconds (or "fail"), CPU ticks.

# run_source PORT SIZE SESSIONS COUNT -> prints elapsed seconds, or fails. The message is
# MESSAGE_FILE[SIZE] when there is one (smtp-source -F), else SIZE bytes of smtp-source's own.
run_source() {
    local port=$1 size=$2 sessions=$3 count=$4 t0 t1 content=(-l "$2")
    [[ -n ${MESSAGE_FILE[$size]:-} ]] && content=(-F "${MESSAGE_FILE[$size]}")
    t0=$(now)
    if ! timeout "$RUN_TIMEOUT" "$SOURCE_BIN" -s "$sessions" -m "$count" "${content[@]}" -M bench.test \
        -f bar@bench.test -t foo@bench.test "127.0.0.1:$port" >>"$WORK/source.log" 2>&1; then
        return 1
    fi
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# One measured run of TARGET; appends a line to $RESULTS. A target that failed
# MAX_FAILURES runs, or whose process died, is dropped from the remaining runs.
declare -A FAILURES
measure() {
    local target=$1 size=$2 sessions=$3 count=$4 rep=$5 port pid c0 c1 elapsed
    target_ok "$target" || return 0
    port=${TARGET_PORT[$target]} pid=${TARGET_PID[$target]}
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
        target_down "$target" "died during the benchmark: $(tail -3 "${TARGET_LOG[$target]}" | tr '\n' ' ')"
        log "${TARGET_LABEL[$target]} ${TARGET_WHY[$target]}"
        return 0
    fi
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
            target_down "$target" "dropped after $MAX_FAILURES failed runs (smtp-source errors/timeouts)"
        fi
    fi
}

# Calibrate one message count per (size, sessions) on the direct path: ~TARGET_SECONDS there.
declare -A COUNT
calibrate() {
    local size sessions el
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
}

# Every target of TARGETS on every (size, sessions), REPEATS times. A target with an entry
# in ONLY_SIZE runs that size alone.
run_matrix() {
    local rep size sessions k target
    for ((rep = 1; rep <= REPEATS; rep++)); do
        for size in "${SIZES[@]}"; do
            for sessions in "${SESSIONS[@]}"; do
                # Interleave targets run by run, rotating who goes first, so drift hits all alike.
                for ((k = 0; k < ${#TARGETS[@]}; k++)); do
                    target=${TARGETS[$(((k + rep + sessions) % ${#TARGETS[@]}))]}
                    [[ -n ${ONLY_SIZE[$target]:-} && $size != "${ONLY_SIZE[$target]}" ]] && continue
                    measure "$target" "$size" "$sessions" "${COUNT[${size}_$sessions]}" "$rep"
                done
            done
        done
        log "repetition $rep/$REPEATS done"
    done
}

# Cached SPF evaluations per second on one thread (bench/spf_eval_bench.cpp), against the same
# nsd and sender as the "spf" target, with nothing else running; median of REPEATS runs.
# The rule-evaluation micro-benchmark (bench/policy_eval_bench.cpp): 1,000 rules on client
# networks and sender domains, one thread.
policy_eval_line() {
    local bin=$BUILD_DIR/bench/policy_eval_bench
    if [[ ! -x $bin ]]; then
        echo "policy evaluations: n/a ($bin is not an executable: build the target policy_eval_bench)"
    else
        echo "policy evaluations (1000 rules): $(timeout 60 "$bin" 1000 2 2>&1 | tail -1)"
    fi
}

spf_eval_line() {
    local rep
    if [[ ! -x $SPF_EVAL_BIN ]]; then
        echo "spf evaluations: n/a ($SPF_EVAL_BIN is not an executable: build the target spf_eval_bench)"
        return
    elif [[ -z $NSD_PORT ]]; then
        echo "spf evaluations: n/a ($NSD_WHY)"
        return
    fi
    for ((rep = 1; rep <= REPEATS; rep++)); do
        timeout $((RUN_TIMEOUT + 10)) "$SPF_EVAL_BIN" "127.0.0.1@$NSD_PORT" bar@bench.test 127.0.0.1 "$SPF_EVAL_SECONDS" \
            >>"$WORK/spf_eval.log" 2>&1 || log "spf_eval_bench failed: $(tail -1 "$WORK/spf_eval.log")"
    done
    awk '/^spf_eval / { ++n; for (i = 2; i <= NF; i++) { split($i, kv, "=")
                                                   if (kv[1] == "per_second") wall[n] = kv[2]
                                                   if (kv[1] == "per_cpu_second") cpu[n] = kv[2] } }
        function median(v, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
        END { if (n == 0) { print "spf evaluations: n/a (no run succeeded)"; exit }
              printf "spf evaluations (cached, one thread), median of %d run(s): %.0f per second, %.0f per CPU second\n",
                     n, median(wall, n), median(cpu, n) }' "$WORK/spf_eval.log"
}
