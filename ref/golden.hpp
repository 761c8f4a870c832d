// The golden model: softmax(Q.K^T * scale).V in FP32 with PyTorch's semantics, and FP64 to measure FP32's error.
#pragma once
#include <optional>
#include <string>

#include "ref/tensor.hpp"

namespace attncheck {

struct GoldenOptions {
  // Multiplies the real-valued logits; 1/sqrt(D) when empty (the seeds' "/ 8" for D = 64).
  std::optional<double> logit_scale;
};

double default_logit_scale(const Shape& s);

// Inputs are int8 values taken as floats times their per-tensor scales; the result is the real
// output divided by the output scale, i.e. in LSB of the device output.
// At fast::active_level(): the fast path (blocked rows, threads, vectorized exp) for D = 64,
// else the reference below; the two agree to FP32 rounding.
FloatTensor golden_attention_fp32(const AttentionInputs& in, const GoldenOptions& opt = {});
// The whole-head Eigen computation, kept as the reference the fast path is tested against.
FloatTensor golden_attention_fp32_reference(const AttentionInputs& in, const GoldenOptions& opt = {});
DoubleTensor golden_attention_fp64(const AttentionInputs& in, const GoldenOptions& opt = {});

// Why the scales put the golden model outside its precision's range ("" when they do not): a
// scale or a derived factor that rounds to 0 or Inf, or is subnormal, in FP32 (fp64 false) or
// FP64, or logits or outputs that int8 inputs could drive to Inf. Such a model would write
// Inf/NaN or quietly become argmax attention, so callers refuse the fixture instead.
std::string golden_range_problem(const AttentionInputs& in, bool fp64, const GoldenOptions& opt = {});

}  // namespace attncheck
