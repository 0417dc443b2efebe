# aserial: the front door. Everything goes through meson; this file only
# sequences set-up, builds and suites.
#
#   make            build (build/)
#   make check      install missing packages, build, run the suite, then run
#                   it again under ASan+UBSan (build-san/)
#   make demo       virtual instruments on virtual ports, queried at once
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench | make fuzz | make soak   (see README)

PREFIX ?= /usr/local
DESTDIR ?=
MESON ?= meson
BUILD ?= build
SAN_BUILD ?= build-san

.PHONY: all deps deps-build check check-plain check-san check-fuzz demo install clean fuzz bench \
        bench-large soak

all: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh check

deps-build:
	@sh scripts/deps.sh build

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --prefix=$(PREFIX)

$(SAN_BUILD)/build.ninja:
	$(MESON) setup $(SAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debug

check: deps
	$(MAKE) check-plain
	$(MAKE) check-san
	$(MAKE) check-fuzz
	@echo "make check: all suites passed: plain (with the TSan post test), then ASan+UBSan;"
	@echo "            the async suite ran under the built-in loop, libuv and libevent"

check-plain: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON) test -C $(BUILD) --print-errorlogs

check-san: $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASER_TEST_TIMEOUT_MULT=3 \
	$(MESON) test -C $(SAN_BUILD) --print-errorlogs --timeout-multiplier 3

demo: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD)
	./$(BUILD)/examples/demo

install: all
	DESTDIR=$(DESTDIR) $(MESON) install -C $(BUILD)

FUZZ_BUILD ?= build-fuzz
$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=false -Dexamples=false

check-fuzz: $(FUZZ_BUILD)/build.ninja
	$(MESON) test -C $(FUZZ_BUILD) --suite fuzz --print-errorlogs

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ASER_FUZZ_TIME=300 $(MESON) test -C $(FUZZ_BUILD) --suite fuzz --print-errorlogs \
	    --timeout-multiplier 11

# 1000 virtual ports, each with a simulated instrument, many rounds, under
# AddressSanitizer + LeakSanitizer (issue 4).
soak: deps $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD) test/soak
	ASAN_OPTIONS=detect_leaks=1 ./$(SAN_BUILD)/test/soak 1000 100

bench:
	$(MAKE) -f bench/bench.mk bench

bench-large:
	$(MAKE) -f bench/bench.mk bench-large

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
