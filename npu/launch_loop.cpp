// The launch loop of the NPU runner with the device call injected, so assembly and the sentinel check run without a device.
#include "npu/launch_loop.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ref/errors.hpp"

namespace attncheck {

LoopResult run_launch_loop(const LaunchPlan& plan, const Shape& shape, const DeviceStep& step, const LoopOptions& opt) {
  if (opt.iterations < 1) throw InputError("--iterations: must be at least 1");
  if (opt.warmup < 0) throw InputError("--warmup: must be 0 or more");
  LoopResult r;
  r.output = Int8Tensor(shape);
  r.launches = plan.launches();
  const size_t out_bytes = plan.buffers().back().bytes;
  const int64_t D = shape.dim;
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<uint8_t> out(out_bytes), first(out_bytes);
  bool any_written = false;
  for (size_t i = 0; i < plan.launches(); ++i) {
    plan.pack(i, &inputs);
    int64_t head, row0, rows;
    plan.rows_of(i, &head, &row0, &rows);
    const int calls = opt.warmup + opt.iterations;
    bool unstable = false;
    for (int c = 0; c < calls; ++c) {
      // Refilled before every call: a call that writes nothing must not inherit the last one's output.
      std::fill(out.begin(), out.end(), opt.sentinel);
      const double us = step(i, inputs, out.data(), out_bytes);
      ++r.calls;
      if (c >= opt.warmup) r.latency_us.push_back(us);
      if (c == 0) first = out;
      else if (out != first) unstable = true;
    }
    if (unstable) r.unstable_launches.push_back(i);
    // Only the launch's valid rows count: rows past S in a partial last tile are never read back.
    int64_t untouched = 0;
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* p = out.data() + row * D;
      if (std::all_of(p, p + D, [&](uint8_t b) { return b == opt.sentinel; })) ++untouched;
    }
    if (untouched < rows) any_written = true;
    if (opt.on_launch) opt.on_launch(i + 1, plan.launches());
    if (untouched > 0) r.untouched.push_back({i, head, row0, rows, untouched});
    plan.unpack(i, out.data(), &r.output);
  }
  if (!any_written) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", opt.sentinel);
    throw DeviceError("output buffer was not written by the device: after all " + std::to_string(plan.launches()) +
                      " launches every output row still holds the " + hex +
                      " sentinel, so the kernel did not run (check that --insts belongs to --xclbin)");
  }
  return r;
}

namespace {

// numpy.percentile's default (linear) on sorted data.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.size() == 1) return sorted[0];
  const double pos = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

nlohmann::json latency_json(const std::vector<double>& us, int iterations, int warmup, size_t launches) {
  nlohmann::json j = {{"unit", "us"},
                      {"clock", "host steady_clock around run + wait; buffer syncs excluded"},
                      {"iterations", iterations},
                      {"warmup", warmup},
                      {"launches", launches},
                      {"calls", us.size()}};
  if (us.empty()) throw std::logic_error("latency_json: no measured calls");
  std::vector<double> s = us;
  std::sort(s.begin(), s.end());
  double sum = 0;
  for (double v : s) sum += v;
  const double mean = sum / static_cast<double>(s.size());
  double ss = 0;
  for (double v : s) ss += (v - mean) * (v - mean);
  j["mean"] = mean;
  j["stddev"] = s.size() > 1 ? std::sqrt(ss / static_cast<double>(s.size() - 1)) : 0.0;
  j["min"] = s.front();
  j["p50"] = percentile(s, 50);
  j["p95"] = percentile(s, 95);
  j["p99"] = percentile(s, 99);
  j["max"] = s.back();
  // Every call in order, so the HTML report can draw the histogram and a reader can spot drift.
  j["samples"] = us;
  return j;
}

nlohmann::json sentinel_json(const LoopResult& r, uint8_t sentinel) {
  nlohmann::json untouched = nlohmann::json::array();
  int64_t rows = 0;
  for (const auto& u : r.untouched) {
    untouched.push_back({{"launch", u.launch}, {"head", u.head}, {"first_row", u.first_row}, {"rows", u.rows},
                         {"untouched_rows", u.untouched}});
    rows += u.untouched;
  }
  return {{"value", sentinel},
          {"untouched_rows", rows},
          {"untouched_launches", untouched},
          {"unstable_launches", r.unstable_launches}};
}

std::vector<KernelBuffer> kernel_buffers(const LaunchPlan& plan, size_t insts_words) {
  std::vector<KernelBuffer> k = {{"instructions", 1, insts_words * sizeof(uint32_t), true, false}};
  for (const auto& b : plan.buffers()) k.push_back({b.name, b.group_id, b.bytes, false, b.is_output});
  return k;
}

std::vector<LaunchSpan> launch_spans(const LaunchPlan& plan, const Shape& shape) {
  const auto& b = plan.buffers();
  const size_t D = static_cast<size_t>(shape.dim);
  // Every launch's Q rows sit in one buffer, one D-byte row each; what else the inputs hold is the
  // part every row of the launch reads.
  std::string row_buffer, shared;
  int row_group = 0;
  size_t row_offset = 0;
  auto describe = [](const std::string& t) {
    if (t == "runtime_words") return std::string("the runtime words");
    if (t == "kv_pairs") return std::string("the head's K|V tiles");
    std::string u = t;
    for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  };
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    std::vector<std::string> others;
    size_t lo = SIZE_MAX, hi = 0;
    for (const auto& seg : b[i].segments) {
      if (seg.tensor == "q" || seg.tensor == "q_rows") {
        row_buffer = b[i].name, row_group = b[i].group_id, row_offset = seg.offset;
        continue;
      }
      if (seg.bytes == 0) continue;
      others.push_back(describe(seg.tensor));
      lo = std::min(lo, seg.offset), hi = std::max(hi, seg.offset + seg.bytes - 1);
    }
    if (others.empty()) continue;
    std::string what;
    for (size_t k = 0; k < others.size(); ++k) what += (k == 0 ? "" : k + 1 == others.size() ? " and " : ", ") + others[k];
    if (what.size() == 1 || what.find(" and ") != std::string::npos) what += " of the head";
    shared += (shared.empty() ? "" : " and ") + b[i].name + " (group " + std::to_string(b[i].group_id) + ") bytes " +
              std::to_string(lo) + ".." + std::to_string(hi) + " (" + what + ")";
  }
  std::vector<LaunchSpan> spans;
  for (size_t i = 0; i < plan.launches(); ++i) {
    LaunchSpan s;
    s.launch = i;
    plan.rows_of(i, &s.head, &s.first_row, &s.rows);
    s.row_buffer = row_buffer;
    s.row_group_id = row_group;
    s.row_offset = row_offset;
    s.row_bytes = D;
    s.shared = shared;
    spans.push_back(s);
  }
  return spans;
}

Watchdog::Watchdog(std::chrono::milliseconds ms, std::function<void()> on_expiry) {
  thread_ = std::thread([state = state_, ms, on_expiry = std::move(on_expiry)] {
    std::unique_lock<std::mutex> lock(state->mu);
    if (!state->cv.wait_for(lock, ms, [&state] { return state->done; })) on_expiry();
  });
}

void Watchdog::disarm() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->done = true;
  }
  state_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::keep_armed() {
  if (thread_.joinable()) thread_.detach();
}

Watchdog::~Watchdog() {
  if (thread_.joinable()) disarm();
}

}  // namespace attncheck
