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
#   make check-fresh     README's first lines on a fresh minimal Debian 12 (root,
#                        network; before a release, not part of make test)
#   make check-tsan      the thread, fork and cache tests under ThreadSanitizer
#   make fuzz            every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each
#   make soak            the chaos soak: 8 threads x SOAK_LOOKUPS lookups against a
#                        misbehaving primary (tests/soak/soak.sh; SOAK_CANCEL=0 ...)
#   make battery         every program in /usr/bin and /usr/sbin run with --version,
#                        with and without the library in a private /etc/ld.so.preload
#                        (contained: tests/battery/battery.sh)
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall       removes what install wrote (a changed config stays)
#   make deb             build/dnsfailover_<version>_<arch>.deb (conf/debian)

# The one source of the version: the command prints it, the library carries it.
VERSION     := $(shell cat conf/VERSION)
PREFIX      ?= /usr/local
DESTDIR     ?=
SYSCONFDIR  ?= /etc
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/dnsfailover
COMPLDIR    ?= $(PREFIX)/share/bash-completion/completions
# systemd-tmpfiles reads /usr/lib/tmpfiles.d (the package's, PREFIX=/usr) and
# /usr/local/lib/tmpfiles.d (make install's default PREFIX): both are in the
# search path compiled into Debian 12's systemd 252, beside /etc and /run's.
# For another PREFIX, set TMPFILESDIR=/etc/tmpfiles.d, or rely on the first
# root process, which creates the state directory itself.
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# Run after a real install or uninstall (never with DESTDIR): glibc's NSS
# loader finds libnss_dnsfailover.so.2 only through ld.so's cache or its
# default directories.
LDCONFIG    ?= ldconfig
LDSO_CONF_D := /etc/ld.so.conf.d/dnsfailover.conf
# True when ld.so's cache resolves libnss_dnsfailover.so.2 to the one in
# LIBDIR (compared as files: /lib and /usr/lib may be one directory).
LDSO_FINDS_NSS = $(LDCONFIG) -p | sed -n 's/^[[:space:]]*libnss_dnsfailover\.so\.2 .*=> //p' | \
                 { while read -r p; do [ "$$p" -ef $(LIBDIR)/libnss_dnsfailover.so.2 ] && exit 0; done; exit 1; }
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
CORE_SRC    := shim/log.c shim/dnsmsg.c shim/resconf.c shim/config.c shim/conffile.c shim/confserver.c \
               shim/transport.c shim/strategy.c shim/chanpool.c shim/resolve.c shim/answer.c shim/nsswitch.c \
               shim/state.c shim/confload.c shim/memogen.c shim/stats.c shim/clock.c shim/hostlookup.c shim/health.c shim/cache.c shim/memo.c shim/note.c shim/rawquery.c \
               shim/memo_gai.c shim/memo_hostent.c shim/memo_nameinfo.c \
               shim/hostsfile.c shim/hostsindex.c shim/filestamp.c shim/serverset.c shim/confscan.c shim/confsnap.c \
               shim/fdkeep.c shim/allocbuf.c shim/sysident.c shim/trustfile.c shim/shfile.c shim/shstate.c shim/sharing.c \
               shim/logevent.c shim/confdomains.c shim/route.c shim/balance.c
# A broken config never turns failover off: its last good copy (issue 14).
CORE_SRC    += shim/conflast.c
# The preload layer: thin routers and libc thunks.
PRELOAD_SRC := shim/hooks.c shim/hooks_res.c shim/real.c shim/nss_module.c
CLI_SRC     := shim/cli.c shim/cli_preload.c shim/cli_prove.c shim/cli_mode.c shim/cli_resolve.c \
               shim/cli_print.c
# status, metrics, flush: the shared state, read (and its flush generation bumped).
CLI_SRC     += shim/cli_state.c shim/cli_status.c shim/cli_metrics.c shim/cli_flush.c

CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ     := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
# Linked into both the library and the command, so `strings` finds it in each.
VERSION_OBJ := $(BUILD)/obj/shim/version.o

LIB         := $(BUILD)/libdnsfailover.so
CLI         := $(BUILD)/dnsfailover
CORE_A      := $(BUILD)/libdnsf_core.a

# c-ares is linked statically and hidden: Debian 12's libcares.a (1.18.1) is
# built with -fPIC (readelf -r finds no R_X86_64_32 relocations in it), so it
# links into the shared object. libconfig's .a is not, so it is dlopen'ed,
# only when a config file is read (shim/config.c).
# -z now (full RELRO) and ld's default -z separate-code are kept, at a price
# measured here (one run, /bin/true, medians of 400 alternating pairs
# against glibc): an empty preloaded .so costs +66..68 us, this library
# +132..134 us; relinked -z lazy +94..95 us (ld.so binds our 130 imports
# at load, ~0.3 us each), -z noseparate-code +117..121 us, both +73..75 us.
# Setuid programs are preloaded too (/etc/ld.so.preload): a writable GOT
# and executable rodata in every one of them are not worth 40-60 us.
SO_LDFLAGS  := -shared -Wl,-soname,libnss_dnsfailover.so.2 \
               -Wl,--version-script=shim/exports.map -Wl,--exclude-libs,ALL \
               -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined
