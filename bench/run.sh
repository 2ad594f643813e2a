#!/usr/bin/env bash
# mxgate benchmark (not a test). Two runs, each on 127.0.0.1 with smtp-sink as the backend:
#
#   bench/run.sh BUILD_DIR [--quick]           smtp-source -> {smtp-sink directly, HAProxy TCP
#       relay, mxgate, mxgate with its connection/RCPT filters, mxgate with SPF alone}
#   bench/run.sh BUILD_DIR content [--quick]   smtp-source -> {mxgate, mxgate with DKIM and
#       DMARC} with DKIM-signed messages (issue 11)
#   bench/run.sh BUILD_DIR policy [--quick]    smtp-source -> {mxgate, mxgate with the filters,
#       the same with the shipped conf/policy.yaml} (issue 12 item 9)
#
# The default run prints messages/s per target (medians of R runs), the ratios mxgate/direct,
# mxgate/haproxy, filters/mxgate (SPF + DNSBL + FCrDNS + greylisting, the one triplet
# pre-allowed) and spf/mxgate (2 KB messages only; a sender whose SPF record needs three
# DNS-querying terms), CPU time per message of each mxgate and of haproxy from
# /proc/<pid>/stat, cached SPF evaluations per second on one thread
# (bench/spf_eval_bench.cpp), and mxgate's resident memory per idle plain session. The content
# run prints content/mxgate and the CPU per message of both at 10 and 50 sessions, and the
# memory per message in flight. DNS comes from an nsd on loopback, cached by mxgate's
# resolver. Ports are bound at start (bench/lib/proc.sh), everything lives in a temp dir;
# every process it starts is stopped by PID on exit, and every step has a time bound. If
# mxgate is missing or fails, the other numbers are still printed. See bench/README.md.
#
# Environment: BENCH_REPEATS (3), BENCH_TARGET_SECONDS (2.5: calibrated length of one
# direct run), BENCH_IDLE_SESSIONS (5000), BENCH_INFLIGHT_SESSIONS (500), BENCH_RUN_TIMEOUT
# (60 s per smtp-source run), BENCH_SIZES ("2048 102400": body sizes in bytes, e.g. "2048"
# alone to profile one size), MXGATE_WORKERS (1, like haproxy's nbthread 1), MXGATE_BIN
# (default BUILD_DIR/mxgate), BENCH_KEEP=1 (keep the temp dir with all logs).
set -uo pipefail

usage() { echo "usage: $0 BUILD_DIR [content|policy] [--quick]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 3 ]] || usage
[[ -d $1 ]] || { echo "$0: $1: not a directory" >&2; exit 2; }
BUILD_DIR=$(cd "$1" && pwd)
shift
MODE=all QUICK=0
for arg in "$@"; do
    case $arg in
        content) MODE=content ;;
        policy) MODE=policy ;;
        --quick) QUICK=1 ;;
        *) usage ;;
    esac
done

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
INFLIGHT_SESSIONS=${BENCH_INFLIGHT_SESSIONS:-500}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-60}   # seconds: any single smtp-source run (a direct run takes ~TARGET_SECONDS)
PILOT=300
SPF_EVAL_SECONDS=2           # one run of the SPF micro-benchmark (bench/spf_eval_bench.cpp)
if ((QUICK)); then
    REPEATS=${BENCH_REPEATS:-1}; TARGET_SECONDS=${BENCH_TARGET_SECONDS:-0.5}
    IDLE_SESSIONS=${BENCH_IDLE_SESSIONS:-1000}; INFLIGHT_SESSIONS=${BENCH_INFLIGHT_SESSIONS:-100}
    RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-20}; PILOT=100
    SPF_EVAL_SECONDS=0.5
