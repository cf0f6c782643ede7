# dnsfailover — build, test, install.
#
#   make                 build/libdnsfailover.so and build/dnsfailover
#   make test            install missing Debian packages (root) or print the
#                        apt-get line, build, run unit + integration tests
#   make demo            a dead primary made invisible, side by side with glibc
#   make bench           benchmark figures (medians, one run);
#                        BENCH_SECTIONS="cache" for some sections only
#   make check-asan      the test suite with ASan+UBSan
#   make check-valgrind  the integration programs under valgrind
#   make check-tsan      the thread, fork and cache tests under ThreadSanitizer
#   make fuzz            every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each
#   make soak            the chaos soak: 8 threads x SOAK_LOOKUPS lookups against a
#                        misbehaving primary (tests/soak/soak.sh; SOAK_CANCEL=0 ...)
#   make battery         every program in /usr/bin and /usr/sbin run with --version,
#                        with and without the library in a private /etc/ld.so.preload
#                        (contained: tests/battery/battery.sh)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX      ?= /usr/local
DESTDIR     ?=
SYSCONFDIR  ?= /etc
BUILD       ?= build
SANITIZER   ?=

CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CPPFLAGS    += -Iinclude -D_GNU_SOURCE -MMD -MP
PICFLAGS    := -fPIC -fvisibility=hidden
LIBDIR_ARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
CARES_A     ?= /usr/lib/$(LIBDIR_ARCH)/libcares.a

# Kept apart from CFLAGS, which a command line may replace wholesale.
# DNSF_SANITIZED: the code knows a sanitizer runtime is there (GCC and clang
# do not agree on a macro for it).
ifneq ($(SANITIZER),)
  SANFLAGS  := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all \
               -DDNSF_SANITIZED
  LDSAN     := -fsanitize=$(SANITIZER)
endif

# The core: everything but the exported hooks and the NSS entry points.
# Unit tests link it directly (it never calls dlsym or an exported name).
CORE_SRC    := shim/log.c shim/dnsmsg.c shim/resconf.c shim/config.c \
               shim/transport.c shim/resolve.c shim/answer.c shim/nsswitch.c \
               shim/state.c shim/clock.c shim/hostlookup.c shim/health.c shim/cache.c shim/memo.c shim/note.c shim/rawquery.c \
               shim/hostsfile.c shim/filestamp.c
# The preload layer: thin routers and libc thunks.
PRELOAD_SRC := shim/hooks.c shim/hooks_res.c shim/real.c shim/nss_module.c
CLI_SRC     := shim/cli.c

CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)

LIB         := $(BUILD)/libdnsfailover.so
CLI         := $(BUILD)/dnsfailover
CORE_A      := $(BUILD)/libdnsf_core.a

# c-ares is linked statically and hidden (FACTS.md: Debian's libcares.a is
# PIC); libconfig is dlopen'ed only when a config file is read.
SO_LDFLAGS  := -shared -Wl,-soname,libnss_dnsfailover.so.2 \
               -Wl,--version-script=shim/exports.map -Wl,--exclude-libs,ALL \
               -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined
SO_LIBS     := $(CARES_A) -ldl -lpthread

UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC    := $(wildcard tests/tools/*.c)
TOOL_BIN    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, built with clang against a core
# compiled with clang's coverage instrumentation (a tree of its own).
FUZZ_BUILD  ?= build/fuzz
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# The soak: lookups per thread (tests/soak/soak.sh reads the other SOAK_* knobs
# from the environment).
SOAK_LOOKUPS ?= 100000

.PHONY: all test unit integration demo bench check-asan check-valgrind install \
        uninstall clean deps tools check-tsan fuzz fuzz-build fuzz-targets soak battery
all: $(LIB) $(CLI)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) $(PICFLAGS) -c $< -o $@

$(CORE_A): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB): $(PRELOAD_OBJ) $(CORE_A) shim/exports.map
	$(CC) $(CFLAGS) $(LDSAN) $(SO_LDFLAGS) -o $@ $(PRELOAD_OBJ) $(CORE_A) $(SO_LIBS)

$(CLI): $(CLI_OBJ) $(CORE_A)
	$(CC) $(CFLAGS) $(LDSAN) -o $@ $(CLI_OBJ) $(CORE_A) $(CARES_A) -ldl -lpthread

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -o $@ $< $(CORE_A) $(CARES_A) -lcmocka -ldl -lpthread $(LDSAN)

# Test programs: plain executables, some of them shared objects (lib*.c).
$(BUILD)/tests/lib%: tests/tools/lib%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -fPIC -shared -o $@.so $< $(LDSAN) && touch $@

$(BUILD)/tests/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -o $@ $< -lpthread -ldl -lresolv $(LDSAN)

tools: $(TOOL_BIN) $(UNIT_BIN)

# A fuzz target links libFuzzer's main (-fsanitize=fuzzer) where the core
# has only its instrumentation (fuzzer-no-link).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(subst fuzzer-no-link,fuzzer,$(SANFLAGS)) $(WARN) -o $@ $< \
	    $(CORE_A) $(CARES_A) -lresolv -ldl -lpthread

fuzz-targets: $(FUZZ_BIN)

deps:
	@bash tests/deps.sh

test: deps
	$(MAKE) all tools fuzz-build
	@bash tests/run.sh

unit: all tools
	@bash tests/run.sh unit

integration: all tools
	@bash tests/run.sh integration

demo: deps
	$(MAKE) all tools
	@bash tests/demo.sh

bench: deps
	$(MAKE) all tools
	@bash tests/bench.sh $(BENCH_SECTIONS)

# ASan+UBSan: a separate build tree, with the sanitizer runtime preloaded first.
check-asan: deps
	$(MAKE) BUILD=build/asan SANITIZER=address,undefined CFLAGS="-O1 -g" all tools
	@DNSF_BUILD=build/asan DNSF_SANITIZER=address bash tests/run.sh

check-valgrind: deps all tools
	@DNSF_VALGRIND=1 bash tests/run.sh valgrind

# ThreadSanitizer: a separate build tree, the runtime preloaded after the shim,
# and the tests whose point is threads, fork and the shared cache. TSan exits
# 66 on a report (halt_on_error: at the first one), which fails the test;
# tests/tsan.supp says why each entry is there. TSan's own getaddrinfo
# interceptor ignores every access made inside glibc's getaddrinfo, so the
# engine is seen through the other calls (gethostbyname_r, gethostbyaddr_r,
# getnameinfo, which 32_threads and the soak mix in) and getaddrinfo's hook and
# memo directly. (The soak leaves its thread cancels out under a sanitizer:
# tests/soak/soak.sh says why.)
TSAN_TESTS  := @(test_cache|32_threads|33_fork|62_cache_flight|95_soak)
check-tsan: deps
	$(MAKE) BUILD=build/tsan SANITIZER=thread CFLAGS="-O1 -g" all tools
	@DNSF_BUILD=build/tsan DNSF_SANITIZER=thread DNSF_ONLY='$(TSAN_TESTS)' \
	    TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 $(TSAN_OPTIONS)" \
	    bash tests/run.sh

# Fuzzing: clang's ASan+UBSan+libFuzzer tree (build/fuzz).
fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SANITIZER=fuzzer-no-link,address,undefined \
	    CFLAGS="-O1 -g" fuzz-targets

fuzz: deps fuzz-build
	@DNSF_FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

soak: deps
	$(MAKE) all tools
	@SOAK_LOOKUPS=$(SOAK_LOOKUPS) bash tests/soak/soak.sh

battery: deps
	$(MAKE) all
	@bash tests/battery/battery.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin \
	           $(DESTDIR)$(PREFIX)/share/doc/dnsfailover
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libdnsfailover.so
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/dnsfailover
	install -m 0644 conf/dnsfailover.conf \
	        $(DESTDIR)$(PREFIX)/share/doc/dnsfailover/dnsfailover.conf.example
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf ]; then \
	  install -d $(DESTDIR)$(SYSCONFDIR); \
	  install -m 0644 conf/dnsfailover.conf $(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libdnsfailover.so $(DESTDIR)$(PREFIX)/bin/dnsfailover

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
