// Host threads that run the cores' isolated stretches of one scheduler quantum at once (Array::call).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace attncheck::aie2::array {

// `threads` - 1 worker threads beside the caller. A quantum is a few microseconds of host work, so
// a worker waits for the next one spinning, and sleeps only after a while without work (between
// calls, or while the caller does something else).
class CoreThreads {
 public:
  explicit CoreThreads(int threads);
  ~CoreThreads();
  CoreThreads(const CoreThreads&) = delete;
  CoreThreads& operator=(const CoreThreads&) = delete;
  int threads() const;
  // The host CPUs this process may run on (its affinity mask): more threads than these would wait
  // for each other through the scheduler's time slices every quantum (a 2-thread run pinned to one
  // CPU took 200x its one-thread time), so the array uses at most this many.
  static int usable_cpus();
  // job(i) for every i in [0, n): i on thread i % threads (0: the caller); returns when every job
  // returned. A job must not throw.
  void run(size_t n, const std::function<void(size_t)>& job);
  // One wait of a spinning loop (its `spins`-th): a pause instruction, the time slice given up
  // after a while (another thread of the process may need this CPU).
  static void relax(int spins);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attncheck::aie2::array
