# Cross-building for aarch64 (scripts/setup-arm64.sh prepares SN2_ARM64_SYSROOT). Test binaries
# run under qemu-aarch64: gtest_discover_tests needs the emulator at build time already, and the
# arm64 XNNPACK pulls in cpuinfo and pthreadpool at run time, hence LD_LIBRARY_PATH.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# try_compile projects see the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SN2_ARM64_SYSROOT)
if(NOT SN2_ARM64_SYSROOT)
  message(FATAL_ERROR "set SN2_ARM64_SYSROOT (see scripts/setup-arm64.sh)")
endif()
set(CMAKE_FIND_ROOT_PATH ${SN2_ARM64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(SN2_ARM64_LIBDIR ${SN2_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${SN2_ARM64_LIBDIR}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${SN2_ARM64_LIBDIR}")
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=${SN2_ARM64_LIBDIR})
