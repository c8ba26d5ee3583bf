# SPDX-License-Identifier: GPL-2.0
#
# make                 build swapcache.ko for KVER (default: the running
#                      kernel if its build tree exists, else the newest
#                      installed Debian headers)
# make KVER=6.12       ... for a kernel line (6.1, 6.12) or a full version
# make check           unit tests, warning-free W=1 C=2 builds, checkpatch,
#                      the Debian package, and on both kernel lines the VM
#                      suite and the host tests (DKMS among them)
# make demo            boot a VM and show the target at work
# make deb             the Debian packages, build/deb/swapcache-dkms_<version>_all.deb
#                      (DKMS source, swapcache-activate and its unit) and
#                      swapcache-tools_<version>_<arch>.deb (swapcachectl), lintian-checked
# make soak            the randomized fault-injection soak (Documentation/SOAK.md),
#                      DURATION=seconds per configuration, SOAK_SEED=, SOAK_SWAP=0|1
# make unit | lint | vm-check KVER=.. | clean
# make swapcachectl    the administrator's tool, build/tools/swapcachectl
# make install         installs it (DESTDIR=, PREFIX=/usr/local)

LINES := 6.1 6.12
SC_CACHE ?= /var/cache/swapcache-dev
export SC_CACHE

newest_headers = $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's,.*/linux-headers-,,' | sort -V | tail -n 1)
ifeq ($(KVER),)
KVER := $(if $(wildcard /lib/modules/$(shell uname -r)/build),$(shell uname -r),$(newest_headers))
endif
KFULL := $(shell scripts/kver $(KVER) 2>/dev/null || echo $(KVER))
KDIR ?= $(if $(wildcard /lib/modules/$(KFULL)/build),/lib/modules/$(KFULL)/build,/usr/src/linux-headers-$(KFULL))

# Each kernel gets its own build tree of symlinks, so that objects built for
# one line never end up linked into the other's module.
BUILD ?= build/$(KFULL)
SOURCES := Kbuild $(wildcard swapcache/*.c swapcache/*.h)

.PHONY: all module check check-debug unit lint vm-check demo bench-core setup deb clean

all: module

module: $(BUILD)/swapcache.ko

$(BUILD)/swapcache.ko: $(SOURCES)
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR): run scripts/setup" >&2; exit 1; }
	@mkdir -p $(BUILD)
	@find $(BUILD) -xtype l -delete
	cp -rsf $(CURDIR)/Kbuild $(CURDIR)/swapcache $(BUILD)/
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BUILD) modules

setup:
	scripts/setup

deb: setup
	scripts/deb

unit:
	$(MAKE) -C tests/unit check

lint:
	scripts/lint $(LINES)

vm-check: module
	scripts/vm --kver $(KFULL) --module $(BUILD)/swapcache.ko tests/vm/run

check: setup
	scripts/check $(LINES)

# The VM suite under KASAN, lockdep and kmemleak (builds the debug kernel
# once, 35-60 minutes).
check-debug: setup
	@mkdir -p build/logs
	scripts/check-debug

demo: setup
	$(MAKE) KVER=6.1 module
	scripts/vm --kver 6.1 --module build/$$(scripts/kver 6.1)/swapcache.ko scripts/guest/demo

# The cache core's hit and miss paths against the raw devices (a table).
bench-core: setup
	$(MAKE) KVER=$(or $(BENCH_KVER),6.1) module
	scripts/vm --kver $(or $(BENCH_KVER),6.1) \
		--module build/$$(scripts/kver $(or $(BENCH_KVER),6.1))/swapcache.ko \
		--append "BENCH_ROUNDS=$(or $(BENCH_ROUNDS),5) BENCH_RUNTIME=$(or $(BENCH_RUNTIME),5)" \
		scripts/guest/bench-core

# swapcache beside the raw devices, dm-cache and bcache, in one boot
# (BENCH.md): `make bench` on 6.1, `make bench KVER=6.12` on the other line.
# Tables, CSV and plots land in build/bench/<kver>-<timestamp>/.
# The randomized soak, not part of `make check`: both kernel lines, ext4 and
# XFS, DURATION seconds each (default 600); `soak-debug` on the debug kernel
# (built once by scripts/debug-kernel, as for check-debug).
.PHONY: soak soak-debug
soak: setup
	@mkdir -p build/logs
	scripts/soak

soak-debug: setup
	@mkdir -p build/logs
	scripts/soak --debug

.PHONY: bench
bench: BENCH_LINE = $(if $(filter command line environment,$(origin KVER)),$(KVER),6.1)
bench: setup
	$(MAKE) KVER=$(BENCH_LINE) module
	scripts/bench --kver $(BENCH_LINE)

clean:
	rm -rf build
	$(MAKE) -C tests/unit clean

# ---- swapcachectl, the administrator's tool (tools/swapcachectl/).  Its
# own Makefile builds it; DESTDIR, PREFIX, SBINDIR and MANDIR pass through.
.PHONY: swapcachectl install-swapcachectl install
all: swapcachectl

swapcachectl:
	$(MAKE) -C tools/swapcachectl

install-swapcachectl:
	$(MAKE) -C tools/swapcachectl install

install: install-swapcachectl
