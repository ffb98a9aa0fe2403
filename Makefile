# s2sguard: plain Makefile, pkg-config for every dependency.
# Targets: all check unit integration lint fuzz bench install uninstall deps demo clean
#          deb rpm package-check check-debian13

VERSION		= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share/s2sguard
sysconfdir	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
localstatedir	?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
DESTDIR		?=

CC		?= cc
FUZZCC		?= clang
PKGS		= openssl libcurl jansson expat libunbound inih
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS	:= $(shell pkg-config --libs cmocka 2>/dev/null)

WARN		= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wformat=2 -Wno-format-truncation -Wno-unused-parameter
HARDEN		= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CPPFLAGS	+= -D_GNU_SOURCE -DS2S_VERSION='"$(VERSION)"' \
		   -DS2S_SYSCONFDIR='"$(sysconfdir)"' \
		   -DS2S_LOCALSTATEDIR='"$(localstatedir)"' \
		   -DS2S_DATADIR='"$(DATADIR)"' \
		   -Ilib -Iacme -Ihooks -Ibuild/gen
CFLAGS		?= -O2 -g
ALL_CFLAGS	= -std=c11 $(WARN) $(HARDEN) $(CFLAGS) $(PKG_CFLAGS)
LDFLAGS		+= -pie -Wl,-z,relro,-z,now
SAN_CFLAGS	= -std=c11 $(WARN) -O1 -g -fno-omit-frame-pointer \
		  -fsanitize=address,undefined -fno-sanitize-recover=undefined $(PKG_CFLAGS)

