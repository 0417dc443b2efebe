# fuzz.mk: libFuzzer targets for the sans-I/O codecs (telnet, RFC 2217).
# Standalone; run from the repository root:
#
#   make -f fuzz/fuzz.mk fuzz-short   build, then ~5 s per target (make check)
#   make -f fuzz/fuzz.mk fuzz-long    build, then 5 minutes per target (make fuzz)
#   make -f fuzz/fuzz.mk build        just the binaries
#   make -f fuzz/fuzz.mk regress      replay the seed corpus once per target
#   make -f fuzz/fuzz.mk clean
#
# Targets are built with clang straight from the codec sources (no meson,
# no other module), with ASan + UBSan, UB made fatal. Each run reads the
# checked-in seeds (fuzz/corpus/<target>/) and grows a scratch corpus in
# fuzz/corpus-work/<target>/ (gitignored); crash reproducers land in
# fuzz/corpus-work/artifacts/. Any crash, leak, sanitizer report or
# failed invariant fails the make. Knobs: SHORT_TIME, LONG_TIME (seconds
# per target), CLANG.

CLANG ?= clang
SHORT_TIME ?= 5
LONG_TIME ?= 300
WORK := fuzz/corpus-work
BIN := $(WORK)/bin
TARGETS := fuzz_telnet fuzz_rfc2217_client fuzz_rfc2217_server
CODEC_SRC := src/codec/telnet.c src/codec/rfc2217.c src/error.c
CODEC_HDR := src/codec/telnet.h src/codec/rfc2217.h include/aserial.h src/internal.h
FUZZ_HDR := fuzz/fuzz_common.h fuzz/fuzz_rfc2217.h
CFLAGS_FUZZ := -std=gnu11 -g -O1 -Wall -Wextra -Wshadow \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Iinclude -Isrc
FUZZ_OPTS := -print_final_stats=1 -artifact_prefix=$(WORK)/artifacts/ -max_len=4096
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: build fuzz-short fuzz-long regress clean

build: $(addprefix $(BIN)/,$(TARGETS))

$(BIN)/%: fuzz/%.c $(CODEC_SRC) $(CODEC_HDR) $(FUZZ_HDR)
	@mkdir -p $(BIN) $(WORK)/artifacts
	$(CLANG) $(CFLAGS_FUZZ) $< $(CODEC_SRC) -o $@

# run(time): each target in turn; the first failure stops the make.
define run_all
	@for t in $(TARGETS); do \
	    mkdir -p $(WORK)/$$t; \
	    echo "== $$t ($(1) s)"; \
	    $(SAN_ENV) $(BIN)/$$t $(FUZZ_OPTS) -max_total_time=$(1) \
	        $(WORK)/$$t fuzz/corpus/$$t 2>$(WORK)/$$t.log; rc=$$?; \
	    grep -E '^(Done|stat::number_of_executed_units)' $(WORK)/$$t.log; \
	    if [ $$rc -ne 0 ]; then tail -40 $(WORK)/$$t.log; \
	        echo "fuzz: $$t FAILED (log: $(WORK)/$$t.log)"; exit 1; fi; \
	done
	@echo "fuzz: all targets passed"
endef

fuzz-short: build
	$(call run_all,$(SHORT_TIME))

fuzz-long: build
	$(call run_all,$(LONG_TIME))

regress: build
	@for t in $(TARGETS); do \
	    $(SAN_ENV) $(BIN)/$$t -runs=0 fuzz/corpus/$$t 2>$(WORK)/$$t.log || \
	        { tail -40 $(WORK)/$$t.log; exit 1; }; \
	    echo "regress: $$t ok"; \
	done

clean:
	rm -rf $(WORK)
