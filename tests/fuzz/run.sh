#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>/ is never grown by a run). Builds the targets first
# if needed. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/<target>/ so they
# can be committed as reproducers. Exits non-zero if any target fails.
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The targets tests/fuzz/CMakeLists.txt defines (it writes the list at configure time).
mapfile -t targets < "$build_dir/tests/fuzz/targets.txt"
# A target file left out of that list would never run: refuse.
for source in "$here"/*_fuzz.cpp; do
  name=$(basename "$source" .cpp)
  if ! printf '%s\n' "${targets[@]}" | grep -qx "$name"; then
    echo "$name.cpp has no mxgate_fuzz_target() before the target list in tests/fuzz/CMakeLists.txt" >&2
    exit 1
  fi
done
# The SPF targets get tokens of SPF records; the others, SMTP's.
dictionary_of() { if [[ $1 == spf_* ]]; then echo "$here/spf.dict"; else echo "$here/smtp.dict"; fi; }

cmake --build "$build_dir" --target "${targets[@]}" --parallel "${MXGATE_FUZZ_JOBS:-2}"

work=$(mktemp -d "${TMPDIR:-/tmp}/mxgate-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for target in "${targets[@]}"; do
  binary=$build_dir/tests/fuzz/$target
  corpus=$work/$target
  artifacts=$build_dir/fuzz-artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  cp "$here/corpus/$target/"* "$corpus/"
  echo "== $target: ${seconds}s"
  if "$binary" "$corpus" \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -dict="$(dictionary_of "$target")" -artifact_prefix="$artifacts/" -print_final_stats=1 \
      >"$work/$target.log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$work/$target.log" || true
  else
    echo "!! $target failed; reproducers in $artifacts/" >&2
    tail -n 60 "$work/$target.log" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz failures: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a crash"