# Mains: hooks/NAME.c -> build/s2sguard-NAME; acme/reissue.c -> s2sguard-reissue
MAIN_SRC	= $(wildcard hooks/inspect.c hooks/probe.c hooks/hook.c hooks/check.c hooks/doctor.c acme/reissue.c)
BINS		= $(patsubst %,build/s2sguard-%,$(basename $(notdir $(MAIN_SRC))))
LIB_SRC		= $(wildcard lib/*.c)
ACME_SRC	= $(filter-out $(MAIN_SRC),$(wildcard acme/*.c))
HOOKS_SRC	= $(filter-out $(MAIN_SRC),$(wildcard hooks/*.c))
MANPAGES	= $(wildcard doc/*.1 doc/*.5)
HELP_HDRS	= $(patsubst doc/%.1,build/gen/help-%.h,$(wildcard doc/s2sguard-*.1))
UNIT_SRC	= $(wildcard tests/unit/test_*.c)
UNIT_HELPERS	= $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNITS		= $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))
FUZZ_SRC	= $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS		= $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))

objs		= $(patsubst %.c,build/obj/%.o,$(1))
asan_objs	= $(patsubst %.c,build/asan/%.o,$(1))
LIBS		= $(if $(HOOKS_SRC),build/libhooks.a) $(if $(ACME_SRC),build/libacme.a) build/libs2sguard.a
ASAN_LIBS	= $(patsubst build/%,build/asan/%,$(LIBS))

.PHONY: all check unit integration lint fuzz bench install uninstall deps demo clean \
	deb rpm package-check check-debian13 FORCE check-installed demo-installed
.SUFFIXES:
.SECONDARY:

all: $(BINS)

build/gen/help-%.h: doc/%.1 scripts/man2help.sh
	@mkdir -p $(@D)
	sh scripts/man2help.sh $< > $@.tmp && mv $@.tmp $@

build/obj/%.o: %.c | $(HELP_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: %.c | $(HELP_HDRS)
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	@$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

build/libs2sguard.a: $(call objs,$(LIB_SRC))
build/libacme.a: $(call objs,$(ACME_SRC))
build/libhooks.a: $(call objs,$(HOOKS_SRC))
build/asan/libs2sguard.a: $(call asan_objs,$(LIB_SRC))
build/asan/libacme.a: $(call asan_objs,$(ACME_SRC))
build/asan/libhooks.a: $(call asan_objs,$(HOOKS_SRC))
build/%.a:
	@mkdir -p $(@D)
	@rm -f $@ && ar rcs $@ $^

build/s2sguard-%: build/obj/hooks/%.o $(LIBS)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)
build/s2sguard-reissue: build/obj/acme/reissue.o $(LIBS)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c $(call asan_objs,$(UNIT_HELPERS)) $(ASAN_LIBS)
	@mkdir -p $(@D)
	@echo "  LD-SAN  $@"
	@$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(call asan_objs,$(UNIT_HELPERS)) $(ASAN_LIBS) $(PKG_LIBS) $(CMOCKA_LIBS)

unit: $(UNITS)
	sh tests/run --unit-only

integration: all
	sh tests/run --integration-only

# The README's test command: install what is missing (make deps), then
# build, unit tests under ASan/UBSan, integration tests. A second make, so
# that pkg-config's flags are read after deps has installed the libraries.
check: deps
	@$(MAKE) --no-print-directory check-installed

check-installed: all $(UNITS) lint
	sh tests/run

# The same (deps, package-check, check) inside a cached Debian 13 root
# (scripts/debian-root.sh trixie, build/trixie unless S2S_TRIXIE_ROOT says), as
# root, make check in a network namespace of its own; its last line is
# `make check`'s "N passed, N failed" in Debian 13.
check-debian13:
	@sh scripts/check-debian13.sh

lint:
	@sh scripts/lint.sh

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(ACME_SRC)
	@mkdir -p $(@D)
	$(FUZZCC) $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
		-o $@ $< $(LIB_SRC) $(ACME_SRC) $(PKG_LIBS)

FUZZ_SECONDS	?= 60
fuzz: $(FUZZERS)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

BENCH_SRC	= $(wildcard tests/bench/*.c)
BENCHES		= $(patsubst tests/bench/%.c,build/bench/%,$(BENCH_SRC))
build/bench/%: tests/bench/%.c $(LIBS)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(PKG_LIBS)

bench: all $(BENCHES)
	@for b in tests/bench/*.sh; do echo "== $$b"; sh $$b || exit 1; done

deps:
	@sh scripts/deps.sh $(DEPS_FLAGS)

demo: deps
	@$(MAKE) --no-print-directory demo-installed

demo-installed: all
	sh scripts/demo.sh

# Installation. DESTDIR stages (packages); PREFIX, sysconfdir and
# localstatedir are compiled into the binaries (build/gen/paths rebuilds
# them when one changes). An existing s2sguard.conf is never overwritten.
# The units name $(BINDIR) and the state directory as installed.
UNITS_SRC	= $(wildcard packaging/systemd/*.service packaging/systemd/*.timer)
PKG_SCRIPTS	= $(wildcard packaging/scripts/*)

build/gen/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(BINDIR) $(sysconfdir) $(localstatedir) $(DATADIR)' | cmp -s - $@ || \
		echo '$(BINDIR) $(sysconfdir) $(localstatedir) $(DATADIR)' > $@
$(call objs,$(LIB_SRC) $(ACME_SRC) $(HOOKS_SRC) $(MAIN_SRC)): build/gen/paths

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(sysconfdir)/s2sguard
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(wildcard doc/*.1); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done
	for m in $(wildcard doc/*.5); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man5/ || exit 1; done
	if [ -d templates ]; then cd templates && find . -type f | while read -r t; do \
		case $$t in *.sh) m=755 ;; *) m=644 ;; esac; \
		install -D -m $$m "$$t" "$(DESTDIR)$(DATADIR)/templates/$$t" || exit 1; done; fi
	for s in $(PKG_SCRIPTS); do install -m 755 $$s $(DESTDIR)$(DATADIR)/ || exit 1; done
	if [ -f templates/s2sguard.conf ] && [ ! -e $(DESTDIR)$(sysconfdir)/s2sguard/s2sguard.conf ]; then \
		install -m 640 templates/s2sguard.conf $(DESTDIR)$(sysconfdir)/s2sguard/s2sguard.conf; fi
	install -d -m 750 $(DESTDIR)$(localstatedir)/lib/s2sguard
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(UNITS_SRC); do sed -e 's|/usr/bin/|$(BINDIR)/|g' \
		-e 's|/var/lib/s2sguard|$(localstatedir)/lib/s2sguard|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} && \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/} || exit 1; done

# Leaves s2sguard.conf and the state directory: they are the admin's.
uninstall:
	rm -f $(patsubst build/%,$(DESTDIR)$(BINDIR)/%,$(BINS))
	rm -f $(patsubst doc/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard doc/*.1))
	rm -f $(patsubst doc/%,$(DESTDIR)$(MANDIR)/man5/%,$(wildcard doc/*.5))
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(patsubst packaging/systemd/%,$(DESTDIR)$(SYSTEMDUNITDIR)/%,$(UNITS_SRC))

# Packages (packaging/): build the .deb and the RPM from a `git archive`
# of HEAD into build/pkg/; package-check also installs, verifies and
# purges the .deb (as root; CI runs it before `make check`).
deb rpm:
	sh packaging/build.sh $@

package-check:
	sh packaging/check.sh

# --one-file-system: never into what the Debian 13 root (build/trixie) has mounted
clean:
	rm -rf --one-file-system build

# the compiler's dependency files, only where the rules above write them
# (build/ also holds the Debian roots and the package build trees)
-include $(shell find build/obj build/asan -name '*.d' -type f -print 2>/dev/null)