fi
MAX_SESSIONS=$((IDLE_SESSIONS > INFLIGHT_SESSIONS ? IDLE_SESSIONS : INFLIGHT_SESSIONS))
MAX_FAILURES=2               # a target failing this many runs is dropped from the rest of the benchmark
read -r -a SIZES <<<"${BENCH_SIZES:-2048 102400}"   # body bytes: smtp-source -l (plus its few headers), or the signed bodies of the content run
declare -A ONLY_SIZE=([spf]=2048)   # SPF costs the same per message whatever its size: small messages show it
declare -A TARGET_LABEL=([direct]=direct [haproxy]=haproxy [mxgate]=mxgate [filters]="mxgate with filters"
                         [spf]="mxgate with SPF only" [content]="mxgate with DKIM and DMARC"
                         [policy]="mxgate with filters and conf/policy.yaml")
if [[ $MODE == all ]]; then
    SESSIONS=(1 10 50)       # smtp-source -s: parallel sessions
    TARGETS=(direct haproxy mxgate filters spf)
elif [[ $MODE == content ]]; then
    SESSIONS=(10 50)         # issue 11 item 14: the ratio is asked at 10 and 50 sessions
    TARGETS=(mxgate content)
else
    SESSIONS=(10 50)
    TARGETS=(mxgate filters policy)
fi
CLK_TCK=$(getconf CLK_TCK)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)   # the machine is shared: say how busy it was

WORK=$(mktemp -d /tmp/mxgate-bench.XXXXXX)
chmod 711 "$WORK"
RESULTS=$WORK/results.tsv

for piece in proc peers mxgate measure memory content; do
    # shellcheck source=/dev/null
    source "$HERE/lib/$piece.sh"
done
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
for bin in "$SINK_BIN" "$SOURCE_BIN"; do
    [[ -x $bin ]] || { echo "$0: $bin not found (Debian package postfix)" >&2; exit 1; }
done

# ---------------------------------------------------------------- peers and targets

start_sink
write_mxgate_config
if [[ $MODE == all ]]; then
    start_haproxy
    start_plain_mxgate
    start_nsd
    start_filtered_targets start_filtered_mxgate:filters start_spf_mxgate:spf
elif [[ $MODE == policy ]]; then
    start_plain_mxgate
    start_nsd
    start_filtered_targets start_filtered_mxgate:filters start_policy_mxgate:policy
else
    start_plain_mxgate
    if prepare_signed_messages "$WORK/content.records"; then
        start_nsd "$WORK/content.records"
        write_content_config
        start_filtered_targets start_content_mxgate:content
    else
        target_down content "the signed messages could not be made (openssl, python3-dkim)"
    fi
fi

# ---------------------------------------------------------------- runs

calibrate
run_matrix

# ---------------------------------------------------------------- report

# Lines after the table, written to a file: the functions start processes, which must be
# recorded in this shell's STARTED, not a subshell's.
EXTRA_LINES=$WORK/extra_lines
if [[ $MODE == all ]]; then
    spf_eval_line >>"$EXTRA_LINES"
    if target_ok mxgate && kill -0 "${TARGET_PID[mxgate]}" 2>/dev/null; then
        idle_sessions_line "${TARGET_PID[mxgate]}" "${TARGET_PORT[mxgate]}" >>"$EXTRA_LINES"
    else
        echo "mxgate idle sessions: n/a (${TARGET_WHY[mxgate]:-not measured})" >>"$EXTRA_LINES"
    fi
    DOWN_REPORTED=(mxgate filters spf)
elif [[ $MODE == policy ]]; then
    policy_eval_line >>"$EXTRA_LINES"
    DOWN_REPORTED=(mxgate filters policy)
else
    in_flight_memory_line >>"$EXTRA_LINES"
    DOWN_REPORTED=(mxgate content)
fi

"$PY" "$HERE/lib/report.py" "$RESULTS" "$CLK_TCK" "$REPEATS" "$MODE"
echo
cat "$EXTRA_LINES"
echo "load average (1, 5, 15 min): $LOAD_AT_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
for target in "${DOWN_REPORTED[@]}"; do
    target_ok "$target" || echo "${TARGET_LABEL[$target]}: ${TARGET_WHY[$target]:-not measured}"
done
exit 0
