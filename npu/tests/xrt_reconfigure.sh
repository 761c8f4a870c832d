#!/usr/bin/env bash
# Configures attncheck twice (and more) in one build folder, changing the XRT root each time, and checks that each change takes effect.
# Usage: xrt_reconfigure.sh SOURCE_DIR XRT_2_20_INCLUDE_TREE
set -euo pipefail
src=$1
tree=$(cd "$2" && pwd -P)
[ -f "$tree/xrt/xrt_hw_context.h" ] || { echo "$tree: not an XRT 2.20 include tree"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
b=$work/build
unset XILINX_XRT
fail() { echo "FAIL: $*"; echo "--- configure output:"; cat "$work/last.log"; exit 1; }
configure() { cmake -S "$src" -B "$b" -DATTNCHECK_TESTS=OFF "$@" >"$work/last.log" 2>&1 || fail "cmake $*"; }
cached() { grep -E "^$1:" "$b/CMakeCache.txt" | cut -d= -f2-; }
# CMake wraps warnings at 80 columns: compare with all whitespace runs made one space.
expect() { tr -s " \n" "  " <"$work/last.log" | grep -qF -- "$1" || fail "configure output lacks: $1"; }

# 1. The default roots: Debian's libxrt-dev 2.13 under /usr.
configure
[ "$(cached ATTNCHECK_XRT_INCLUDE_DIR)" = /usr/include/xrt ] || fail "first configure did not find /usr/include/xrt"
expect "XRT 2.13.0 (/usr/include/xrt) has no"

# 2. Same folder, -DXRT_ROOT at a 2.20 header tree without its library: the new root is searched,
#    alone (no fallback to /usr), and the build says what it lacks.
mkdir -p "$work/xrt220"
ln -s "$tree" "$work/xrt220/include"
configure -DXRT_ROOT="$work/xrt220"
expect "XRT root changed"
[ "$(cached ATTNCHECK_XRT_INCLUDE_DIR)" = "$work/xrt220/include" ] || fail "XRT_ROOT did not take effect"
expect "headers at $work/xrt220/include but no libxrt_coreutil under $work/xrt220"

# 3. A root laid out as AMD's packages install XRT: <root>/share/cmake/XRT/xrt-config.cmake giving
#    XRT_INCLUDE_DIRS and the imported XRT::xrt_coreutil (here pointing at Debian's library file, as
#    only the configure step runs). find_package(XRT) is preferred, and the runner is chosen.
opt=$work/opt/xilinx/xrt
mkdir -p "$opt/share/cmake/XRT" "$opt/lib"
ln -s "$tree" "$opt/include"
cat >"$opt/share/cmake/XRT/xrt-config.cmake" <<CFG
set(XRT_INCLUDE_DIRS "$opt/include")
set(XRT_VERSION 2.20.172)
if(NOT TARGET XRT::xrt_coreutil)
  add_library(XRT::xrt_coreutil SHARED IMPORTED)
  set_target_properties(XRT::xrt_coreutil PROPERTIES IMPORTED_LOCATION /usr/lib/x86_64-linux-gnu/libxrt_coreutil.so.2)
endif()
set(XRT_FOUND True)
CFG
configure -DXRT_ROOT="$opt"
expect "npu backend BUILT against XRT 2.20.0 (find_package(XRT) at $opt/share/cmake/XRT)"
[ "$(cached ATTNCHECK_XRT_INCLUDE_DIR)" = "$opt/include" ] || fail "the package's XRT_INCLUDE_DIRS did not take effect"

# 4. XILINX_XRT (what setup.sh exports) counts as a root too, once XRT_ROOT is cleared.
XILINX_XRT=$work/xrt220 configure -DXRT_ROOT=
expect "XRT root changed"
[ "$(cached ATTNCHECK_XRT_INCLUDE_DIR)" = "$work/xrt220/include" ] || fail "XILINX_XRT did not take effect"

# 5. And back to the default roots.
configure -DXRT_ROOT=
[ "$(cached ATTNCHECK_XRT_INCLUDE_DIR)" = /usr/include/xrt ] || fail "clearing the roots did not return to /usr"
expect "XRT 2.13.0 (/usr/include/xrt) has no"
echo "ok: 5 configures in one folder, each XRT root took effect"
