// Accuracy metrics of a device-under-test output against the golden output and the integer model.
#pragma once
#include <array>
#include <map>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/tensor.hpp"

namespace attncheck {

// InputError "NAME: NaN at [h, s, d]" (or Inf, -Inf) for the first value that is not finite.
void check_finite(const DoubleTensor& t, const std::string& name);
void check_finite(const FloatTensor& t, const std::string& name);

// Tolerance buckets reported as `within` (share of |dut - golden| <= t), in output LSB.
constexpr std::array<int, 5> kWithinBuckets = {0, 1, 2, 5, 10};

// A metric that can be undefined (constant output, zero norm) carries a reason instead of NaN.
struct MaybeValue {
  std::optional<double> value;
  std::string reason;  // set when value is empty
};

struct VsGolden {
  MaybeValue correlation;  // Pearson, as np.corrcoef(dut, golden)[0, 1]
  double mae = 0, rmse = 0, max_abs_error = 0;
  std::array<int64_t, 3> max_abs_error_at{};  // [h, s, d] of the first largest error
  std::vector<std::pair<int, double>> within;  // bucket -> fraction in [0, 1]
  MaybeValue sqnr_db;      // 10 log10(sum golden^2 / sum err^2); empty when the error is zero
  MaybeValue cosine;
  double output_min = 0, output_max = 0;  // of the dut
  size_t count = 0;
};

struct Mismatch {
  std::array<int64_t, 3> at{};  // [h, s, d]
  double device = 0, model = 0, golden = 0;
};

struct VsModel {
  bool bit_exact = true;
  size_t mismatches = 0;
  std::vector<std::array<int64_t, 2>> mismatch_rows;  // [h, s], ascending
  std::vector<Mismatch> first_mismatches;              // the first `max_listed` in index order
  // device - model of every differing element, by difference: what a change of arithmetic looks
  // like (a rounding change is +/-1 in about half the elements; corruption is wide and scattered).
  std::map<int64_t, size_t> differences;
};

// InputError when shapes differ or an array holds NaN/Inf (`dut_name`, `golden_name` name them).
VsGolden compare_to_golden(const DoubleTensor& dut, const DoubleTensor& golden,
                           const std::string& dut_name = "dut", const std::string& golden_name = "golden");
// The same metrics, bit for bit, of an int8 output (no widened copy).
VsGolden compare_to_golden(const Int8Tensor& dut, const DoubleTensor& golden,
                           const std::string& dut_name = "dut", const std::string& golden_name = "golden");
// And against an FP32 golden (no widened copy of it either): the same metrics, bit for bit.
VsGolden compare_to_golden(const Int8Tensor& dut, const FloatTensor& golden,
                           const std::string& dut_name = "dut", const std::string& golden_name = "golden");
// Exact comparison: a single differing element makes bit_exact false.
VsModel compare_to_model(const DoubleTensor& dut, const DoubleTensor& model, const DoubleTensor& golden,
                         size_t max_listed = 16);

nlohmann::json to_json(const VsGolden& m);
nlohmann::json to_json(const VsModel& m);

DoubleTensor to_double(const Int8Tensor& t);
DoubleTensor to_double(const FloatTensor& t);

}  // namespace attncheck
