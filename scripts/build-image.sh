#!/usr/bin/env bash
# Build the Fulcrum appliance image: `npm run image` (or scripts/build-image.sh
# [--out FILE] [--deb FILE] [--nodejs-deb FILE] [--kernel-args "..."]
# [--root-password PW] [--mirror URL]). Needs root.
#
# debootstrap plus this script, not mkosi: Debian 12's mkosi (14) wants loop
# devices and systemd-repart/systemd-nspawn of a newer systemd for a disk
# image, and none of that is needed: the root is a debootstrapped tree made
# into an ext4 filesystem by mkfs.ext4 -d, the EFI system partition is made
# by mtools, and sfdisk lays both out in a GPT disk file. No loop device, no
# mount of the image, so it builds in a container or a CI sandbox too.
#
# The disk: GPT, an EFI system partition with systemd-boot (UEFI; the
# firmware starts EFI/BOOT/BOOTX64.EFI), the kernel and the initramfs, and an
# ext4 root (LABEL=fulcrum-root) with Debian 12, systemd-networkd, the fulcrum
# package and Node.js >= 20, fulcrum-setup and fulcrum enabled. The
# first-boot files (the director config on the demo layout's two data NICs,
# the management NIC's address, the kernel command line with hugepages and
# isolated worker CPUs) come from src/topology/vm.ts.
#
# Node.js: Debian 12's nodejs is 18 and Fulcrum needs 20 (fastify 5), so the
# image takes a nodejs .deb of version >= 20: --nodejs-deb FILE (NodeSource's
# nodejs_20.x, say), else this host's installed nodejs repacked by dpkg-repack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

OUT="$ROOT/build/image/fulcrum.img"
DEB=""; NODE_DEB=""; KARGS_EXTRA=""; ROOT_PW=""; MIRROR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --deb) DEB="$2"; shift 2 ;;
    --nodejs-deb) NODE_DEB="$2"; shift 2 ;;
    --kernel-args) KARGS_EXTRA="$2"; shift 2 ;;
    --root-password) ROOT_PW="$2"; shift 2 ;;
    --mirror) MIRROR="$2"; shift 2 ;;
    *) echo "build-image: unknown option $1 (--out FILE, --deb FILE, --nodejs-deb FILE, --kernel-args ARGS, --root-password PW, --mirror URL)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
die() { echo "build-image: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
for c in debootstrap chroot mkfs.ext4 mkfs.vfat mcopy mmd sfdisk; do
  command -v "$c" >/dev/null || die "$c not found (apt-get install debootstrap e2fsprogs dosfstools mtools fdisk)"
done
[ -f dist/src/topology/vm.js ] || die "build first (npm run build)"

[ -n "$MIRROR" ] || MIRROR="$(bash scripts/debian-mirror.sh)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-image.XXXXXX")"
R="$WORK/root"
cleanup() {
  for m in proc sys dev/pts dev; do
    mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m"
  done
  # Never remove a tree with anything of the host still mounted in it.
  if grep -q " $R" /proc/mounts; then echo "build-image: $R still has mounts; left in place" >&2; return; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
t0=$SECONDS

# ---- what goes in: the fulcrum package, Node.js >= 20, the first-boot files
if [ -z "$DEB" ]; then
  log "building the package (scripts/build-deb.sh)"
  DEB="$(bash scripts/build-deb.sh --out "$WORK/deb" | tail -1)"
fi
[ -f "$DEB" ] || die "no package at $DEB"
if [ -z "$NODE_DEB" ]; then
  v="$(dpkg-query -W -f '${Version}' nodejs 2>/dev/null || true)"
  [ -n "$v" ] || die "no nodejs package installed to repack: pass --nodejs-deb FILE (a Node.js >= 20 .deb)"
  command -v dpkg-repack >/dev/null || die "dpkg-repack not found (apt-get install dpkg-repack), or pass --nodejs-deb FILE"
  log "repacking this host's nodejs $v (dpkg-repack)"
  # (It warns about every file npm updated in place since; the package is what dpkg knows.)
  (cd "$WORK" && dpkg-repack nodejs >"$WORK/repack.log" 2>&1) || { tail -5 "$WORK/repack.log" >&2; die "dpkg-repack nodejs failed"; }
  NODE_DEB="$(ls "$WORK"/nodejs_*.deb)"
fi
nv="$(dpkg-deb -f "$NODE_DEB" Version)"
[ "${nv%%.*}" -ge 20 ] 2>/dev/null || die "$NODE_DEB is nodejs $nv; Fulcrum needs Node.js >= 20 (Debian 12's own is 18)"
node dist/src/topology/vm.js image-files "$WORK/files"
KARGS="root=LABEL=fulcrum-root ro $(cat "$WORK/files/kernel-args") $KARGS_EXTRA"

# ---- the root: Debian 12 minbase, then the packages with apt in a chroot
log "debootstrap bookworm from $MIRROR"
debootstrap --variant=minbase bookworm "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
mount -t proc proc "$R/proc"
mount -t sysfs sys "$R/sys"
mount --bind /dev "$R/dev"
mount -t devpts devpts "$R/dev/pts"
# No daemon starts inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d" && chmod 755 "$R/usr/sbin/policy-rc.d"
cp "$DEB" "$R/tmp/fulcrum.deb"
cp "$NODE_DEB" "$R/tmp/nodejs.deb"
log "installing the kernel, systemd and the fulcrum package"
chroot "$R" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    linux-image-amd64 initramfs-tools systemd-sysv udev dbus systemd-boot-efi \
    iproute2 iputils-ping less openssl /tmp/nodejs.deb /tmp/fulcrum.deb' >"$WORK/apt.log" 2>&1 || {
  tail -30 "$WORK/apt.log" >&2; die "apt-get install in the image failed"; }
