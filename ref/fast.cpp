// Fast paths of the models: picks the kernels for this CPU, splits work over threads, and walks row blocks.
#include "ref/fast.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "ref/errors.hpp"
#include "ref/fast_kernels.hpp"

namespace attncheck::fast {
namespace {

std::atomic<int> g_forced{-1};  // a Level, or -1 for automatic
std::atomic<int> g_jobs{0};

bool cpu_has(Level l) {
  switch (l) {
    case Level::scalar:
    case Level::portable: return true;
#if defined(__x86_64__) || defined(__i386__)
    // __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0).
    case Level::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Level::avx512vnni:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
#else
    default: return false;
#endif
  }
  return false;
}

const Kernels& kernels_for(Level l) {
  switch (l) {
    case Level::avx512vnni: return avx512vnni::kernels();
    case Level::avx2: return avx2::kernels();
    default: return portable::kernels();
  }
}

std::optional<Level> env_level() {
  const char* v = std::getenv("ATTNCHECK_ISA");
  if (!v || !*v) return std::nullopt;
  const Level l = parse_level(v);
  if (!cpu_has(l)) throw InputError("ATTNCHECK_ISA=" + std::string(v) + ": this CPU cannot run it");
  return l;
}

}  // namespace

std::string level_name(Level l) {
  switch (l) {
    case Level::scalar: return "scalar";
    case Level::portable: return "portable";
    case Level::avx2: return "avx2";
    case Level::avx512vnni: return "avx512vnni";
  }
  return "?";
}

Level parse_level(const std::string& name) {
  for (Level l : {Level::scalar, Level::portable, Level::avx2, Level::avx512vnni})
    if (level_name(l) == name) return l;
  throw InputError("unknown model level '" + name + "' (known: scalar, portable, avx2, avx512vnni)");
}

std::vector<Level> available_levels() {
  std::vector<Level> out;
  for (Level l : {Level::scalar, Level::portable, Level::avx2, Level::avx512vnni})
    if (cpu_has(l)) out.push_back(l);
  return out;
}

Level active_level() {
  const int f = g_forced.load();
  if (f >= 0) return static_cast<Level>(f);
  static const std::optional<Level> from_env = env_level();
  if (from_env) return *from_env;
  return available_levels().back();
}

void set_level(std::optional<Level> level) {
  if (level && !cpu_has(*level)) throw InputError("model level " + level_name(*level) + ": this CPU cannot run it");
  g_forced.store(level ? static_cast<int>(*level) : -1);
}

void set_jobs(int n) { g_jobs.store(std::max(0, n)); }

int jobs() {
  const int n = g_jobs.load();
  if (n > 0) return n;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  const size_t threads = std::min(n, static_cast<size_t>(jobs()));
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(n);  // the others stop at their next item
      }
    }
  };
  std::vector<std::thread> pool;
  // Under a memory limit (ulimit -v) a thread's stack may not map: the work runs on the threads
  // that started, with the same result, instead of a joinable std::thread ending the process.
  try {
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  } catch (const std::system_error&) {
  }
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

namespace {

constexpr int kBlockRows = 64;  // query rows per work item: scores of one block are 64 x S int32

// What every head needs once, shared by the work items of that head.
struct PackedHeads {
  int n = 0, npad = 0;
  std::vector<int16_t> k;   // H x packed K
  std::vector<int32_t> v32; // H x S x 64, for the integer models
  std::vector<float> vf;    // H x S x 64, for the golden model
  const int16_t* kh(int64_t h) const { return k.data() + static_cast<size_t>(h) * npad * kD; }
};

PackedHeads pack_heads(const Kernels& kr, const AttentionInputs& in, bool int_v, bool float_v) {
  const Shape& sh = in.shape();
  PackedHeads p;
  p.n = static_cast<int>(sh.seq);
  p.npad = padded_keys(p.n);
  p.k.resize(static_cast<size_t>(sh.heads) * p.npad * kD);
  if (int_v) p.v32.resize(sh.count());
  if (float_v) p.vf.resize(sh.count());
  parallel_for(static_cast<size_t>(sh.heads), [&](size_t h) {
    kr.pack_k(in.k.head(static_cast<int64_t>(h)), p.n, p.k.data() + h * p.npad * kD);
    const int8_t* v = in.v.head(static_cast<int64_t>(h));
    const size_t base = h * sh.head_size();
    for (size_t i = 0; i < sh.head_size(); ++i) {
      if (int_v) p.v32[base + i] = v[i];
      if (float_v) p.vf[base + i] = v[i];
    }
  });
  return p;
}

void check_dim(const Shape& sh, const char* who) {
  if (sh.dim != kD) throw InputError(std::string(who) + ": the fast path needs D = 64, got " + std::to_string(sh.dim));
}

}  // namespace

