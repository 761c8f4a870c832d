// Accuracy metrics of a device-under-test output against the golden output and the integer model.
#include "compare/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

#include "ref/errors.hpp"
#include "ref/fast.hpp"

namespace attncheck {
namespace {

std::array<int64_t, 3> unflatten(const Shape& s, size_t i) {
  const auto dim = static_cast<size_t>(s.dim), seq = static_cast<size_t>(s.seq);
  return {static_cast<int64_t>(i / (seq * dim)), static_cast<int64_t>((i / dim) % seq),
          static_cast<int64_t>(i % dim)};
}

std::string index_str(const std::array<int64_t, 3>& at) {
  return "[" + std::to_string(at[0]) + ", " + std::to_string(at[1]) + ", " + std::to_string(at[2]) + "]";
}

// A tensor whose data does not match its shape would make every index below lie.
template <class T>
void check_consistent(const Tensor<T>& t, const std::string& name) {
  if (t.shape.heads < 0 || t.shape.seq < 0 || t.shape.dim < 0 || t.data.size() != t.shape.count())
    throw InputError(name + ": shape " + t.shape.str() + " does not match its " + std::to_string(t.data.size()) +
                     " elements");
}

void check_same_shape(const DoubleTensor& a, const std::string& a_name, const DoubleTensor& b,
                      const std::string& b_name) {
  check_consistent(a, a_name);
  check_consistent(b, b_name);
  if (a.shape != b.shape)
    throw InputError(a_name + ": shape " + a.shape.str() + " does not match " + b_name + " shape " +
                     b.shape.str());
}


// "dut" reads "dut output is constant"; a caller's "device output" must not become "output output".
std::string as_output(const std::string& name) {
  const std::string suffix = "output";
  const bool has = name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  return has ? name : name + " output";
}

MaybeValue value(double v) { return MaybeValue{v, ""}; }
MaybeValue undefined(std::string reason) { return MaybeValue{std::nullopt, std::move(reason)}; }

// Blocks bound the rounding growth of long sums (as numpy's pairwise sum does) at no extra pass.
constexpr size_t kBlock = 1024;
constexpr size_t kBlocksPerItem = 64;  // blocks per work item of the parallel passes

}  // namespace

// NaN would poison every sum, and JSON cannot carry it, so it is refused up front with its position.
namespace {

template <class T>
void check_finite_impl(const Tensor<T>& t, const std::string& name) {
  const T* p = t.data.data();
  const size_t n = t.data.size();
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(p[i])) continue;
    const char* what = std::isnan(p[i]) ? "NaN" : (p[i] > 0 ? "Inf" : "-Inf");
    throw InputError(name + ": " + what + " at " + index_str(unflatten(t.shape, i)));
  }
}

}  // namespace

void check_finite(const DoubleTensor& t, const std::string& name) { check_finite_impl(t, name); }
void check_finite(const FloatTensor& t, const std::string& name) { check_finite_impl(t, name); }