SO_LIBS     := $(CARES_A) -ldl -lpthread

MAN_SRC     := conf/dnsfailover.8 conf/dnsfailover.conf.5
MAN_OUT     := $(MAN_SRC:conf/%=$(BUILD)/man/%)
# The library's installed path, compiled into the command (preload enable's
# default); this file changes only when LIBDIR does, so only then is the
# command rebuilt.
LIBPATH_STAMP := $(BUILD)/gen/libpath

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
        uninstall clean deps tools man deb FORCE check-tsan fuzz fuzz-build fuzz-targets soak \
        battery
all: $(LIB) $(CLI)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) $(PICFLAGS) -c $< -o $@

$(CORE_A): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(VERSION_OBJ): conf/VERSION
$(VERSION_OBJ): CPPFLAGS += -DDNSF_VERSION='"$(VERSION)"'

$(LIBPATH_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIBDIR)/libdnsfailover.so' | cmp -s - $@ || echo '$(LIBDIR)/libdnsfailover.so' >$@
$(BUILD)/obj/shim/cli_preload.o: $(LIBPATH_STAMP)
$(BUILD)/obj/shim/cli_preload.o: CPPFLAGS += -DDNSF_INSTALLED_LIB='"$(LIBDIR)/libdnsfailover.so"'

$(LIB): $(PRELOAD_OBJ) $(VERSION_OBJ) $(CORE_A) shim/exports.map
	$(CC) $(CFLAGS) $(LDSAN) $(SO_LDFLAGS) -o $@ $(PRELOAD_OBJ) $(VERSION_OBJ) $(CORE_A) $(SO_LIBS)

# The command is our NSS module too (cli_resolve.c): it carries the
# library's soname, which glibc's NSS loader asks ld.so for, and exports
# the module's entry points; real.o holds the thunks to glibc's own modules.
CLI_NSS_OBJ := $(BUILD)/obj/shim/nss_module.o $(BUILD)/obj/shim/real.o
CLI_LDFLAGS := -Wl,-soname,libnss_dnsfailover.so.2 \
               -Wl,--export-dynamic-symbol='_nss_dnsfailover_*'
$(CLI): $(CLI_OBJ) $(CLI_NSS_OBJ) $(VERSION_OBJ) $(CORE_A)
	$(CC) $(CFLAGS) $(LDSAN) $(CLI_LDFLAGS) -o $@ $(CLI_OBJ) $(CLI_NSS_OBJ) $(VERSION_OBJ) \
	    $(CORE_A) $(CARES_A) -ldl -lpthread

$(BUILD)/man/%: conf/% conf/VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/g' $< >$@

man: $(MAN_OUT)

FORCE:

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -o $@ $< $(CORE_A) $(CARES_A) -lcmocka -ldl -lpthread $(LDSAN)

# Test programs: plain executables, some of them shared objects (lib*.c).
$(BUILD)/tests/lib%: tests/tools/lib%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -fPIC -shared -o $@.so $< $(LDSAN) && touch $@

