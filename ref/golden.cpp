// The golden model: the Eigen reference one head at a time (scores, a max-subtracted row softmax, P.V) and the dispatch to its fast path.
#include "ref/golden.hpp"

#include <cmath>
#include <sstream>

#include <Eigen/Dense>

#include "ref/fast.hpp"

namespace attncheck {
namespace {

template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
Tensor<T> golden_attention(const AttentionInputs& in, const GoldenOptions& opt) {
  const Shape& sh = in.shape();
  const auto S = static_cast<Eigen::Index>(sh.seq), D = static_cast<Eigen::Index>(sh.dim);
  // Integer dot products are exact in FP32 below 2^24 (|Q.K| <= D * 2^14), so the scales can be
  // applied once to the scores instead of to every input element.
  const T logit = static_cast<T>(opt.logit_scale ? *opt.logit_scale : default_logit_scale(sh)) *
                  static_cast<T>(in.scales.q) * static_cast<T>(in.scales.k);
  const T out_factor = static_cast<T>(in.scales.v / in.scales.out);
  Tensor<T> out(sh);
  RowMatrix<T> scores(S, S);
  for (int64_t h = 0; h < sh.heads; ++h) {
    using Int8Map = Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
    RowMatrix<T> q = Int8Map(in.q.head(h), S, D).template cast<T>();
    RowMatrix<T> k = Int8Map(in.k.head(h), S, D).template cast<T>();
    RowMatrix<T> v = Int8Map(in.v.head(h), S, D).template cast<T>();
    scores.noalias() = q * k.transpose();
    scores *= logit;
    for (Eigen::Index i = 0; i < S; ++i) {
      auto row = scores.row(i);
      const T m = row.maxCoeff();
      T sum = 0;
      for (Eigen::Index j = 0; j < S; ++j) {
        row(j) = std::exp(row(j) - m);
        sum += row(j);
      }
      row /= sum;
    }
    Eigen::Map<RowMatrix<T>> o(out.head(h), S, D);
    o.noalias() = scores * v;
    o *= out_factor;
  }
  return out;
}

}  // namespace

double default_logit_scale(const Shape& s) { return 1.0 / std::sqrt(static_cast<double>(s.dim)); }

namespace {

template <class T>
std::string range_problem(const AttentionInputs& in, const GoldenOptions& opt, const char* type) {
  const auto normal = [](T x) { return std::isfinite(x) && std::fpclassify(x) == FP_NORMAL; };
  auto text = [](double x) {
    std::ostringstream o;
    o << x;
    return o.str();
  };
  const std::pair<const char*, double> scales[] = {
      {"q", in.scales.q}, {"k", in.scales.k}, {"v", in.scales.v}, {"out", in.scales.out}};
  for (const auto& [name, x] : scales)
    if (!normal(static_cast<T>(x)))
      return std::string("scales.") + name + " " + text(x) + " is not a normal " + type + " number";
  // The same factors golden_attention forms, in the same type.
  const T logit = static_cast<T>(opt.logit_scale ? *opt.logit_scale : default_logit_scale(in.shape())) *
                  static_cast<T>(in.scales.q) * static_cast<T>(in.scales.k);
  const T out_factor = static_cast<T>(in.scales.v / in.scales.out);
  if (!normal(logit)) return "the logit factor scales.q * scales.k / sqrt(D) = " + text(logit) + " is out of " + type + " range";
  if (!normal(out_factor)) return "scales.v / scales.out = " + text(out_factor) + " is out of " + type + " range";
  // |Q.K| <= D * 128^2 and |softmax . V| <= 128 for int8 inputs: the largest values the model can meet.
  const T max_logit = logit * static_cast<T>(static_cast<double>(in.shape().dim) * 32768.0);
  if (!std::isfinite(max_logit)) return "logit differences up to " + text(logit) + " * 2 * D * 128^2 overflow " + type;
  if (!std::isfinite(out_factor * static_cast<T>(128))) return std::string("outputs up to scales.v / scales.out * 128 overflow ") + type;
  return "";
}

}  // namespace

std::string golden_range_problem(const AttentionInputs& in, bool fp64, const GoldenOptions& opt) {
  return fp64 ? range_problem<double>(in, opt, "FP64") : range_problem<float>(in, opt, "FP32");
}

FloatTensor golden_attention_fp32_reference(const AttentionInputs& in, const GoldenOptions& opt) {
  return golden_attention<float>(in, opt);
}

FloatTensor golden_attention_fp32(const AttentionInputs& in, const GoldenOptions& opt) {
  const fast::Level level = fast::active_level();
  if (level == fast::Level::scalar || in.shape().dim != 64) return golden_attention_fp32_reference(in, opt);
  return fast::golden_fp32(in, opt.logit_scale ? *opt.logit_scale : default_logit_scale(in.shape()), level);
}

DoubleTensor golden_attention_fp64(const AttentionInputs& in, const GoldenOptions& opt) {
  return golden_attention<double>(in, opt);
}

}  // namespace attncheck
