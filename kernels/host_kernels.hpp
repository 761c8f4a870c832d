// The `host` backend: each revision's device source compiled for this CPU, and the stack facts of those sources.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/stack_facts.hpp"
#include "ref/registry.hpp"

namespace attncheck {

struct HostKernel {
  std::string revision;
  // The device symbols the core calls (the package's entries); buffers and launches are
  // kernels/device_layout.hpp's LaunchPlan, which this backend and the NPU runner share.
  std::vector<std::string> entries;
  AttentionFn run;  // same contract as Revision::model: every head, completed params
  // How the code was built: {"compiler", "flags", "sources", "built_at": "build"|"run time", ...}.
  nlohmann::json build;
};

// The built-in revisions' entry symbols, generated from kernels/*/kernel.json.
struct BuiltinEntry {
  const char* revision;
  const char* symbol;  // as kernel.json names it
  void* address;       // the host build's (renamed) function
};
const std::vector<BuiltinEntry>& builtin_entries();

// Every built-in revision's host build, in registry order.
const std::vector<HostKernel>& host_kernels();
// The host build of a revision: a built-in's compiled-in source, or a package's sources compiled
// now (kernels/host_compile.hpp; InputError, one line, when they do not build or lack an entry).
const HostKernel& host_kernel(const Revision& rev);
// The built-in's host build; nullptr (or an empty function) when the name is not built in.
const HostKernel* find_host_kernel(const std::string& revision);
AttentionFn host_kernel_for(const std::string& revision);

// Generated at build time from the measuring compile and each design (kernels/CMakeLists.txt).
const std::vector<KernelFacts>& kernel_facts();
// nullptr when the build knows no device source for `revision`.
const KernelFacts* find_kernel_facts(const std::string& revision);

// "GNU 12.2.0": the compiler that built the host kernels, for reports.
std::string host_compiler();

}  // namespace attncheck
