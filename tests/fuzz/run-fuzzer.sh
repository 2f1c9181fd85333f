#!/bin/sh
# Runs a libFuzzer binary for a while from the corpus in the source tree, keeping what it finds in
# the build tree (libFuzzer writes new inputs to the first folder it is given).
#   run-fuzzer.sh FUZZER SEED_CORPUS WORK_CORPUS SECONDS
set -eu
mkdir -p "$3"
exec "$1" "$3" "$2" -max_total_time="$4" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