rm -f "$R/tmp/fulcrum.deb" "$R/tmp/nodejs.deb" "$R/usr/sbin/policy-rc.d"

# ---- the system's own files
echo fulcrum > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tfulcrum\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$R/etc/hosts"
cat > "$R/etc/fstab" <<'EOF'
# The image's two partitions (scripts/build-image.sh).
LABEL=fulcrum-root  /          ext4  errors=remount-ro  0 1
LABEL=FULCRUM-ESP   /boot/efi  vfat  umask=0077,nofail  0 2
EOF
mkdir -p "$R/boot/efi"
cp -r "$WORK/files/etc/." "$R/etc/"
install -m 0644 appliance/image/fulcrum-firstboot.service "$R/etc/systemd/system/"
chroot "$R" systemctl enable systemd-networkd.service fulcrum-firstboot.service fulcrum-setup.service fulcrum.service >/dev/null 2>&1
# First boot must not stop at a prompt (locale, timezone, root password) on the console.
chroot "$R" systemctl mask systemd-firstboot.service >/dev/null 2>&1
if [ -n "$ROOT_PW" ]; then echo "root:$ROOT_PW" | chroot "$R" chpasswd; else chroot "$R" passwd -l root >/dev/null; fi
# A machine id of its own on each machine the image boots (and first boot is a first boot).
: > "$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
chroot "$R" apt-get clean
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/log/*.log "$R"/var/cache/debconf/*-old

KERNEL="$(ls "$R"/boot/vmlinuz-* | sort -V | tail -1)"
INITRD="$(ls "$R"/boot/initrd.img-* | sort -V | tail -1)"
BOOTEFI="$R/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
[ -f "$KERNEL" ] && [ -f "$INITRD" ] && [ -f "$BOOTEFI" ] || die "kernel, initramfs or systemd-boot missing in the root"
for m in dev/pts dev sys proc; do umount "$R/$m"; done

# ---- the EFI system partition (mtools: no mount)
ESP_MB=128
ESP="$WORK/esp.img"
mkfs.vfat -C -F 32 -n FULCRUM-ESP "$ESP" $((ESP_MB * 1024)) >/dev/null
mmd -i "$ESP" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$ESP" "$BOOTEFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$ESP" "$KERNEL" ::/vmlinuz
mcopy -i "$ESP" "$INITRD" ::/initrd.img
printf 'default fulcrum.conf\ntimeout 0\n' > "$WORK/loader.conf"
printf 'title Fulcrum %s\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
  "$(dpkg-deb -f "$DEB" Version)" "$KARGS" > "$WORK/fulcrum.conf"
mcopy -i "$ESP" "$WORK/loader.conf" ::/loader/loader.conf
mcopy -i "$ESP" "$WORK/fulcrum.conf" ::/loader/entries/fulcrum.conf

# ---- the root filesystem (mkfs.ext4 -d copies the tree, owners and modes included)
used_mb=$(du -sm "$R" | cut -f1)
ROOT_MB=$(( used_mb + used_mb / 4 + 256 ))
mkfs.ext4 -q -L fulcrum-root -d "$R" "$WORK/root.img" "${ROOT_MB}M" >/dev/null

# ---- the disk: GPT, 1 MiB aligned, a 1 MiB tail for the backup table
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
truncate -s $(( (1 + ESP_MB + ROOT_MB + 1) * 1024 * 1024 )) "$OUT"
sfdisk -q "$OUT" <<EOF
label: gpt
start=1MiB, size=${ESP_MB}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
start=$((1 + ESP_MB))MiB, size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=root
EOF
dd if="$ESP" of="$OUT" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/root.img" of="$OUT" bs=1M seek=$((1 + ESP_MB)) conv=notrunc,sparse status=none
log "built $OUT ($(du -h --apparent-size "$OUT" | cut -f1), $((SECONDS - t0)) s): kernel $(basename "$KERNEL"), nodejs $nv, cmdline: $KARGS"
echo "$OUT"
