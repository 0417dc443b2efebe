#!/bin/bash
# run-example.sh NAME EXE: run one example under a timeout and check what it
# prints. Speaks TAP; the example's output is echoed as TAP comments.
# Used by examples/meson.build, one meson test per example.
set -u
name=$1
exe=$2
out=$(mktemp)
cli=$(mktemp)
trap 'rm -f "$out" "$cli"' EXIT
n=0
failed=0

# run ARGS...: run the example, output to $out, exit status in $status
run() {
    timeout 30 "$exe" "$@" >"$out" 2>&1
    status=$?
    sed 's/^/# /' "$out"
}

# check DESCRIPTION PATTERN...: ok if the run exited 0 (or $want_status
# if set) and every fixed string PATTERN appears in its output (or in
# $file if set)
check() {
    local desc=$1 p
    shift
    n=$((n + 1))
    local why=""
    [ "$status" -eq "${want_status:-0}" ] || why="exit status $status, not ${want_status:-0}"
    for p in "$@"; do
        grep -qF -- "$p" "${file:-$out}" || why="${why:+$why; }missing: $p"
    done
    if [ -z "$why" ]; then
        echo "ok $n - $name: $desc"
    else
        echo "not ok $n - $name: $desc # $why"
        failed=1
    fi
}

# at_least DESCRIPTION VALUE MIN: a number read from the output
at_least() {
    n=$((n + 1))
    if [ -n "$2" ] && [ "$2" -ge "$3" ]; then
        echo "ok $n - $name: $1 ($2 >= $3)"
    else
        echo "not ok $n - $name: $1 (got '${2}', want >= $3)"
        failed=1
    fi
}

# The libuv example serves TCP on an ephemeral port it prints; connect a
# client (bash's /dev/tcp), keep what it receives in $cli.
uv_tcp() {
    timeout 30 "$exe" 3 >"$out" 2>&1 &
    local pid=$! port="" i
    for i in $(seq 200); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -n "$port" ]; then # read until the server closes the connection
        timeout 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && cat <&3" >"$cli"
    fi
    wait "$pid"
    status=$?
    sed 's/^/# /' "$out"
    sed 's/^/# client got: /' "$cli"
}

# modbus_rtu PEER: start the libmodbus RTU server (test/modbus/modbus-peer.c)
# with the reply to request 2 corrupted, run the example against it, stop it.
# The text aser_strerror gives ASER_ETIMEDOUT, and a TCP port nobody
# listens on.
timeout_text() { echo "operation timed out"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

modbus_rtu() {
    local peer=$1 dir pid holds got
    dir=$(mktemp -d)
    mkfifo "$dir/in"
    timeout 40 "$peer" "$dir/line" 2 <"$dir/in" >"$dir/peer.out" 2>&1 &
    pid=$!
    exec 8>"$dir/in" # the peer runs until this closes
    for _ in $(seq 100); do
        grep -q '^ready' "$dir/peer.out" && break
        sleep 0.05
    done
    run "$dir/line" 17 0 10 3
    want_status=1 check "registers read, a corrupted CRC is a protocol error, the next query works, exit 1" \
        'round 1: slave 17 registers 0..9: 4096 4099 4102 4105 4108 4111 4114 4117 4120 4123' \
        'round 2: ASER_EPROTO' 'reply rejected by the matcher after 25 bytes: bad CRC' \
        'round 3: slave 17 registers 0..9: 4096 4099 4102 4105 4108 4111 4114 4117 4120 4123' \
        'modbus_rtu: 3 rounds, 1 failed'
    holds=$(sed -n 's/^peer holds: \(.*\) \.\.\.$/\1/p' "$dir/peer.out")
    got=$(sed -n 's/^round 3: slave 17 registers 0\.\.9: //p' "$out")
    n=$((n + 1))
    if [ -n "$holds" ] && [ "$holds" = "$got" ]; then
        echo "ok $n - $name: the registers read are those the peer holds ($holds)"
    else
        echo "not ok $n - $name: peer holds '$holds', read '$got'"
        failed=1
    fi
    want_status=1 file=$dir/peer.out check "the forwarder corrupted exactly the second reply" \
        'flipped a bit of the reply to request 2'
    run "$dir/line" 17 30 10 1
    want_status=1 check "registers past the end: the server's exception reply, exit 1" \
        'round 1: exception 2 from slave 17'
    run "$dir/line" 99 0 10 1
    want_status=1 check "a slave nobody answers: a timeout with its reason, exit status 1" \
        "round 1: ASER_ETIMEDOUT: $(timeout_text)" 'modbus_rtu: 1 rounds, 1 failed'
    run "$dir/line" 17 4 3 2 idle
    check "replies framed by the 3.5-character silence instead of a matcher" \
        'round 1: slave 17 registers 4..6: 4108 4111 4114' \
        'round 2: slave 17 registers 4..6: 4108 4111 4114' 'modbus_rtu: 2 rounds, 0 failed'
    run "tcp://127.0.0.1:$(free_port)" 17 4 3 1 idle
    want_status=1 check "idle over a network endpoint: a warning at open naming the matcher" \
        'modbus_rtu: warning: "idle" frames replies by the silence after them' \
        'without "idle" each reply is sized by its byte count'
    exec 8>&-
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    sed 's/^/# peer: /' "$dir/peer.out"
    rm -rf "$dir"
}

case $name in
modbus_usage)
    run
    want_status=2 check "usage names idle and the libmodbus peer" '[ROUNDS [idle]]' \
        'libmodbus' 'Exits 1 if any round failed'
    ;;
