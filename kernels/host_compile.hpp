// Compiles a kernel package's C sources for this CPU at run time, under the device dialect, into a cache.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/stack_facts.hpp"
#include "ref/kernel_package.hpp"

namespace attncheck {

struct CompiledPackage {
  std::string compiler;                  // "cc (Debian 12.2.0-14+deb12u1) 12.2.0"
  std::vector<std::string> flags;
  std::string library;                   // the cached shared object
  bool cached = false;                   // loaded from the cache, not compiled by this call
  std::vector<std::string> warnings;     // the compiler's warning lines, at the user's lines
  nlohmann::json json() const;
};

// The flags every package is compiled with: the built-in sources' dialect (freestanding C99, the
// same warnings) plus what makes the host refuse what an AIE2 core cannot run: no floating point
// (-mgeneral-regs-only on x86-64), no libc (-nostdlib with every symbol defined). The built-in
// sources build with -Werror; a package's warnings are reported, not fatal.
std::vector<std::string> package_compile_flags();

// Compiles (or finds in the cache); never loads the library (a worker does, kernels/kernel_worker.hpp). The cache key is a hash of the
// preprocessed sources, the entry declarations, the compiler's identity and the flags; the cache
// lives in $ATTNCHECK_CACHE_DIR, else $XDG_CACHE_HOME/attncheck, else ~/.cache/attncheck. The
// compiler is $ATTNCHECK_CC, else cc. InputError on one line: the first compiler error at the
// user's file and line, an undefined symbol (a libc call), a 64-bit division.
CompiledPackage compile_package(const KernelPackage& pkg);

// The stack a package's entries need, measured as the built-in revisions' is (kernels/CMakeLists.txt):
// its sources compiled by GCC with -fcallgraph-info=su under the device dialect, the deepest chain
// from any entry, against the stack_size of its "design" (mlir-aie's 1 KiB default without one).
// An estimate by another compiler than Peano; a compiler without -fcallgraph-info (clang) gives
// need_bounded = false and a note saying so. InputError when a source does not compile.
KernelFacts measure_package_stack(const KernelPackage& pkg);

}  // namespace attncheck
