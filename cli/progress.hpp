// Progress of long work (run's stages, sim launches, suite cases): a bar on a terminal, periodic lines in CI logs.
#pragma once
#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace attncheck {

// Where the human-readable text of a command goes: stdout, or stderr once a command writes a
// document to stdout (`--json -`, `--md -`), so that the document pipes clean.
FILE* text_stream();
void send_text_to_stderr();
// A command's human-readable text to text_stream() (terminal-safe, flushed).
void print(const std::string& text);

// Work of `total` steps. On a terminal (stderr) a bar is redrawn in place, at most ten times a
// second, once the work has run for half a second; elsewhere (CI logs) one line goes to
// text_stream() every ATTNCHECK_PROGRESS_SECONDS (default 10), the first after that long, so
// short work prints nothing and a long job shows it is alive, also while one step takes long (a
// ticker thread; without it, when no thread can start, lines come only with advance()).
// advance() is thread-safe.
class Progress {
 public:
  Progress(std::string what, size_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void advance(size_t n = 1);
  void set(size_t done);
  // What the work is doing now ("golden model"), shown with the count.
  void stage(const std::string& name);

 private:
  void show(bool force);
  std::string what_, stage_;
  size_t total_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
  bool tty_ = false, drawn_ = false;
  double interval_s_ = 10;
  std::chrono::steady_clock::time_point start_, last_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace attncheck
