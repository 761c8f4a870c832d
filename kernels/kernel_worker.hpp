// Runs a kernel package's compiled library in a worker process over shared memory, so its faults, hangs and constructors never reach attncheck.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attncheck {

// How long one launch (or the library's load) may run before its worker is killed: --kernel-timeout.
// 60 s is far above any real kernel (a 64x64 head tile takes well under a millisecond on the host).
void set_kernel_timeout(double seconds);
double kernel_timeout();

// One buffer the kernel sees, placed so its last byte sits right before a PROT_NONE guard page in the
// worker (a write one byte past it faults) and with a guard page before its page run; `what` names it
// in messages: "args[1] (output, 4096 B)".
struct WorkerBuffer {
  std::string what;
  size_t bytes = 0;
};

// One argument of an entry call: a 32-bit scalar (zero-extended into a register), or a pointer into
// buffer `buffer` at byte `offset`.
struct WorkerArg {
  bool pointer = false;
  uint32_t buffer = 0;
  uint64_t value = 0;  // scalar value, or byte offset into the buffer
};
struct WorkerCall {
  uint32_t symbol = 0;  // index into the session's symbols
  std::vector<WorkerArg> args;
};

// One run of a package's library: a worker from the pool (spawned on first use: fork, then the worker
// loads the library, so its constructors run there), a shared memory region holding `buffers`, and
// launches. The worker returns to the pool when the session ends; a worker that faulted or timed out
// is killed, never reused. Every error names `package`.
class WorkerSession {
 public:
  // InputError when the library does not load or lacks a symbol (named with `sources`); KernelFault
  // when loading it kills the worker or hangs (a constructor).
  WorkerSession(const std::string& package, const std::string& library, const std::vector<std::string>& symbols,
                const std::string& sources, const std::vector<WorkerBuffer>& buffers);
  ~WorkerSession();
  WorkerSession(const WorkerSession&) = delete;
  WorkerSession& operator=(const WorkerSession&) = delete;

  uint8_t* buffer(size_t i);  // attncheck's view of buffer i (bytes as given)
  // Runs the calls in order in the worker. KernelFault (one line naming the package, `launch`, the
  // signal and, for a guard page or a clobbered pad, the buffer) or Interrupted (SIGINT/SIGTERM to
  // attncheck: the worker is killed at once).
  void run(const std::vector<WorkerCall>& calls, const std::string& launch);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Loads the library in a pooled worker and resolves `symbols` there (the errors of WorkerSession),
// without running anything else: what `kernels --details` and the first host_kernel() check. A
// missing entry is an InputError that starts with `where` (kernel.json's path).
void probe_library(const std::string& package, const std::string& where, const std::string& library,
                   const std::vector<std::string>& symbols, const std::string& sources);

}  // namespace attncheck
