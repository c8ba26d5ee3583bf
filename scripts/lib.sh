# shellcheck shell=bash
# Shared by the host-side scripts (bash); source it, do not run it.
#
# Everything the test bed downloads or builds lives in SC_CACHE, outside the
# repository, so that a fresh clone (CI) reuses a machine's kernels and
# initramfs images and `git clean` never throws them away.

SC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SC_CACHE=${SC_CACHE:-/var/cache/swapcache-dev}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Where scripts/setup unpacked linux-image-KVER (dpkg -x, never installed).
kernel_dir() { printf '%s/kernels/%s\n' "$SC_CACHE" "$1"; }

# True when KVER is wholly unpacked: setup renames the tree into place only
# after its depmod.
kernel_unpacked() {
	local dir
	dir=$(kernel_dir "$1")
	[[ -f $dir/boot/vmlinuz-$1 && -f $dir/lib/modules/$1/modules.dep ]]
}

# kernel_dir of a line or full version, failing with the fix when it is not
# ready (unpacked, depmod'ed, vmlinux extracted).
need_kernel() {
	local kver dir
	kver=$("$SC_ROOT/scripts/kver" "$1") || exit 1
	dir=$(kernel_dir "$kver")
	if ! kernel_unpacked "$kver" || [[ ! -f $dir/vmlinux ]]; then
		die "kernel $kver is not unpacked in $dir: run scripts/setup"
	fi
	printf '%s\n' "$dir"
}
