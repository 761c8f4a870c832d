// Cooperative interruption: the CLI's SIGINT/SIGTERM handlers set a flag that long loops and atomic writers check.
#pragma once
#include <atomic>
#include <csignal>
#include <stdexcept>
#include <string>

namespace attncheck {

// The signal that asked the process to stop, 0 while none has. A lock-free atomic, so the signal
// handler may store it and worker threads see it without a lock.
inline std::atomic<int> g_interrupt_signal{0};

inline std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal " + std::to_string(sig);
  }
}

// Thrown where work notices the flag; the CLI maps it to exit 128 + signal (130 SIGINT, 143 SIGTERM).
struct Interrupted : std::runtime_error {
  explicit Interrupted(int sig) : std::runtime_error("interrupted by " + signal_name(sig)), signal(sig) {}
  int signal;
};

inline bool interrupted() { return g_interrupt_signal.load(std::memory_order_relaxed) != 0; }

inline void throw_if_interrupted() {
  if (const int sig = g_interrupt_signal.load(std::memory_order_relaxed)) throw Interrupted(sig);
}

}  // namespace attncheck