Int8Tensor two_pass_exp_model(const AttentionInputs& in, Level level, const ExpWords& words, const RowRequant& requant) {
  const Shape& sh = in.shape();
  check_dim(sh, "two-pass exp model");
  const Kernels& kr = kernels_for(level);
  const PackedHeads ph = pack_heads(kr, in, true, false);
  const int64_t blocks = (sh.seq + kBlockRows - 1) / kBlockRows;
  Int8Tensor out(sh);
  // Each Q block's scores are computed once and serve both passes: the integers are the ones the
  // reference computes twice, so the result is the same bit for bit.
  parallel_for(static_cast<size_t>(sh.heads * blocks), [&](size_t item) {
    const int64_t h = static_cast<int64_t>(item) / blocks, qb = static_cast<int64_t>(item) % blocks;
    const int rows = static_cast<int>(std::min<int64_t>(kBlockRows, sh.seq - qb * kBlockRows));
    thread_local std::vector<int32_t> scores;
    thread_local std::vector<uint32_t> e;
    scores.resize(static_cast<size_t>(kBlockRows) * ph.npad);
    e.resize(ph.npad);
    const int8_t* q = in.q.head(h) + qb * kBlockRows * kD;
    kr.qk(q, rows, ph.kh(h), ph.n, scores.data(), ph.npad);
    const int32_t* v32 = ph.v32.data() + static_cast<size_t>(h) * sh.head_size();
    int32_t acc[kD];
    for (int i = 0; i < rows; ++i) {
      const int32_t* s = scores.data() + static_cast<size_t>(i) * ph.npad;
      const int32_t m = kr.row_max(s, ph.n, std::numeric_limits<int32_t>::min());
      kr.exp_row(s, ph.n, m, words, e.data());
      std::fill(acc, acc + kD, 0);
      uint32_t l = 0;
      kr.pv_int(e.data(), ph.n, v32, acc, &l);
      requant(acc, l, out.head(h) + (qb * kBlockRows + i) * kD);
    }
  });
  return out;
}

Int8Tensor tile_model(const AttentionInputs& in, Level level, const TileSoftmaxRow& softmax_row, TileRequant requant) {
  const Shape& sh = in.shape();
  check_dim(sh, "tile model");
  if (sh.seq != 64) throw InputError("tile model: the fast path is for 64x64 tiles, got S = " + std::to_string(sh.seq));
  const Kernels& kr = kernels_for(level);
  Int8Tensor out(sh);
  parallel_for(static_cast<size_t>(sh.heads), [&](size_t hh) {
    const int64_t h = static_cast<int64_t>(hh);
    const int n = static_cast<int>(sh.seq);
    const int npad = padded_keys(n);
    std::vector<int16_t> kp(static_cast<size_t>(npad) * kD);
    std::vector<int32_t> scores(static_cast<size_t>(n) * npad);
    kr.pack_k(in.k.head(h), n, kp.data());
    kr.qk(in.q.head(h), n, kp.data(), n, scores.data(), npad);
    const int8_t* v = in.v.head(h);
    for (int i = 0; i < n; ++i) {
      int8_t w[64];
      softmax_row(scores.data() + static_cast<size_t>(i) * npad, w);
      // acc[c] = sum_j w[j] * V[j][c]: rows of V in order, so the inner loop runs over columns.
      int32_t acc[kD] = {};
      for (int j = 0; j < n; ++j)
        for (int c = 0; c < kD; ++c) acc[c] += int32_t{w[j]} * int32_t{v[j * kD + c]};
      for (int c = 0; c < kD; ++c) out.at(h, i, c) = requant(acc[c]);
    }
  });
  return out;
}

FloatTensor golden_fp32(const AttentionInputs& in, double logit_scale, Level level) {
  const Shape& sh = in.shape();
  check_dim(sh, "golden");
  // As the reference: integer scores are exact in FP32, so the scales apply once to the scores.
  const float logit = static_cast<float>(logit_scale) * static_cast<float>(in.scales.q) * static_cast<float>(in.scales.k);
  const float out_factor = static_cast<float>(in.scales.v / in.scales.out);
  const Kernels& kr = kernels_for(level);
  const PackedHeads ph = pack_heads(kr, in, false, true);
  const int64_t blocks = (sh.seq + kBlockRows - 1) / kBlockRows;
  FloatTensor out(sh);
  parallel_for(static_cast<size_t>(sh.heads * blocks), [&](size_t item) {
    const int64_t h = static_cast<int64_t>(item) / blocks, qb = static_cast<int64_t>(item) % blocks;
    const int rows = static_cast<int>(std::min<int64_t>(kBlockRows, sh.seq - qb * kBlockRows));
    thread_local std::vector<int32_t> scores;
    thread_local std::vector<float> p;
    scores.resize(static_cast<size_t>(kBlockRows) * ph.npad);
    p.resize(2 * static_cast<size_t>(ph.npad));
    kr.qk(in.q.head(h) + qb * kBlockRows * kD, rows, ph.kh(h), ph.n, scores.data(), ph.npad);
    const float* v = ph.vf.data() + static_cast<size_t>(h) * sh.head_size();
    for (int i = 0; i < rows; i += 2) {
      const int pair = std::min(2, rows - i);
      float sum[2], acc[2][kD];
      for (int r = 0; r < pair; ++r) {
        const int32_t* s = scores.data() + static_cast<size_t>(i + r) * ph.npad;
        const int32_t m = kr.row_max(s, ph.n, std::numeric_limits<int32_t>::min());
        sum[r] = kr.softmax_f32(s, ph.n, m, logit, p.data() + r * ph.npad);
      }
      const float* p1 = p.data() + (pair == 2 ? ph.npad : 0);
      kr.pv_f32(p.data(), p1, ph.n, v, acc[0], acc[1]);
      for (int r = 0; r < pair; ++r) {
        // Normalizing the 64 sums instead of the S weights: the same value to FP32 rounding.
        const float f = out_factor / sum[r];
        float* o = out.head(h) + (qb * kBlockRows + i + r) * kD;
        for (int c = 0; c < kD; ++c) o[c] = acc[r][c] * f;
      }
    }
  });
  return out;
}

}  // namespace attncheck::fast