namespace {

// A DUT held as int8 is read as doubles where it is used: the same values as to_double's, without
// a widened copy of the whole output.
template <class T, class G>
void check_dut(const Tensor<T>& dut, const std::string& dut_name, const Tensor<G>& golden, const std::string& golden_name) {
  if (dut.shape.heads < 0 || dut.shape.seq < 0 || dut.shape.dim < 0 || dut.data.size() != dut.shape.count())
    throw InputError(dut_name + ": shape " + dut.shape.str() + " does not match its " + std::to_string(dut.data.size()) +
                     " elements");
  check_consistent(golden, golden_name);
  if (dut.shape != golden.shape)
    throw InputError(dut_name + ": shape " + dut.shape.str() + " does not match " + golden_name + " shape " +
                     golden.shape.str());
  if constexpr (std::is_same_v<T, double>) check_finite(dut, dut_name);
}

// A golden held as FP32 (run's, as computed) is read as doubles too: float to double is exact, so
// every sum below is the one a widened copy gives, bit for bit.
template <class T, class G>
VsGolden compare_impl(const Tensor<T>& dut, const Tensor<G>& golden, const std::string& dut_name,
                      const std::string& golden_name) {
  check_dut(dut, dut_name, golden, golden_name);
  check_finite(golden, golden_name);
  const size_t n = dut.data.size();
  if (n == 0) throw InputError(dut_name + ": empty array (shape " + dut.shape.str() + ")");
  const T* d = dut.data.data();
  const G* gp = golden.data.data();
  const auto dv = [d](size_t i) { return static_cast<double>(d[i]); };
  const auto g = [gp](size_t i) { return static_cast<double>(gp[i]); };

  // Both passes sum each block of kBlock elements on its own and then add the blocks' sums in
  // block order, so the blocks can run on several threads (groups of kBlocksPerItem) with the
  // same bits as one thread.
  const size_t blocks = (n + kBlock - 1) / kBlock;
  const size_t items = (blocks + kBlocksPerItem - 1) / kBlocksPerItem;
  const auto for_blocks = [&](const std::function<void(size_t block, size_t begin, size_t end)>& fn) {
    fast::parallel_for(items, [&](size_t item) {
      for (size_t blk = item * kBlocksPerItem; blk < std::min(blocks, (item + 1) * kBlocksPerItem); ++blk)
        fn(blk, blk * kBlock, std::min(n, (blk + 1) * kBlock));
    });
  };

  // Pass 1: means (for the centred covariance np.corrcoef uses) and ranges.
  struct Pass1 {
    double sum_d = 0, sum_g = 0, dmin = 0, dmax = 0, gmin = 0, gmax = 0;
  };
  std::vector<Pass1> p1(blocks);
  for_blocks([&](size_t blk, size_t b, size_t e) {
    Pass1& q = p1[blk];
    q.dmin = q.dmax = dv(b), q.gmin = q.gmax = g(b);
    for (size_t i = b; i < e; ++i) {
      q.sum_d += dv(i);
      q.sum_g += g(i);
      q.dmin = std::min(q.dmin, dv(i));
      q.dmax = std::max(q.dmax, dv(i));
      q.gmin = std::min(q.gmin, g(i));
      q.gmax = std::max(q.gmax, g(i));
    }
  });
  double sum_d = 0, sum_g = 0;
  double dmin = dv(0), dmax = dv(0), gmin = g(0), gmax = g(0);
  for (const Pass1& q : p1) {
    sum_d += q.sum_d;
    sum_g += q.sum_g;
    dmin = std::min(dmin, q.dmin), dmax = std::max(dmax, q.dmax);
    gmin = std::min(gmin, q.gmin), gmax = std::max(gmax, q.gmax);
  }
  const double mean_d = sum_d / static_cast<double>(n);
  const double mean_g = sum_g / static_cast<double>(n);

  // Pass 2: everything else.
  struct Pass2 {
    double cov = 0, var_d = 0, var_g = 0, abs_err = 0, sq_err = 0, sq_g = 0, sq_d = 0, dot = 0;
    double max_err = -1;
    size_t max_at = 0;
    std::array<size_t, kWithinBuckets.size()> within{};
  };
  std::vector<Pass2> p2(blocks);
  for_blocks([&](size_t blk, size_t b, size_t e) {
    Pass2& q = p2[blk];
    for (size_t i = b; i < e; ++i) {
      const double cd = dv(i) - mean_d, cg = g(i) - mean_g;
      q.cov += cd * cg;
      q.var_d += cd * cd;
      q.var_g += cg * cg;
      const double err = dv(i) - g(i);
      const double ae = std::fabs(err);
      q.abs_err += ae;
      q.sq_err += err * err;
      q.sq_g += g(i) * g(i);
      q.sq_d += dv(i) * dv(i);
      q.dot += dv(i) * g(i);
      if (ae > q.max_err) {
        q.max_err = ae;
        q.max_at = i;
      }
      for (size_t k = 0; k < kWithinBuckets.size(); ++k) q.within[k] += ae <= kWithinBuckets[k];
    }
  });
  double cov = 0, var_d = 0, var_g = 0, abs_err = 0, sq_err = 0, sq_g = 0, sq_d = 0, dot = 0;
  double max_err = -1;
  size_t max_at = 0;
  std::array<size_t, kWithinBuckets.size()> within{};
  for (const Pass2& q : p2) {
    cov += q.cov;
    var_d += q.var_d;
    var_g += q.var_g;
    abs_err += q.abs_err;
    sq_err += q.sq_err;
    sq_g += q.sq_g;
    sq_d += q.sq_d;
    dot += q.dot;
    if (q.max_err > max_err) max_err = q.max_err, max_at = q.max_at;  // the first index of the largest
    for (size_t k = 0; k < kWithinBuckets.size(); ++k) within[k] += q.within[k];
  }
  // Finite inputs can still overflow a square; a report must never carry Inf.
  if (!std::isfinite(sq_err) || !std::isfinite(sq_g) || !std::isfinite(sq_d) || !std::isfinite(var_d) ||
      !std::isfinite(var_g) || !std::isfinite(cov) || !std::isfinite(dot))
    throw InputError(dut_name + ": values too large to compare with " + golden_name + " (sums overflow)");

  VsGolden m;
  m.count = n;
  const double dn = static_cast<double>(n);
  m.mae = abs_err / dn;
  m.rmse = std::sqrt(sq_err / dn);
  m.max_abs_error = max_err;
  m.max_abs_error_at = unflatten(dut.shape, max_at);
  m.output_min = dmin;
  m.output_max = dmax;
  for (size_t k = 0; k < kWithinBuckets.size(); ++k)
    m.within.emplace_back(kWithinBuckets[k], static_cast<double>(within[k]) / dn);

  // Constancy is decided from the range, not the variance sum: a mean that rounds makes a
  // constant array's centred sum tiny but non-zero, and the correlation of noise.
  if (n < 2)
    m.correlation = undefined("fewer than 2 elements");
  else if (dmin == dmax)
    m.correlation = undefined(as_output(dut_name) + " is constant");
  else if (gmin == gmax)
    m.correlation = undefined(as_output(golden_name) + " is constant");
  else if (var_d == 0 || var_g == 0)  // subnormal spreads whose squares underflow
    m.correlation = undefined((var_d == 0 ? dut_name : golden_name) + " variance underflows to zero");
  else
    m.correlation = value(std::clamp(cov / std::sqrt(var_d * var_g), -1.0, 1.0));  // np.corrcoef clips too

  if (sq_err == 0)
    m.sqnr_db = undefined("error is zero");
  else if (sq_g == 0)
    m.sqnr_db = undefined(golden_name + " is all zero");
  else
    m.sqnr_db = value(10.0 * std::log10(sq_g / sq_err));

  if (sq_d == 0)
    m.cosine = undefined(dut_name + " norm is zero");
  else if (sq_g == 0)
    m.cosine = undefined(golden_name + " norm is zero");
  else
    m.cosine = value(std::clamp(dot / (std::sqrt(sq_d) * std::sqrt(sq_g)), -1.0, 1.0));
  return m;
}

}  // namespace

