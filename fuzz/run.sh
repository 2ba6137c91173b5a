#!/usr/bin/env bash
# Runs libFuzzer harnesses for a bounded time each, over their seed corpus fuzz/corpus/NAME.
# New inputs go to build/fuzz/work-NAME (the committed seeds stay as they are); a failing
# input is saved as build/fuzz/NAME-crash-* and the log's tail is printed.
#   usage: fuzz/run.sh SECONDS NAME...
set -u
cd "$(dirname "$0")/.."
seconds=$1
shift
status=0
for name in "$@"; do
  work=build/fuzz/work-$name
  log=build/fuzz/$name.log
  mkdir -p "$work"
  if "build/fuzz/${name}_fuzz" -max_total_time="$seconds" -max_len=2048 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="build/fuzz/$name-" -print_final_stats=1 \
      "$work" "fuzz/corpus/$name" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz $name: ${runs:-?} inputs in ${seconds}s, no failure"
  else
    echo "fuzz $name: FAILED (full log: $log)"
    tail -n 40 "$log"
    status=1
  fi
done
exit $status
