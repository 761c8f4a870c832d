// The device-independent half of the NPU runner: walk a LaunchPlan, call one injectable device step per launch, assemble and check.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/localize.hpp"
#include "kernels/device_layout.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// The one step that needs a device: given launch i's packed input buffers and the output buffer's
// host image (pre-filled with the sentinel), make the device write the output into `out` and
// return the microseconds of the kernel call (run + wait, syncs excluded). XrtRunner supplies the
// real one; tests supply the host kernel or one that writes nothing.
using DeviceStep = std::function<double(size_t launch, const std::vector<std::vector<uint8_t>>& inputs, uint8_t* out,
                                        size_t out_bytes)>;

struct LoopOptions {
  int iterations = 1;  // measured calls per launch
  int warmup = 0;      // unmeasured calls per launch before them
  // 0x5A: an int8 90, an unlikely value for a whole 64-wide attention output row; a row still
  // holding it in every byte after the call was not written by the device.
  uint8_t sentinel = 0x5A;
  // Called after each launch with (done, total): the CLI's progress. Empty: nothing.
  std::function<void(size_t, size_t)> on_launch;
};

struct UntouchedRows {
  size_t launch;
  int64_t head, first_row, rows;  // the launch's rows, and how many of them still hold the sentinel
  int64_t untouched;
};

struct LoopResult {
  Int8Tensor output;               // assembled from the last call of each launch
  std::vector<double> latency_us;  // every measured call, in order
  std::vector<UntouchedRows> untouched;  // launches with at least one row left at the sentinel
  std::vector<size_t> unstable_launches;  // launches whose calls did not all return the same bytes
  size_t launches = 0;
  size_t calls = 0;
};

// Runs every launch of `plan` through `step`. DeviceError when no launch wrote a single byte (the
// whole output is the sentinel: reporting metrics on it would be the seeds' mistake); a partial
// write is a finding in the result, localized by the comparator.
LoopResult run_launch_loop(const LaunchPlan& plan, const Shape& shape, const DeviceStep& step, const LoopOptions& opt);

// The report's `latency` object from per-call microseconds: mean, stddev (sample), min, p50, p95,
// p99 (numpy's default linear interpolation), max.
nlohmann::json latency_json(const std::vector<double>& us, int iterations, int warmup, size_t launches);
// The report's `device.sentinel` object.
nlohmann::json sentinel_json(const LoopResult& r, uint8_t sentinel);

// One buffer object of the MLIR_AIE call `kernel(3, bo_instr, n_words, bufs...)`: argument 0 is
// the opcode 3, argument 2 the instruction count in 32-bit words, and each buffer sits at the
// argument index equal to its group id (instructions at 1, data from 3 on, as design.py orders them).
struct KernelBuffer {
  std::string name;
  int group_id;  // == its argument index
  size_t bytes;
  bool cacheable;  // instructions: cacheable; data: host_only
  bool is_output;
};
constexpr unsigned kNpuOpcode = 3;
std::vector<KernelBuffer> kernel_buffers(const LaunchPlan& plan, size_t insts_words);

// The input bytes behind each launch's output rows, for compare/localize (LaunchSpan is defined there).
std::vector<LaunchSpan> launch_spans(const LaunchPlan& plan, const Shape& shape);

// Guards a call that may not return (XRT's wait can miss its own timeout): if disarm() is not
// called within `ms`, `on_expiry` runs on the watchdog thread. The runner's handler prints one
// line and exits 3, so a wedged device never hangs a CI job. keep_armed() hands the timer to a
// detached thread that outlives this object: after a failed launch the error unwinds through
// XRT's destructors, which may block on the hung command, and the process must still end.
class Watchdog {
 public:
  Watchdog(std::chrono::milliseconds ms, std::function<void()> on_expiry);
  ~Watchdog();
  void disarm();
  void keep_armed();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
};

}  // namespace attncheck