VsGolden compare_to_golden(const DoubleTensor& dut, const DoubleTensor& golden, const std::string& dut_name,
                           const std::string& golden_name) {
  return compare_impl(dut, golden, dut_name, golden_name);
}

VsGolden compare_to_golden(const Int8Tensor& dut, const DoubleTensor& golden, const std::string& dut_name,
                           const std::string& golden_name) {
  return compare_impl(dut, golden, dut_name, golden_name);
}

VsGolden compare_to_golden(const Int8Tensor& dut, const FloatTensor& golden, const std::string& dut_name,
                           const std::string& golden_name) {
  return compare_impl(dut, golden, dut_name, golden_name);
}

VsModel compare_to_model(const DoubleTensor& dut, const DoubleTensor& model, const DoubleTensor& golden,
                         size_t max_listed) {
  check_same_shape(dut, "dut", model, "model");
  check_same_shape(dut, "dut", golden, "golden");
  // The listed values go into JSON, which has no NaN; and NaN != NaN would fake a mismatch.
  check_finite(dut, "dut");
  check_finite(model, "model");
  check_finite(golden, "golden");
  VsModel m;
  const double* d = dut.data.data();
  const double* mo = model.data.data();
  const size_t n = dut.data.size();
  const size_t dim = static_cast<size_t>(dut.shape.dim);
  size_t last_row = std::numeric_limits<size_t>::max();
  for (size_t i = 0; i < n; ++i) {
    if (d[i] == mo[i]) continue;
    ++m.mismatches;
    ++m.differences[static_cast<int64_t>(std::llround(d[i] - mo[i]))];
    const size_t row = i / dim;  // index order visits rows in ascending order
    if (row != last_row) {
      last_row = row;
      const auto at = unflatten(dut.shape, i);
      m.mismatch_rows.push_back({at[0], at[1]});
    }
    if (m.first_mismatches.size() < max_listed)
      m.first_mismatches.push_back(Mismatch{unflatten(dut.shape, i), d[i], mo[i], golden.data[i]});
  }
  m.bit_exact = m.mismatches == 0;
  return m;
}

namespace {
void put(nlohmann::json& j, const std::string& key, const MaybeValue& v) {
  if (v.value) {
    j[key] = *v.value;
  } else {
    j[key] = nullptr;
    j[key + "_reason"] = v.reason.empty() ? std::string("undefined") : v.reason;
  }
}
}  // namespace

nlohmann::json to_json(const VsGolden& m) {
  nlohmann::json j = nlohmann::json::object();
  put(j, "correlation", m.correlation);
  j["mae"] = m.mae;
  j["rmse"] = m.rmse;
  j["max_abs_error"] = m.max_abs_error;
  j["max_abs_error_at"] = m.max_abs_error_at;
  nlohmann::json within = nlohmann::json::object();
  for (const auto& [t, share] : m.within) within[std::to_string(t)] = share;
  j["within"] = within;
  put(j, "sqnr_db", m.sqnr_db);
  put(j, "cosine", m.cosine);
  j["output_range"] = {m.output_min, m.output_max};
  j["count"] = m.count;
  return j;
}

nlohmann::json to_json(const VsModel& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : m.mismatch_rows) rows.push_back({r[0], r[1]});
  nlohmann::json first = nlohmann::json::array();
  for (const auto& x : m.first_mismatches)
    first.push_back({{"at", x.at}, {"device", x.device}, {"model", x.model}, {"golden", x.golden}});
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& [diff, n] : m.differences) hist.push_back({{"difference", diff}, {"count", n}});
  return {{"bit_exact", m.bit_exact}, {"mismatches", m.mismatches}, {"mismatch_rows", rows},
          {"first_mismatches", first}, {"difference_histogram", hist}};
}

namespace {
template <class T>
DoubleTensor widen(const Tensor<T>& t) {
  DoubleTensor out;
  out.shape = t.shape;
  out.data.assign(t.data.begin(), t.data.end());
  return out;
}
}  // namespace

DoubleTensor to_double(const Int8Tensor& t) { return widen(t); }
DoubleTensor to_double(const FloatTensor& t) { return widen(t); }

}  // namespace attncheck
