#!/bin/sh
# Prepares cross-building and testing for aarch64 on an x86-64 Debian 12 machine: the cross
# compilers and qemu-user from Debian, and a sysroot of the arm64 builds of sn2's libraries,
# unpacked from Debian's .debs with dpkg -x. The arm64 -dev packages are never installed
# system-wide: some replace their amd64 twins, and libcpuinfo-dev:arm64 breaks dpkg
# (../shared/ANCHORS.md). Idempotent and quiet when everything is there.
# usage: setup-arm64.sh SYSROOT_DIR
set -eu
sysroot=$1

missing=""
for p in gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  echo "setup-arm64: installing$missing"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
fi

[ -f "$sysroot/.complete" ] && exit 0
echo "setup-arm64: unpacking the arm64 libraries into $sysroot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$sysroot"
apt_arm64="-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache"
# shellcheck disable=SC2086
apt-get -qq $apt_arm64 update
cd "$work"
# shellcheck disable=SC2086
apt-get -qq $apt_arm64 download libxnnpack0:arm64 libxnnpack-dev:arm64 libpthreadpool0:arm64 \
  libpthreadpool-dev:arm64 libcpuinfo0:arm64 libcpuinfo-dev:arm64 libprotobuf-c1:arm64 \
  libprotobuf-c-dev:arm64 libgtest-dev:arm64 2> /dev/null
for deb in ./*.deb; do dpkg -x "$deb" "$sysroot"; done
touch "$sysroot/.complete"
