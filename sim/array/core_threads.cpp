// Host threads that run the cores' isolated stretches of one scheduler quantum at once (Array::call).
#include "sim/array/core_threads.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATTNCHECK_CPU_RELAX() _mm_pause()
#else
#define ATTNCHECK_CPU_RELAX() std::this_thread::yield()
#endif

namespace attncheck::aie2::array {

namespace {
// At most about 50 us of pause instructions before a waiter gives up its CPU: longer than the
// caller's work between two quanta (the DMA catching up), far shorter than a call's setup. Counted
// in pauses measured on this CPU: a pause lasts from a few ns to over 100 by microarchitecture
// (23.6 ns on the development machine's EPYC, where a fixed 20,000 spun 470 us).
constexpr auto kSpinTime = std::chrono::microseconds(50);
// The fewest pauses of a spin budget (SpinWait): about 1.5 us here.
constexpr int kMinSpins = 64;
int spin_limit() {
  static const int limit = [] {
    constexpr int kProbe = 2000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kProbe; ++i) ATTNCHECK_CPU_RELAX();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kProbe;
    const double n = std::chrono::duration<double, std::nano>(kSpinTime).count() / std::max(ns, 1.0);
    return static_cast<int>(std::min(20000.0, std::max(static_cast<double>(kMinSpins), n)));
  }();
  return limit;
}
// This thread's spin budget (SpinWait): the limit while waits end within it, halved down to
// kMinSpins after each wait that outlasted it, doubled back after each that did not.
thread_local int spin_budget = 0;  // 0: not yet set (spin_limit)
// After the spins, a few time slices given up: the thread waited for may be queued on this CPU.
constexpr int kYields = 16;
// Then naps: a waiter that only yields keeps its CPU busy while the thread it waits for may sit in
// another CPU's run queue.
constexpr auto kNap = std::chrono::microseconds(50);
}  // namespace

CoreThreads::SpinWait::SpinWait() {
  if (spin_budget == 0) spin_budget = spin_limit();
  budget_ = spin_budget;
}

CoreThreads::SpinWait::~SpinWait() {
  spin_budget = spins_ < budget_ ? std::min(spin_limit(), 2 * budget_) : std::max(kMinSpins, budget_ / 2);
}

void CoreThreads::SpinWait::step() {
  const int k = spins_++;
  if (k < budget_) ATTNCHECK_CPU_RELAX();
  else if (k < budget_ + kYields) std::this_thread::yield();
  else std::this_thread::sleep_for(kNap);
}

struct CoreThreads::Impl {
  int threads = 1;
  std::vector<std::thread> workers;
  // Sequentially consistent: a worker announces it sleeps, then re-reads the generation; the
  // caller bumps the generation, then reads the sleepers. One of them sees the other.
  std::atomic<uint64_t> generation{0};
  std::atomic<int> sleepers{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::condition_variable wake;
  size_t n = 0;
  const std::function<void(size_t)>* job = nullptr;

  void work(int k) {
    uint64_t seen = 0;
    while (true) {
      {
        SpinWait wait;  // spins, then sleeps until the caller's next quantum (or the end)
        while (generation.load() == seen && !stop.load()) {
          if (wait.spinning()) {
            wait.step();
            continue;
          }
          std::unique_lock<std::mutex> lock(m);
          ++sleepers;
          wake.wait(lock, [&] { return generation.load() != seen || stop.load(); });
          --sleepers;
        }
      }
      if (stop.load()) return;
      seen = generation.load();
      for (size_t i = static_cast<size_t>(k); i < n; i += static_cast<size_t>(threads)) (*job)(i);
      pending.fetch_sub(1);
    }
  }
};

CoreThreads::CoreThreads(int threads) : impl_(std::make_unique<Impl>()) {
  const int want = threads < 1 ? 1 : threads;
  impl_->threads = want;
  try {
    for (int k = 1; k < want; ++k) impl_->workers.emplace_back([this, k] { impl_->work(k); });
  } catch (...) {
    // A worker that cannot start (ulimit -v: no stack, or no memory for its state) must not leave
    // the started ones joinable in a destroyed vector (std::terminate): they are stopped and
    // joined, and the run ends as out of memory (main's one line, exit 2).
    {
      std::lock_guard<std::mutex> lock(impl_->m);
      impl_->stop.store(true);
    }
    impl_->wake.notify_all();
    for (auto& w : impl_->workers) w.join();
    throw std::bad_alloc();
  }
}

CoreThreads::~CoreThreads() {
  {
    std::lock_guard<std::mutex> lock(impl_->m);
    impl_->stop.store(true);
  }
  impl_->wake.notify_all();
  for (auto& w : impl_->workers) w.join();
}

int CoreThreads::threads() const { return impl_->threads; }

int CoreThreads::usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void CoreThreads::run(size_t n, const std::function<void(size_t)>& job) {
  Impl& s = *impl_;
  if (s.threads == 1 || n < 2) {
    for (size_t i = 0; i < n; ++i) job(i);
    return;
  }
  s.n = n;
  s.job = &job;
  s.pending.store(s.threads - 1);
  s.generation.fetch_add(1);
  if (s.sleepers.load() > 0) {
    std::lock_guard<std::mutex> lock(s.m);
    s.wake.notify_all();
  }
  for (size_t i = 0; i < n; i += static_cast<size_t>(s.threads)) job(i);
  SpinWait wait;
  while (s.pending.load() != 0) wait.step();
}

}  // namespace attncheck::aie2::array
