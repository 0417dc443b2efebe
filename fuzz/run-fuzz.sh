#!/bin/sh
# run-fuzz.sh BINARY NAME SEEDS WORK: one libFuzzer run of target NAME for
# $ASER_FUZZ_TIME seconds (default 5), or to $ASER_FUZZ_RUNS executions when
# that is set (make fuzz FUZZ_RUNS=N), registered by fuzz/meson.build.
# New inputs go to the scratch corpus WORK/NAME (listed first, so libFuzzer
# writes there), SEEDS is read only; the log is WORK/NAME.log and crash
# reproducers go to WORK/artifacts/. Exit status: libFuzzer's (0: passed).
set -u
bin=$1 name=$2 seeds=$3 work=$4
time=${ASER_FUZZ_TIME:-5}
runs=${ASER_FUZZ_RUNS:-}
if [ -n "$runs" ]; then bound="-runs=$runs" what="$runs runs"; else bound="-max_total_time=$time" what="$time s"; fi
mkdir -p "$work/$name" "$work/artifacts" || exit 1
log=$work/$name.log
echo "== $name ($what): seeds $seeds, scratch corpus $work/$name"
# libFuzzer exits 77 on a crash by default, which meson counts as a SKIP:
# -error_exitcode=1 makes a crash (or a failed invariant) fail the test.
"$bin" -error_exitcode=1 -print_final_stats=1 -artifact_prefix="$work/artifacts/" -max_len=4096 \
    "$bound" "$work/$name" "$seeds" 2>"$log"
rc=$?
grep -E '^(Done|stat::number_of_executed_units)' "$log"
if [ $rc -ne 0 ]; then
    tail -40 "$log"
    echo "fuzz: $name FAILED (log: $log; reproducers in $work/artifacts/)"
fi
exit $rc
