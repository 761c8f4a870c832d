// Differential testing of a kernel against its integer model: seeded corpora and an exact, explaining comparison.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ref/registry.hpp"

namespace attncheck::testing {

struct Mismatch {
  int64_t head, row, col;
  int model, kernel;
};

// Exact comparison of two outputs of the same shape: no tolerance.
struct DiffStats {
  size_t elements = 0;
  size_t mismatches = 0;
  size_t rows = 0;  // distinct (head, row) with a mismatch
  int max_abs = 0;
  std::vector<Mismatch> first;  // in (head, row, col) order
};
DiffStats compare_exact(const Int8Tensor& model, const Int8Tensor& kernel, size_t keep = 8);

// One launch of the model and the kernel: a set of 64x64 tiles (heads) with one parameter set.
struct Batch {
  std::string label;                   // recipe and seed, enough to rebuild it
  std::vector<std::string> head_kind;  // per head, e.g. "full int8" or "edge: all -128"
  AttentionInputs in;
  Params params;                       // user params; the runner completes them with rev.derive
};

// The tile shape a revision is tested on: 64x64, or S=64 with the revision's required D.
Shape tile_shape(const Revision& rev, int64_t heads);

// Parameter values to cover for one spec: every value when the range is small (scale_shift:
// all of 0..31), else min, max, default and evenly spread values.
std::vector<int64_t> param_values(const ParamSpec& spec);

// Random tiles over six input recipes (full int8, [-64,64), [-4,4), skewed to [-128,-100], sparse,
// Q/K/V each from a different recipe) crossed with every parameter value; at least `min_tiles`.
// Half of the batches carry per-tensor scales, so a revision that derives params from them is
// exercised on both paths. Calls `visit` batch by batch so the corpus is never all in memory.
void random_corpus(const Revision& rev, uint32_t seed, size_t min_tiles, const std::function<void(const Batch&)>& visit);

// Hand-made tiles: ties in the row max, all -128, all 127, zeros, one-hot rows, Q=K=+-128/127
// saturating dot products, V at the rails; each across every parameter value.
void edge_corpus(const Revision& rev, const std::function<void(const Batch&)>& visit);

struct CorpusResult {
  size_t batches = 0, tiles = 0, elements = 0, mismatches = 0, failing_batches = 0;
  int max_abs = 0;
  std::string report;  // empty when everything matched: statistics and the first bad coefficients
};
// Runs `model` and `kernel` on one batch (params completed by rev.derive) and folds the result in.
void run_batch(const Revision& rev, const AttentionFn& model, const AttentionFn& kernel, const Batch& b,
               CorpusResult* acc);
std::string summary(const std::string& what, const CorpusResult& r);

}  // namespace attncheck::testing
