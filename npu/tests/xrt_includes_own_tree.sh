#!/usr/bin/env bash
# Compiles npu/xrt_includes.hpp (npu/'s only XRT include point) against each XRT tree with -H and fails if any header comes from another tree, e.g. Debian's /usr/include/xrt.
# Usage: xrt_includes_own_tree.sh CXX SOURCE_DIR TREE...
set -euo pipefail
cxx=$1
src=$2
shift 2
[ $# -gt 0 ] || { echo "no XRT trees given"; exit 1; }
for tree in "$@"; do
  out=$(echo '#include "npu/xrt_includes.hpp"' | "$cxx" -std=c++17 -x c++ -fsyntax-only -H -I"$src" -isystem "$tree" - 2>&1) ||
    { echo "FAIL: $tree: does not compile"; echo "$out"; exit 1; }
  # Every header -H lists that is not ours (npu/) nor the standard library's (/usr/include/c++, glibc).
  xrt=$(echo "$out" | grep -E '^\.+ ' | sed -E 's/^\.+ //' | grep -vE '^(\./)?npu/|^'"$src"'/npu/' |
        grep -E '/xrt[_/]|/xrt/|/version(-slim)?\.h$|/ert\.h$|/xclbin\.h$|/xrt\.h$' || true)
  [ -n "$xrt" ] || { echo "FAIL: $tree: no XRT header seen"; exit 1; }
  real=$(cd "$tree" && pwd -P)
  bad=$(echo "$xrt" | while read -r f; do case "$(realpath "$f")" in "$real"/*) ;; *) echo "$f" ;; esac; done)
  [ -z "$bad" ] || { echo "FAIL: $tree: headers from outside it:"; echo "$bad"; exit 1; }
  echo "ok: $tree: $(echo "$xrt" | wc -l) XRT headers, all from the tree"
done
