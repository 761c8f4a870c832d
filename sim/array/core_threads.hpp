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
  // One wait for another thread, step by step: pause instructions while within this host
  // thread's spin budget, then its time slice given up a few times, then naps of 50 us. The budget
  // is about 50 us of pauses while this thread's waits end within it, and shrinks (halved per
  // wait, down to a few pauses) while they outlast it: with more runnable threads than CPUs (two
  // 2-thread runs on 2 CPUs, as ctest -j2 runs the thread tests) the thread waited for is not
  // running, and spinning only keeps it from a CPU. A run with a CPU per thread keeps its budget.
  class SpinWait {
   public:
    SpinWait();
    ~SpinWait();  // sets the budget of this thread's next wait
    SpinWait(const SpinWait&) = delete;
    SpinWait& operator=(const SpinWait&) = delete;
    void step();
    bool spinning() const { return spins_ < budget_; }  // still within the budget (a worker then sleeps)
    int budget() const { return budget_; }  // this wait's pauses before it gives up the CPU

   private:
    int spins_ = 0, budget_ = 0;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attncheck::aie2::array
