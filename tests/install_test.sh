#!/bin/sh
# Installs the built library into a scratch prefix, then builds and runs the example app
# against the installed copy: once with CMake's find_package(sn2engine), once with pkg-config.
# usage: install_test.sh BUILD_DIR EXAMPLE_SOURCE_DIR SCRATCH_DIR
set -eu
build=$1 example=$2 scratch=$3
rm -rf "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" > /dev/null

cmake -S "$example" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$scratch/cmake-build" > /dev/null
out=$("$scratch/cmake-build/classify" shufflenet_v2_x0_5)
echo "find_package build: $out"
echo "$out" | grep -q '^shufflenet_v2_x0_5: top-1 class [0-9]'

libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n 1)
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 -o "$scratch/classify-pc" "$example/classify.c" $(pkg-config --cflags --libs sn2engine)
out=$(LD_LIBRARY_PATH="$(dirname "$libdir")" "$scratch/classify-pc" shufflenet_v1_g3)
echo "pkg-config build: $out"
echo "$out" | grep -q '^shufflenet_v1_g3: top-1 class [0-9]'
