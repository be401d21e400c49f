# airlock - build, test and demo.
#   make          build the three programs into build/
#   make check    unit, end-to-end and console tests, then all again under ASan+UBSan
#   make demo     sign and import a sample feed end to end, in a fresh folder
#   make bench    compare with the standard tools on real feed data (see bench/README.md)
# Missing Debian packages are installed by scripts/deps.sh first.

VERSION  := 0.1.0
CC       ?= cc
BUILD    ?= build
PKGS     := libsodium libarchive libzstd sqlite3 ncursesw jansson
# SAN=1: AddressSanitizer + UndefinedBehaviorSanitizer, plus the test-only
# fault-injection hooks (AIRLOCK_TESTING); never shipped.
SAN      ?= 0

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DAIRLOCK_VERSION=\"$(VERSION)\"
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -fstack-protector-strong -fPIE
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CPPFLAGS += -DAIRLOCK_TESTING
LDFLAGS  += -fsanitize=address,undefined
else
CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS   += $(PKG_LIBS) -lpthread
LDFLAGS  += -pie -Wl,-z,relro,-z,now

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA     := $(BUILD)/libairlock.a
PROGS    := airlock-signer airlock-importer airlock-tui
BINS     := $(PROGS:%=$(BUILD)/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(sort $(wildcard tests/helpers/*.c))

.PHONY: all deps check check-build check-unit check-e2e check-tui check-san demo bench clean
all: $(BINS)

deps:
	@scripts/deps.sh

$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# frontend/: printing helpers the command-line programs share (not core).
FRONT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard frontend/*.c)))
$(BUILD)/signer/%.o $(BUILD)/importer/%.o: CPPFLAGS += -Ifrontend

define prog_rule
$(BUILD)/$(1): $$(patsubst %.c,$(BUILD)/%.o,$$(sort $$(wildcard $(2)/*.c))) $(3) $(LIBA)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS)
endef
$(eval $(call prog_rule,airlock-signer,signer,$(FRONT_OBJ)))
$(eval $(call prog_rule,airlock-importer,importer,$(FRONT_OBJ)))
$(eval $(call prog_rule,airlock-tui,tui))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_HELPERS:%.c=$(BUILD)/%.o) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

check-build: $(BINS) $(UNIT_BIN)

# Each suite is TAP, run by prove; AIRLOCK_BIN tells scripts which build to test.
check-unit: check-build
	CMOCKA_MESSAGE_OUTPUT=TAP prove -f $(UNIT_BIN)

check-e2e: check-build
	AIRLOCK_BIN=$(abspath $(BUILD)) AIRLOCK_SAN=$(SAN) prove -f tests/t/t*.sh

check-tui: check-build
	AIRLOCK_BIN=$(abspath $(BUILD)) prove -f tests/tui/t*.sh

check-san:
	$(MAKE) BUILD=build/san SAN=1 check-unit check-e2e

check: deps
	$(MAKE) check-unit check-e2e check-tui
	$(MAKE) check-san

demo: all
	demo/run.sh $(abspath $(BUILD))

bench: all
	bench/run.sh $(abspath $(BUILD))

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(wildcard $(BUILD)/signer/*.d $(BUILD)/importer/*.d $(BUILD)/tui/*.d $(BUILD)/frontend/*.d $(BUILD)/tests/unit/*.d)
