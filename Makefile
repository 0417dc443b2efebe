# aserial: the front door. Everything goes through meson; this file only
# sequences set-up, builds and suites.
#
#   make              build into build/ (never installs packages: if meson,
#                     ninja or a C compiler is missing it says to run make deps)
#   make deps         install the missing Debian packages to build and test
#                     (scripts/deps.sh check; idempotent)
#   make check        deps, then the plain suite (build/), the ASan+UBSan
#                     suite (build-san/), the portable suite (build-portable/:
#                     -Dplatform=posix, the OS layer macOS and the BSDs would
#                     use, built on Linux behind poison headers) and short
#                     fuzz runs (build-fuzz/)
#   make windows      deps, then the Windows build (build-win/: mingw-w64
#                     cross build, meson/cross/x86_64-w64-mingw32.txt):
#                     libaserial-0.dll, aserial.exe, the test programs
#   make check-windows  the windows suite: those programs under Wine
#                     (part of make check)
#   make demo         deps, then builds only the demo (not the tests) and
#                     runs it: virtual instruments queried at once
#   make install      PREFIX=/usr/local DESTDIR=  (a build dir configured with
#                     another prefix is reconfigured to PREFIX first)
#   make fuzz         deps, then FUZZ_TIME (300) seconds per fuzz target, or
#                     FUZZ_RUNS executions each (make fuzz FUZZ_RUNS=10000000)
#   make check-repeat N=5   the flakiness guard: the suites that depend on
#                     timing (REPEAT_SUITES) N rounds in a row in build/,
#                     failures counted per test (scripts/check-repeat.sh;
#                     docs/testing.md); run it before merging timing work
#   make soak | make bench | make bench-large | make bench-fleet  (see bench/README)
#   make format       clang-format -i every C file (.clang-format)
#   make format-check fail if any C file is not formatted
#
# Knobs: N, REPEAT_SUITES (check-repeat), BUILD, SAN_BUILD, PORTABLE_BUILD, FUZZ_BUILD, WIN_BUILD (build dirs), MESON_OPTS (more options
# for the first meson setup of BUILD, e.g. -Duv=disabled), FUZZ_TIME, FUZZ_RUNS.
#
# Targets that install packages run scripts/deps.sh in their first recipe
# line and do the rest in a sub-make, so even `make -j2 check` on a machine
# without meson finishes installing before any meson setup runs. The
# sub-make targets (check-plain, check-san, check-portable, check-fuzz, check-windows,
# build-windows, run-demo, run-soak,
# run-fuzz) can be called directly when the packages are there.

PREFIX ?= /usr/local
DESTDIR ?=
MESON ?= meson
NINJA ?= ninja
CLANG ?= clang
CLANG_FORMAT ?= clang-format
BUILD ?= build
SAN_BUILD ?= build-san
PORTABLE_BUILD ?= build-portable
FUZZ_BUILD ?= build-fuzz
WIN_BUILD ?= build-win
FUZZ_TIME ?= 300
FUZZ_RUNS ?=
N ?= 5
REPEAT_SUITES ?= loop-builtin net web term windows
DEPS ?= sh scripts/deps.sh
MESON_OPTS ?=

# The C files make format touches (generated and fixture trees excluded).
FORMAT_FILES = $(shell find src include tools test examples adapters fuzz bench python/src \
    -path test/discover/fixtures -prune -o -path bench/build -prune -o \
    -type f \( -name '*.c' -o -name '*.h' \) -print | LC_ALL=C sort)

.PHONY: all deps need-tools check check-repeat check-plain check-san check-portable check-fuzz demo run-demo \
        windows build-windows check-windows \
        install clean fuzz run-fuzz soak run-soak bench bench-large bench-fleet format format-check

all: $(BUILD)/build.ninja | need-tools
	$(NINJA) -C $(BUILD)

deps:
	$(DEPS) check