# core_*.c: test programs that link the core (what the library runs, minus the hooks).
$(BUILD)/tests/core_%: tests/tools/core_%.c $(CORE_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(WARN) -o $@ $< $(CORE_A) $(CARES_A) -ldl -lpthread $(LDSAN)

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

# debootstrap, then the README's commands inside the new root (tests/fresh.sh).
.PHONY: check-fresh
check-fresh:
	@bash tests/fresh.sh

# Everything lands under $(DESTDIR). Only a real install (no DESTDIR) touches
# the running system: it refreshes ld.so's cache, first naming LIBDIR in
# ld.so.conf.d when ld.so does not search it yet. The preload is never
# enabled here: `dnsfailover preload enable` does that, after checking.
# The state directory is not made here (it is /run's, made at boot from
# TMPFILESDIR's entry, or by the first root process that resolves a name);
# `systemd-tmpfiles --create dnsfailover.conf` makes it at once.
install: all $(MAN_OUT)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR) \
	           $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(COMPLDIR) \
	           $(DESTDIR)$(TMPFILESDIR)
	install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/libdnsfailover.so
	ln -sf libdnsfailover.so $(DESTDIR)$(LIBDIR)/libnss_dnsfailover.so.2
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/dnsfailover
	install -m 0644 $(BUILD)/man/dnsfailover.8 $(DESTDIR)$(MANDIR)/man8/dnsfailover.8
	install -m 0644 $(BUILD)/man/dnsfailover.conf.5 $(DESTDIR)$(MANDIR)/man5/dnsfailover.conf.5
	install -m 0644 conf/dnsfailover.bash-completion $(DESTDIR)$(COMPLDIR)/dnsfailover
	install -m 0644 conf/dnsfailover.conf $(DESTDIR)$(DOCDIR)/dnsfailover.conf.example
	install -m 0644 conf/tmpfiles.d/dnsfailover.conf $(DESTDIR)$(TMPFILESDIR)/dnsfailover.conf
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf ]; then \
	  echo "install -m 0644 conf/dnsfailover.conf $(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf"; \
	  install -d $(DESTDIR)$(SYSCONFDIR); \
	  install -m 0644 conf/dnsfailover.conf $(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf; \
	fi
	@if [ -z "$(DESTDIR)" ]; then \
	  echo "$(LDCONFIG)"; $(LDCONFIG); \
	  if ! $(LDSO_FINDS_NSS); then \
	    echo "$(LIBDIR) is not in ld.so's search path: naming it in $(LDSO_CONF_D)"; \
	    echo '$(LIBDIR)' >$(LDSO_CONF_D); \
	    $(LDCONFIG); \
	  fi; \
	fi

# The reverse, file by file. The preload line goes first (a preload naming a
# missing library breaks every program); a config that differs from the
# shipped example was changed by the admin and stays.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -x $(BINDIR)/dnsfailover ]; then \
	  $(BINDIR)/dnsfailover preload disable --lib $(LIBDIR)/libdnsfailover.so; \
	fi
	@c=$(DESTDIR)$(SYSCONFDIR)/dnsfailover.conf; if [ -e $$c ]; then \
	  if cmp -s conf/dnsfailover.conf $$c || cmp -s $(DESTDIR)$(DOCDIR)/dnsfailover.conf.example $$c; then \
	    echo "rm -f $$c"; rm -f $$c; \
	  else \
	    echo "keeping $$c: it differs from the shipped example"; \
	  fi; \
	fi
	rm -f $(DESTDIR)$(LIBDIR)/libnss_dnsfailover.so.2 $(DESTDIR)$(LIBDIR)/libdnsfailover.so \
	      $(DESTDIR)$(BINDIR)/dnsfailover $(DESTDIR)$(MANDIR)/man8/dnsfailover.8 \
	      $(DESTDIR)$(MANDIR)/man5/dnsfailover.conf.5 $(DESTDIR)$(COMPLDIR)/dnsfailover \
	      $(DESTDIR)$(DOCDIR)/dnsfailover.conf.example $(DESTDIR)$(TMPFILESDIR)/dnsfailover.conf
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@if [ -z "$(DESTDIR)" ]; then \
	  if [ -e $(LDSO_CONF_D) ]; then echo "rm -f $(LDSO_CONF_D)"; rm -f $(LDSO_CONF_D); fi; \
	  echo "$(LDCONFIG)"; $(LDCONFIG); \
	fi

# make deb: the recipe in conf/debian, put in place as debian/ in a copy of
# the tree under $(BUILD)/deb, built with dpkg-buildpackage. Missing build
# dependencies are installed with apt-get as root (as `make test` does),
# else the exact command is printed. Writes only $(BUILD) (and apt's files).
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE    := dnsfailover_$(VERSION)_$(DEB_ARCH).deb
DEB_TREE    := $(BUILD)/deb/dnsfailover-$(VERSION)
DEB_DEPS    := debhelper dpkg-dev libc-ares-dev libconfig-dev
deb:
	@missing=; for p in $(DEB_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  cmd="apt-get install -y --no-install-recommends$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deb: missing$$missing; run as root: $$cmd" >&2; exit 1; fi; \
	  echo "$$cmd"; export DEBIAN_FRONTEND=noninteractive; \
	  $$cmd || { apt-get update && $$cmd; } || exit 1; \
	fi
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_TREE)
	tar -cf - --exclude=./build --exclude=./.git --exclude='./$(BUILD)' . | tar -xf - -C $(DEB_TREE)
	cp -r conf/debian $(DEB_TREE)/debian
	printf 'dnsfailover (%s) unstable; urgency=medium\n\n  * Built by make deb from conf/VERSION.\n\n -- dnsfailover developers <dnsfailover@localhost>  %s\n' \
	  '$(VERSION)' "$$(date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))" >$(DEB_TREE)/debian/changelog
	mkdir -p $(BUILD)/deb/tmp
	cd $(DEB_TREE) && TMPDIR=$(abspath $(BUILD))/deb/tmp dpkg-buildpackage -us -uc -b
	cp $(BUILD)/deb/$(DEB_FILE) $(BUILD)/$(DEB_FILE)
	@echo "make deb: $(BUILD)/$(DEB_FILE)"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
