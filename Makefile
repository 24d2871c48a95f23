# scaletop — one non-recursive GNU Makefile.
#
# Sources are found by wildcard: a new module is a new file in backend/, panels/
# or tui/, a new unit test is tests/unit/test_*.c, nothing here changes.
# `make test` and `make demo` first install what a fresh Debian machine lacks
# (scripts/deps.sh), so every pkg-config lookup below is lazy (`=`, not `:=`).

VERSION     = 0.1.0
BUILD      ?= build
SHARED     ?= ../shared
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
SAN        ?=
WERROR     ?= -Werror
# `make V=1` shows the compiler command lines.
Q          = $(if $(V),,@echo "  CC      $<";)
L          = $(if $(V),,@echo "  LD      $@";)

PKGS        = ncursesw libcurl jansson libpq sqlite3 inih yaml-0.1
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS))
SIM_CFLAGS  = $(shell pkg-config --cflags libmicrohttpd jansson)
SIM_LIBS    = $(shell pkg-config --libs libmicrohttpd jansson)
# Unit tests and benches link tests/lib, whose loopback server uses libmicrohttpd.
TEST_LIBS   = $(shell pkg-config --libs libmicrohttpd)

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
       -Wwrite-strings -Wvla -Wimplicit-fallthrough -Wpointer-arith -Wcast-qual \
       -Wundef -Wno-missing-field-initializers -Wno-format-truncation -Wno-unknown-warning-option $(WERROR)

ifeq ($(SAN),asan)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      = -O1 -g
else ifeq ($(SAN),tsan)
SANFLAGS = -fsanitize=thread
OPT      = -O1 -g
else
SANFLAGS =
OPT      = -O2 -g
endif

CPPFLAGS += -D_GNU_SOURCE -DSCALETOP_VERSION='"$(VERSION)"' -I. 
CFLAGS   += -std=c11 $(OPT) $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS    = -lpthread -lm

LIB_SRC   = $(sort $(wildcard backend/*.c panels/*.c tui/*.c))
LIB_SRC  := $(filter-out tui/main.c,$(LIB_SRC))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ  = $(BUILD)/obj/tui/main.o
LIB       = $(BUILD)/libscaletop.a
BIN       = $(BUILD)/scaletop

TEST_SRC  = $(sort $(wildcard tests/unit/test_*.c))
TEST_LIB_SRC = $(sort $(wildcard tests/lib/*.c))
TEST_LIB_OBJ = $(TEST_LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN  = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

SIM_SRC   = $(sort $(wildcard tests/sim/*.c))
SIM_OBJ   = $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
SIM       = $(BUILD)/scaletop-sim

BENCH_SRC = $(sort $(wildcard bench/*.c))
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

FUZZ_SRC  = $(sort $(wildcard tests/fuzz/fuzz_*.c))

ALL_SRC   = $(LIB_SRC) tui/main.c $(TEST_SRC) $(TEST_LIB_SRC) $(SIM_SRC) $(BENCH_SRC) $(FUZZ_SRC)
HDR       = $(sort $(wildcard backend/*.h panels/*.h tui/*.h tests/lib/*.h tests/sim/*.h))

.SECONDARY:

.PHONY: all test check unit bench demo install uninstall asan tsan valgrind format \
        format-check check-layers screenshots clean deps sim tests fuzz soak golden-update

all: $(BIN) $(if $(SIM_SRC),$(SIM))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/sim/%.o: tests/sim/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(SIM_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	$(L)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(SIM): $(SIM_OBJ)
	$(L)$(CC) $(LDFLAGS) -o $@ $^ $(SIM_LIBS) $(LDLIBS)

sim: $(SIM)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(L)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(TEST_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(L)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) $(LDLIBS)

tests: $(TEST_BIN)

deps:
	@scripts/deps.sh test

# The README's test command: install what is missing, build everything with
# -Werror, run every suite (unit, golden, integration, end-to-end), the unit
# tests again under ASan+UBSan, format-check and check-layers; one total line.
test: deps
	@$(MAKE) --no-print-directory check

check: all $(TEST_BIN)
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=asan CC=clang tests
	@BUILD=$(BUILD) SHARED=$(SHARED) tests/run.sh

unit: all $(TEST_BIN)
	@BUILD=$(BUILD) SHARED=$(SHARED) SCALETOP_SUITES=unit tests/run.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=asan CC=clang all tests
	@BUILD=build/asan SHARED=$(SHARED) SCALETOP_SUITES=unit tests/run.sh

tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan SAN=tsan CC=clang all tests
	@BUILD=build/tsan SHARED=$(SHARED) SCALETOP_SUITES=unit SCALETOP_TSAN=1 tests/run.sh

valgrind: all $(TEST_BIN)
	@BUILD=$(BUILD) SHARED=$(SHARED) SCALETOP_SUITES=unit SCALETOP_VALGRIND=1 tests/run.sh

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) SHARED=$(SHARED) bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@$(BIN) demo

fuzz:
	@BUILD=$(BUILD) SHARED=$(SHARED) tests/fuzz/run.sh $${FUZZ_SECONDS:-60}

soak: all
	@BUILD=$(BUILD) SHARED=$(SHARED) tests/soak.sh

screenshots: all
	@BUILD=$(BUILD) SHARED=$(SHARED) scripts/screenshots.sh

golden-update: all $(TEST_BIN)
	@BUILD=$(BUILD) SHARED=$(SHARED) SCALETOP_GOLDEN_UPDATE=1 SCALETOP_SUITES=unit tests/run.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/scaletop
	install -m 0644 man/scaletop.1 $(DESTDIR)$(PREFIX)/share/man/man1/scaletop.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/scaletop $(DESTDIR)$(PREFIX)/share/man/man1/scaletop.1

format:
	clang-format -i $(ALL_SRC) $(HDR)

format-check:
	@clang-format --dry-run --Werror $(ALL_SRC) $(HDR)

# STYLE.md "Layers": backend draws nothing, panels fetch nothing, one tui module
# talks to curses.
check-layers:
	@scripts/check-layers.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
