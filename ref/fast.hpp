// Fast paths of the models: instruction-set dispatch, worker threads, and the fast model entry points.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ref/fast_kernels.hpp"
#include "ref/registry.hpp"
#include "ref/tensor.hpp"

namespace attncheck::fast {

// What computes a model: `scalar` is the reference (the stage functions written from the spec);
// the others are fast paths that must equal it bit for bit. `portable` is plain C++ at the
// build's baseline ISA; `avx2` and `avx512vnni` are the same kernels compiled for those ISAs and
// picked at run time, so the binary stays portable.
enum class Level { scalar, portable, avx2, avx512vnni };

std::string level_name(Level l);
// InputError naming the known levels.
Level parse_level(const std::string& name);
// The levels this CPU can run, scalar first, best last.
std::vector<Level> available_levels();
// The forced level (set_level, else the ATTNCHECK_ISA environment variable), else the best available.
Level active_level();
// Forces a level (InputError when this CPU cannot run it); nullopt returns to automatic choice.
void set_level(std::optional<Level> level);

// Worker threads of the fast paths: 0 means every core the process may use.
void set_jobs(int jobs);
int jobs();
// Runs fn(0..n-1) on up to jobs() threads; the first exception any call throws is rethrown here.
void parallel_for(size_t n, const std::function<void(size_t)>& fn);

// The fast building blocks the models' fast paths are made of; each model passes its own stages,
// so this file knows no revision. Same result bit for bit as the model's scalar reference.
// One 64x64 tile per head: int32 scores of a row -> 64 int8 weights, then sum_j w*V requantized.
using TileSoftmaxRow = std::function<void(const int32_t* scores, int8_t* weights)>;
using TileRequant = int8_t (*)(int32_t acc);
Int8Tensor tile_model(const AttentionInputs& in, Level level, const TileSoftmaxRow& softmax_row, TileRequant requant);
// Two passes over all keys (D = 64, any S): row maxima, exp weights from `words`, sum_j e*V and
// sum_j e, then `requant` maps a row's accumulators and weight sum to its output row.
using RowRequant = std::function<void(const int32_t* acc, uint32_t weight_sum, int8_t* out_row)>;
Int8Tensor two_pass_exp_model(const AttentionInputs& in, Level level, const ExpWords& words, const RowRequant& requant);
// two_pass_exp_model and golden_fp32 in one pass: each block's Q.K^T and row maxima serve both,
// the same bits as the two calls (test "... fused model and golden ...").
ModelAndGolden two_pass_exp_model_with_golden(const AttentionInputs& in, Level level, const ExpWords& words,
                                              const RowRequant& requant, double logit_scale);
// The machine's measured peak, for the floor `attncheck bench` reports: each of `threads` threads
// runs the level's probes (Kernels::peak_int8, peak_fp32) and times them on its own CPU clock, so
// other processes sharing the cores do not lower the figure; the rates add up over the threads (one
// per core). nullopt when the active level has no probe.
struct PeakRates {
  double int8_mac_per_s = 0;  // exact int8 MACs into int32 (avx512vnni: vpdpbusd zmm, avx2: vpmaddwd ymm)
  double fp32_fma_per_s = 0;  // FP32 FMAs (vfmadd231ps zmm or ymm)
  int threads = 0;
  std::string level;
  std::string how;  // the probes' instructions
};
std::optional<PeakRates> measure_peak(int threads);

// The golden FP32 model, blocked by rows: within FP32 rounding of the Eigen reference.
FloatTensor golden_fp32(const AttentionInputs& in, double logit_scale, Level level);

}  // namespace attncheck::fast
