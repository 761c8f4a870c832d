// The `host` backend: each revision's device source compiled for this CPU, and the stack facts of those sources.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/stack_facts.hpp"
#include "ref/registry.hpp"

namespace attncheck {

struct HostKernel {
  std::string revision;
  // The device symbols the core calls (design.py's Kernel(...) list); buffers and launches are
  // kernels/device_layout.hpp's LaunchPlan, which this backend and the NPU runner share.
  std::vector<std::string> entries;
  AttentionFn run;  // same contract as Revision::model: every head, completed params
};

// Every revision that has a host build, in registry order.
const std::vector<HostKernel>& host_kernels();
// The host build of `revision`; an empty function when it has none.
AttentionFn host_kernel_for(const std::string& revision);
// nullptr when `revision` has no host build.
const HostKernel* find_host_kernel(const std::string& revision);

// Generated at build time from the measuring compile and each design (kernels/CMakeLists.txt).
const std::vector<KernelFacts>& kernel_facts();
// nullptr when the build knows no device source for `revision`.
const KernelFacts* find_kernel_facts(const std::string& revision);

// "GNU 12.2.0": the compiler that built the host kernels, for reports.
std::string host_compiler();

}  // namespace attncheck
