#!/usr/bin/env bash
# Usage: tests/host/t-kvm-probe.sh KVER MODULE
#
# scripts/accel picks KVM only when a probe boot under it works, the way a
# nested-virtualisation host shows it does not: a stand-in QEMU for the
# probe aborts (exit 134, failed to set MSR 0x10a) or hangs without a byte,
# or there is no /dev/kvm.  Each must end in TCG with one line saying why,
# and SC_ACCEL=kvm in an error.  A stand-in that reaches the probe
# kernel's panic must give KVM, and verdicts are reused until the QEMU
# version changes.  Last, scripts/vm boots KVER under TCG with the aborting
# stand-in as its probe (MODULE is not needed).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-kvm-probe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "t-kvm-probe: $*"; exit 1; }

real_qemu=$(command -v qemu-system-x86_64) || fail "no qemu-system-x86_64"
real_cache=${SC_CACHE:-/var/cache/swapcache-dev}
mkdir -p "$tmp/bin" "$tmp/cache"
# The stand-in: STANDIN says how the probe (the boot with -accel kvm) goes,
# STANDIN_VERSION what --version says; every other boot is the real QEMU's.
cat >"$tmp/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
if [ "\$1" = --version ]; then
	echo "QEMU emulator version \${STANDIN_VERSION:-1.0} (stand-in)"
	exit 0
fi
case " \$* " in *" -accel kvm "*) ;; *) exec "$real_qemu" "\$@" ;; esac
echo probe >>"$tmp/probes"
case \$STANDIN in
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000000" >&2
	echo "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3205: kvm_buf_set_msrs: Assertion failed." >&2
	exit 134 ;;
hang) exec sleep 600 ;;
works)
	echo "Kernel panic - not syncing: Requested init /sc-no-init failed (error -2)."
	exit 0 ;;
esac
exit 2
EOF
chmod +x "$tmp/bin/qemu-system-x86_64"
: >"$tmp/kvm"
: >"$tmp/probes"
: >"$tmp/vmlinux"
export PATH="$tmp/bin:$PATH" SC_CACHE=$tmp/cache SC_KVM_DEV=$tmp/kvm
unset SC_ACCEL SC_KVM_PROBE_TIMEOUT

# accel CASE: run scripts/accel on the dummy kernel, its stdout in $out, its
# stderr in $err, its exit status in $rc.
accel() {
	rc=0
	out=$("$root/scripts/accel" "$tmp/vmlinux" 2>"$tmp/err") || rc=$?
	err=$(cat "$tmp/err")
	echo "$1: exit $rc: ${out:-(nothing)} | ${err:-(nothing on stderr)}"
}
# falls_back CASE REASON: TCG, with one line on stderr holding REASON.
falls_back() {
	[[ $rc -eq 0 && $out == '-accel tcg -cpu max' ]] || fail "$1: not TCG"
	[[ $(wc -l <<<"$err") -eq 1 && $err == "accel: using TCG: "*"$2"* ]] ||
		fail "$1: not one line on stderr saying '$2'"
}
probes() { wc -l <"$tmp/probes"; }

SC_KVM_DEV=$tmp/no-such-kvm accel "no device"
falls_back "no device" "$tmp/no-such-kvm does not exist"
[[ $(probes) -eq 0 ]] || fail "no device: the probe ran"

STANDIN=abort accel abort
falls_back abort "failed (QEMU exit 134: qemu-system-x86_64: error: failed to set MSR 0x10a"
STANDIN=abort accel "abort, again"
falls_back "abort, again" "failed to set MSR 0x10a"
[[ $err == *"as probed before"* && $(probes) -eq 1 ]] || fail "the verdict was not reused"

start=$SECONDS
STANDIN=hang STANDIN_VERSION=2.0 SC_KVM_PROBE_TIMEOUT=2 accel hang
falls_back hang "did not reach the kernel's panic in 2 s"
[[ $((SECONDS - start)) -lt 10 ]] || fail "hang: took $((SECONDS - start)) s for a 2 s probe timeout"
[[ $(probes) -eq 2 ]] || fail "a new QEMU version did not probe again"

STANDIN=abort STANDIN_VERSION=3.0 SC_ACCEL=kvm accel "forced kvm, failing probe"
[[ $rc -ne 0 && -z $out && $err == *"error: SC_ACCEL=kvm, but KVM cannot run a guest here: "*"failed to set MSR 0x10a"* ]] ||
	fail "SC_ACCEL=kvm with a failing probe did not end in an error"
SC_KVM_DEV=$tmp/no-such-kvm SC_ACCEL=kvm accel "forced kvm, no device"
[[ $rc -ne 0 && -z $out && $err == *"does not exist"* ]] ||
	fail "SC_ACCEL=kvm without a device did not end in an error"
SC_ACCEL=tcg accel "forced tcg"
[[ $rc -eq 0 && $out == '-accel tcg -cpu max' && -z $err ]] || fail "SC_ACCEL=tcg: not TCG, silently"
SC_ACCEL=qemu accel "bad SC_ACCEL"
[[ $rc -ne 0 && -z $out && $err == *"SC_ACCEL is auto, tcg or kvm"* ]] || fail "SC_ACCEL=qemu was taken"
SC_KVM_PROBE_TIMEOUT=0 accel "bad timeout"
[[ $rc -ne 0 && -z $out ]] || fail "SC_KVM_PROBE_TIMEOUT=0 was taken"

STANDIN=works STANDIN_VERSION=4.0 accel works
[[ $rc -eq 0 && $out == '-accel kvm -cpu host' && -z $err ]] || fail "works: not KVM, silently"
STANDIN=works STANDIN_VERSION=4.0 SC_ACCEL=kvm accel "works, forced"
[[ $rc -eq 0 && $out == '-accel kvm -cpu host' ]] || fail "works, forced: not KVM"
[[ $(probes) -eq 4 ]] || fail "$(probes) probes ran, 4 expected"

# scripts/vm: the same fallback, then a real boot under TCG.  Its own
# cache for the verdicts, beside the real kernels and initramfs images.
ln -s "$real_cache/kernels" "$tmp/cache/kernels"
ln -s "$real_cache/initramfs" "$tmp/cache/initramfs"
printf '#!/bin/sh\necho guest ran\n' >"$tmp/guest"
rc=0
STANDIN=abort STANDIN_VERSION=5.0 "$root/scripts/vm" --kver "$kver" --timeout 120 \
	"$tmp/guest" >"$tmp/vm.log" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { tail -n 20 "$tmp/vm.log"; fail "scripts/vm exited $rc"; }
grep -q "^accel: using TCG: .*failed to set MSR 0x10a" "$tmp/vm.log" || fail "scripts/vm: no reason line"
grep -q "^vm: booting .* (tcg," "$tmp/vm.log" || fail "scripts/vm did not boot under TCG"
grep -q "^guest ran" "$tmp/vm.log" || fail "scripts/vm: the guest script did not run"
echo "t-kvm-probe: no device, abort and hang fell back to TCG with the reason; SC_ACCEL=kvm failed; scripts/vm booted $kver under TCG"