modbus_rtu)
    modbus_rtu "$3"
    ;;
streams)
    run
    check "three messages then DONE" 'reader: got "message 1"' \
        'reader: got "message 2"' 'reader: got "message 3"' 'reader: got "DONE"' \
        'streams: done'
    at_least "DONE arrives after 3 intervals of 500 ms" \
        "$(sed -n 's/^\[ *\([0-9]*\) ms\] reader: got "DONE"/\1/p' "$out")" 1450
    ;;
protocol)
    run
    check "lines split from odd chunks, parsed by the worker" 'worker: temp is 21.5' \
        'worker: humidity is 40' 'worker: pressure is 1013.2' \
        'protocol: 3 readings parsed by the worker'
    ;;
fanout)
    run
    check "one silent instrument fails alone" '#1 ACME,DMM,1' '#2 ACME,PSU,2' \
        '#3 -              ASER_ETIMEDOUT' '#4 ACME,SCOPE,3' 'fanout: 3 answered, 1 failed'
    ;;
first_completed)
    run
    check "the faster probe wins, the other is cancelled" \
        'probe B answered first: 21.7' 'cancelling probe A: ok' 'probe A: ASER_ECANCELED'
    run 40 300
    check "swap the delays, swap the winner" \
        'probe A answered first: 21.5' 'cancelling probe B: ok' 'probe B: ASER_ECANCELED'
    ;;
bridge)
    run
    check "queries cross the bridge both ways" 'host: *IDN? -> ACME,DMM,1' \
        'host: MEAS? -> 3.14'
    check "a pulled cable stops the bridge" \
        'bridge: instrument side ended (device disconnected), closing both' \
        'forwarded 12 bytes host->instrument, 16 back'
    ;;
blocking)
    run
    check "*IDN? with the blocking API" '*IDN? -> ACME Instruments,DMM-4000,SN1001,1.2' \
        'SYST:NOPE? -> ASER_ETIMEDOUT'
    ;;
poll_adapter)
    run
    check "a table without timers is refused" 'hooks without timer_start: ASER_EINVAL'
    check "query and timeout on a home-grown poll() loop" '*IDN? -> ACME,POLL-LOOP,1' \
        'NOPE? -> ASER_ETIMEDOUT after' 'watches and timers left open: 0'
    at_least "the 200 ms timeout is not early" \
        "$(sed -n 's/^NOPE? -> ASER_ETIMEDOUT after \([0-9]*\) ms/\1/p' "$out")" 200
    ;;
uv_tcp)
    uv_tcp
    check "port lines broadcast on a shared uv loop" 'waiting for a TCP client: connect one' \
        'client 1 connected' \
        'broadcast "reading 1" to 1 client' 'broadcast "reading 3" to 1 client' \
        'uv_tcp: done'
    file=$cli check "the TCP client received them" 'reading 1' 'reading 2' 'reading 3'
    ;;
*)
    echo "1..0 # SKIP unknown example $name"
    exit 0
    ;;
esac
echo "1..$n"
exit $failed
