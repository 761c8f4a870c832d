// Progress of long work: the terminal bar, the CI log lines, and where a command's text goes.
#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "ref/errors.hpp"

namespace attncheck {
namespace {
std::atomic<bool> g_text_to_stderr{false};
}  // namespace

FILE* text_stream() { return g_text_to_stderr.load() ? stderr : stdout; }
void send_text_to_stderr() { g_text_to_stderr.store(true); }

void print(const std::string& raw) {
  const std::string text = terminal_text(raw);
  std::fwrite(text.data(), 1, text.size(), text_stream());
  std::fflush(text_stream());
}

Progress::Progress(std::string what, size_t total) : what_(std::move(what)), total_(total) {
  tty_ = isatty(STDERR_FILENO) != 0;
  if (const char* s = std::getenv("ATTNCHECK_PROGRESS_SECONDS"); s && *s) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end != s && *end == '\0' && v >= 0) interval_s_ = v;
  }
  start_ = last_ = std::chrono::steady_clock::now();
  const auto tick = std::chrono::milliseconds(tty_ ? 100 : std::max(100, static_cast<int>(interval_s_ * 1000 / 4)));
  try {
    ticker_ = std::thread([this, tick] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!wake_.wait_for(lock, tick, [this] { return stop_; })) {
        lock.unlock();
        try {
          show(false);
        } catch (...) {  // a line that cannot be built (out of memory) is skipped: an exception
        }                // leaving this thread would end the process
        lock.lock();
      }
    });
  } catch (...) {  // no thread (ulimit -v): no ticker, the stages still print
  }
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (tty_ && drawn_) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
  }
}

void Progress::advance(size_t n) {
  done_ += n;
  show(false);
}

void Progress::set(size_t done) {
  done_ = done;
  show(false);
}

void Progress::stage(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stage_ = name;
  }
  show(false);
}

void Progress::show(bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  const double since_start = std::chrono::duration<double>(now - start_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const size_t done = done_.load();
  if (tty_) {
    if (!force && (since_start < 0.5 || (drawn_ && since_last < 0.1 && done < total_))) return;
    const int width = 30;
    const int filled = total_ ? static_cast<int>(width * std::min(done, total_) / total_) : width;
    std::fprintf(stderr, "\r  %s [%s%s] %zu/%zu%s%s\033[K", terminal_text(what_).c_str(),
                 std::string(static_cast<size_t>(filled), '#').c_str(), std::string(static_cast<size_t>(width - filled), '.').c_str(),
                 done, total_, stage_.empty() ? "" : ": ", terminal_text(stage_).c_str());
    std::fflush(stderr);
    drawn_ = true;
  } else {
    if (!force && (since_last < interval_s_ || since_start < interval_s_)) return;
    std::fprintf(text_stream(), "  progress  %s: %zu/%zu%s%s (%.0f s)\n", terminal_text(what_).c_str(), done, total_,
                 stage_.empty() ? "" : ", ", terminal_text(stage_).c_str(), since_start);
    std::fflush(text_stream());
  }
  last_ = now;
}

}  // namespace attncheck