# Plain make never installs anything; it stops with what to do instead.
need-tools:
	@missing=; \
	for t in $(firstword $(MESON)) $(firstword $(NINJA)) $${CC:-cc} pkg-config; do \
	    command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make: not found:$$missing. Run 'make deps' to install what aserial" >&2; \
	    echo "      needs (Debian packages, scripts/deps.sh), then run make again." >&2; \
	    exit 1; \
	fi

$(BUILD)/build.ninja: | need-tools
	$(MESON) setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS)

$(SAN_BUILD)/build.ninja: | need-tools
	$(MESON) setup $(SAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debug

# The portable build (issue 12): poll, a self-pipe, standard speeds, /dev
# scan, timer hotplug; the library compiled with -U__linux__ behind poison
# headers (src/os/unix/posix/poison). The ThreadSanitizer rebuild of the post
# test stays in the plain suite.
$(PORTABLE_BUILD)/build.ninja: | need-tools
	$(MESON) setup $(PORTABLE_BUILD) -Dplatform=posix -Dtsan_test=false

# libFuzzer needs clang: a build dir of its own with only the fuzz targets.
$(FUZZ_BUILD)/build.ninja: | need-tools
	CC=$(CLANG) $(MESON) setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=false -Dexamples=false

check:
	$(DEPS) check
	$(MAKE) check-plain
	$(MAKE) check-san
	$(MAKE) check-portable
	$(MAKE) check-fuzz
	$(MAKE) check-windows
	@echo "make check: all suites passed: plain (with the TSan post test and the consumer"
	@echo "            test), then ASan+UBSan, then the portable build (-Dplatform=posix),"
	@echo "            then the short fuzz runs, then Windows under Wine; the async suite"
	@echo "            ran under the built-in loop, libuv and libevent (the portable one"
	@echo "            under the built-in loop)"

# The windows suite runs in check-windows, once the Windows build exists.
check-plain: $(BUILD)/build.ninja | need-tools
	$(NINJA) -C $(BUILD)
	$(MESON) test -C $(BUILD) --print-errorlogs --no-suite windows

check-san: $(SAN_BUILD)/build.ninja | need-tools
	$(NINJA) -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASER_TEST_TIMEOUT_MULT=3 \
	$(MESON) test -C $(SAN_BUILD) --print-errorlogs --timeout-multiplier 3

# The whole suite once more in the portable build; Linux-only tests say
# SKIP and why. The build log shows the guard: "OS layer: posix (portable
# build on Linux: -U__linux__, poison headers ...)", and the poison test
# proves each poisoned header stops the build.
check-portable: $(PORTABLE_BUILD)/build.ninja | need-tools
	$(NINJA) -C $(PORTABLE_BUILD)
	@n=$$(grep -c -- '-U__linux__ .*-c [^ ]*src/' $(PORTABLE_BUILD)/compile_commands.json); \
	echo "check-portable: $$n library compiles with -U__linux__ and src/os/unix/posix/poison first"; \
	echo "                (test portable-guard checks every one, and that each poison header stops a build)"
	$(MESON) test -C $(PORTABLE_BUILD) --print-errorlogs

# About 5 s per target (fuzz/meson.build).
check-fuzz: $(FUZZ_BUILD)/build.ninja | need-tools
	$(MESON) test -C $(FUZZ_BUILD) --suite fuzz --print-errorlogs

# Windows 10+ x64, cross-built with mingw-w64 (issue 11); static libgcc
# and winpthread, so the programs run under Wine without DLL paths.
$(WIN_BUILD)/build.ninja: | need-tools
	$(MESON) setup $(WIN_BUILD) --cross-file meson/cross/x86_64-w64-mingw32.txt \
	    -Dexamples=false

windows:
	$(DEPS) windows
	$(MAKE) build-windows

build-windows: $(WIN_BUILD)/build.ninja | need-tools
	$(NINJA) -C $(WIN_BUILD)

# The Windows programs under Wine (wine64), driven from the plain Linux
# build (test/win/run.sh: its peers are Linux programs).
check-windows: $(BUILD)/build.ninja | need-tools
	$(MAKE) build-windows
	$(NINJA) -C $(BUILD)
	$(MESON) test -C $(BUILD) --suite windows --print-errorlogs

# The windows suite is among them: it says SKIP without build-win.
check-repeat: $(BUILD)/build.ninja | need-tools
	$(NINJA) -C $(BUILD)
	@if [ -f $(WIN_BUILD)/build.ninja ]; then $(NINJA) -C $(WIN_BUILD); fi
	sh scripts/check-repeat.sh $(BUILD) $(N) $(REPEAT_SUITES)

demo:
	$(DEPS) build
	$(MAKE) run-demo

# Only the demo and the library it links (ninja target examples/demo), not
# the test suite: the build dir is configured as for make, so a later make
# or make check builds the rest.
run-demo: $(BUILD)/build.ninja | need-tools
	$(NINJA) -C $(BUILD) examples/demo
	$(BUILD)/examples/demo

# Installs into $(DESTDIR)$(PREFIX); the build dir follows PREFIX (meson
# configure -Dprefix) when an earlier make configured it with another one.
install: $(BUILD)/build.ninja | need-tools
	@cur=$$($(MESON) introspect --buildoptions $(BUILD) | python3 -c \
	    'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])'); \
	if [ "$$cur" != "$(PREFIX)" ]; then \
	    echo "make install: $(BUILD) was configured for prefix $$cur; now $(PREFIX)"; \
	    echo "$(MESON) configure $(BUILD) -Dprefix=$(PREFIX)"; \
	    $(MESON) configure $(BUILD) -Dprefix=$(PREFIX) || exit 1; \
	fi
	$(NINJA) -C $(BUILD)
	$(MESON) install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(abspath $(DESTDIR))")

# Each fuzz target for FUZZ_TIME seconds, one per core at a time (scratch corpus and crash
# reproducers in $(FUZZ_BUILD)/fuzz/corpus-work/).
fuzz:
	$(DEPS) fuzz
	$(MAKE) run-fuzz

run-fuzz: $(FUZZ_BUILD)/build.ninja | need-tools
	ASER_FUZZ_TIME=$(FUZZ_TIME) ASER_FUZZ_RUNS=$(FUZZ_RUNS) $(MESON) test -C $(FUZZ_BUILD) \
	    --suite fuzz --print-errorlogs \
	    --timeout-multiplier $(if $(FUZZ_RUNS),0,$$(( $(FUZZ_TIME) / 30 + 2 )))

# 1000 virtual ports, each with a simulated instrument, many rounds, under
# AddressSanitizer + LeakSanitizer (issue 4).
soak:
	$(DEPS) build
	$(MAKE) run-soak

run-soak: $(SAN_BUILD)/build.ninja | need-tools
	$(NINJA) -C $(SAN_BUILD) test/soak
	ASAN_OPTIONS=detect_leaks=1 ./$(SAN_BUILD)/test/soak 1000 100

# bench/bench.mk installs its own packages (scripts/deps.sh bench) first.
bench:
	$(MAKE) -f bench/bench.mk bench

bench-large:
	$(MAKE) -f bench/bench.mk bench-large

bench-fleet:
	$(MAKE) -f bench/bench.mk bench-fleet

format:
	$(DEPS) format
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	$(DEPS) format
	@bad=0; for f in $(FORMAT_FILES); do \
	    $(CLANG_FORMAT) "$$f" | cmp -s "$$f" - || { echo "not formatted: $$f"; bad=$$((bad + 1)); }; \
	done; \
	if [ $$bad -ne 0 ]; then echo "make format-check: $$bad file(s) differ; make format fixes them" >&2; exit 1; fi; \
	echo "make format-check: every C file is formatted"

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(PORTABLE_BUILD) $(FUZZ_BUILD) $(WIN_BUILD)
