# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# bulwark build: .bpf.c -> .bpf.o -> linked object -> .skel.h -> user objects -> build/bulwark
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

BUILD      ?= build
prefix     ?= /usr/local
DESTDIR    ?=
sbindir    ?= $(prefix)/sbin
datadir    ?= $(prefix)/share
mandir     ?= $(datadir)/man
sysconfdir ?= /etc
# systemd's own unit directory for a /usr install (the .deb), else below prefix
unitdir    ?= $(if $(filter /usr,$(prefix)),/lib/systemd/system,$(prefix)/lib/systemd/system)
bashcompdir ?= $(datadir)/bash-completion/completions
VERSION    := $(shell sed -n 's/.*BULWARK_VERSION "\(.*\)"/\1/p' user/core/version.h)
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
# Set VMLINUX_H to a pre-generated vmlinux.h to build without the running kernel's BTF.
VMLINUX_H  ?= $(BUILD)/vmlinux.h
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) -pthread
LDLIBS   += -lbpf -lelf -lz -lyaml -lpg_query -lcurl -lssl -lcrypto -lmicrohttpd -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -Ibpf -I$(BUILD)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
# user/ is one folder per subsystem (see README, Architecture); sources are found by folder.
USER_DIRS  := $(sort $(dir $(wildcard user/*/*.c)))
USER_SRCS  := $(wildcard user/*/*.c)
USER_HDRS  := $(wildcard user/*/*.h)
# Headers shared by the kernel and user sides (the ABI, the plain-read test).
INC_HDRS   := $(wildcard include/*.h)
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Files that drive the kernel (libbpf) or run the daemon; everything else links into unit tests and fuzzers.
DAEMON_SRCS := $(wildcard user/cli/main.c user/cli/cmd_run.c user/cli/cmd_config.c user/cli/cmd_status.c user/daemon/*.c user/kernel/loader.c user/kernel/quarantine.c user/kernel/dbprobes.c user/kernel/pins.c user/cli/cmd_unload.c)
LIB_SRCS   := $(filter-out $(DAEMON_SRCS),$(USER_SRCS))
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
# Unit tests mirror the folders: tests/unit/<folder>/test_<module>.c.
UNIT_SRCS  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS  := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(UNIT_SRCS)))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRCS))
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps run test unit e2e vmtest bench fuzz install install-files deb clean
all: $(BUILD)/bulwark $(UNIT_BINS) $(BUILD)/tests/outputs_driver

# Installs the Debian packages needed to build, run and test (idempotent).
deps:
	$(Q)./scripts/deps.sh

$(BUILD) $(BUILD)/bpf $(BUILD)/user $(BUILD)/tests $(BUILD)/fuzz $(BUILD)/bench $(BUILD)/helpers:
	$(Q)mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) $(wildcard bpf/lib/*.bpf.h) $(INC_HDRS) | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -include $(VMLINUX_H) -c $< -o $@

$(BUILD)/bulwark.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/bulwark.skel.h: $(BUILD)/bulwark.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name bulwark_bpf > $@

$(BUILD)/user/kernel/loader.o: $(BUILD)/bulwark.skel.h

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(INC_HDRS) | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/bulwark: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

vpath test_%.c $(sort $(dir $(UNIT_SRCS)))
$(BUILD)/tests/%: %.c tests/unit/unit.h $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) -o $@ $(LDLIBS)

# The outputs test driver (tests/e2e/test_outputs.sh): the real output modules, real receivers.
$(BUILD)/tests/outputs_driver: tests/unit/outputs/outputs_driver.c $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

# Benchmark programs link the same library objects as the unit tests.
$(BUILD)/bench/%: bench/%.c $(LIB_OBJS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

# Test helpers run inside the kernel-matrix guests; not part of `all`, so
# building bulwark does not need liburing.
$(BUILD)/helpers/uring_unlink: LDLIBS_HELPER := -luring
$(BUILD)/helpers/uring_destroy: LDLIBS_HELPER := -luring
$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS_HELPER)

# libFuzzer targets: clang with -fsanitize=fuzzer,address over the user modules.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) -pthread
# Library objects are built once for every target; targets also depend on tests/fuzz/*.h.
FUZZ_OBJS  := $(patsubst user/%.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
.SECONDARY: $(FUZZ_OBJS)
$(BUILD)/fuzz/obj/%.o: user/%.c $(USER_HDRS) $(INC_HDRS) | $(BUILD)/fuzz
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZCC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -DBW_FUZZING -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OBJS) | $(BUILD)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -DBW_FUZZING $< $(FUZZ_OBJS) -o $@ $(LDLIBS)

fuzz: $(FUZZ_BINS)
	$(Q)./tests/fuzz/run.sh $(FUZZ_BINS)

# Starts the monitor with the default rules (installs dependencies first).
run: deps all
	./$(BUILD)/bulwark run --rules rules/ $(RUN_ARGS)

# Unit tests, then end-to-end tests; one closing "N passed, N failed" line.
test: deps all $(BUILD)/bench/journal_bench
	$(Q)./tests/run.sh

unit: all
	$(Q)./tests/run.sh --unit

e2e: all
	$(Q)./tests/run.sh --e2e

# The kernel matrix: Debian's stock kernels under qemu (tests/vm/run.sh).
# VM_KERNELS="5.10 6.1 6.12" picks kernels, VM_TIMEOUT seconds bounds each boot.
vmtest: deps all $(HELPER_BINS) $(BUILD)/bench/loops
	$(Q)./tests/vm/run.sh

bench: deps all $(BENCH_BINS)
	$(Q)./bench/run.sh

# The binary, the unit, the config (kept when present), the shipped rules,
# an empty rules.d for local rules, man pages and bash completion.
install: all install-files

install-files:
	install -D -m 0755 $(BUILD)/bulwark $(DESTDIR)$(sbindir)/bulwark
	install -d $(DESTDIR)$(datadir)/bulwark/rules $(DESTDIR)$(sysconfdir)/bulwark/rules.d
	install -m 0644 rules/*.yaml $(DESTDIR)$(datadir)/bulwark/rules/
	@if [ -e $(DESTDIR)$(sysconfdir)/bulwark/bulwark.yaml ]; then \
		echo "install: keeping $(DESTDIR)$(sysconfdir)/bulwark/bulwark.yaml"; \
	else \
		sed 's|@RULESDIR@|$(datadir)/bulwark/rules|' packaging/bulwark.yaml.in > $(BUILD)/bulwark.yaml && \
		install -D -m 0644 $(BUILD)/bulwark.yaml $(DESTDIR)$(sysconfdir)/bulwark/bulwark.yaml; \
	fi
	sed 's|@SBINDIR@|$(sbindir)|; s|@SYSCONFDIR@|$(sysconfdir)|g' packaging/bulwark.service > $(BUILD)/bulwark.service
	install -D -m 0644 $(BUILD)/bulwark.service $(DESTDIR)$(unitdir)/bulwark.service
	install -D -m 0644 man/bulwark.8 $(DESTDIR)$(mandir)/man8/bulwark.8
	install -D -m 0644 man/bulwark-rules.5 $(DESTDIR)$(mandir)/man5/bulwark-rules.5
	install -D -m 0644 man/bulwark.yaml.5 $(DESTDIR)$(mandir)/man5/bulwark.yaml.5
	install -D -m 0644 packaging/bash-completion/bulwark $(DESTDIR)$(bashcompdir)/bulwark

# A Debian package with debhelper (debian/), reusing build/; lintian's tags are printed.
deb: all
	dpkg-buildpackage -us -uc -b
	mkdir -p $(BUILD)/deb
	mv ../bulwark_$(VERSION)_*.deb ../bulwark_$(VERSION)_*.changes ../bulwark_$(VERSION)_*.buildinfo $(BUILD)/deb/
	-mv ../bulwark-dbgsym_$(VERSION)_*.deb $(BUILD)/deb/ 2>/dev/null
	-lintian --tag-display-limit 0 --display-info $(BUILD)/deb/bulwark_$(VERSION)_*.changes
	debian/rules clean

clean:
	rm -rf $(BUILD)
