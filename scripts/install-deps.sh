#!/bin/sh
# Installs the Debian packages sn2engine needs to build, test and run. Idempotent, and silent
# when nothing is missing. Run as root, or as a user who may sudo.
# usage: install-deps.sh [report]   ("report" adds what make bench-report needs)
set -eu

packages="cmake make gcc g++ pkg-config python3 valgrind
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libgtest-dev libbenchmark-dev libstb-dev
  libprotobuf-c-dev protobuf-c-compiler python3-onnx libonnx-testdata qemu-user"
if [ "${1:-}" = report ]; then packages="$packages python3-matplotlib"; fi

missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
