# bench/bench.mk: the benchmark suite (issue 6). From the repository root:
#
#   make -f bench/bench.mk bench          N = 1 .. 1024, about 5 minutes
#   make -f bench/bench.mk bench-large    adds N = 10,000 (raises pty/max)
#   make -f bench/bench.mk bench-analyse  strace -c and callgrind, per request
#   make -f bench/bench.mk bench-hotpath  per-request instructions, cache misses,
#                                         system calls and CPU, floor vs aserial
#   make -f bench/bench.mk bench-fleet    one client, many remote ports (RFC 2217,
#                                         WebSocket, MQTT): results/fleet.md
#
# Each installs the Debian packages it needs first (scripts/deps.sh bench),
# then runs bench/run.py with Debian's python3 (pyserial lives there).
# Results: bench/results/latest.{md,csv,json,png} and net.{md,json} (through
# aserial serve vs ser2net); bench/README.md shows
# the latest tables.

PY ?= /usr/bin/python3
BENCH_ARGS ?=
HOTPATH_ARGS ?=

.PHONY: bench bench-large bench-analyse bench-hotpath bench-fleet

bench:
	sh scripts/deps.sh bench
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/netbench.py

bench-large:
	sh scripts/deps.sh bench
	$(PY) bench/run.py --large $(BENCH_ARGS)

bench-analyse:
	sh scripts/deps.sh bench
	$(PY) bench/run.py --workloads none $(BENCH_ARGS)
	$(PY) bench/analyse.py

bench-hotpath:
	sh scripts/deps.sh bench
	$(PY) bench/hotpath.py $(HOTPATH_ARGS)

bench-fleet:
	sh scripts/deps.sh bench
	ninja -C build
	$(PY) bench/fleet.py $(FLEET_ARGS)
