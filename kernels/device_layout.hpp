// Each revision's device buffers and launch sequence: packed the same way for the host backend and the NPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ref/registry.hpp"

namespace attncheck {

// One runtime-sequence argument of the revision's mlir-aie design (kernels/<rev>/design.py).
struct BufferSpec {
  std::string name;
  int group_id;      // the MLIR_AIE kernel argument's group: 3, 4, ... (1 holds the instructions)
  size_t bytes;
  bool is_output;
};

// The launches of one run: the historical revisions take one 64x64 tile per head; precise-v1 one
// (head, 64-row Q tile) step of ref/tiling.hpp, with the head's K|V pairs. Inputs are packed per
// launch, so a run of any size needs the memory of one launch beside the tensors.
class LaunchPlan {
 public:
  // InputError when the revision has no device layout or the shape does not fit it.
  LaunchPlan(const std::string& revision, const AttentionInputs& in, const Params& params);

  const std::vector<BufferSpec>& buffers() const { return buffers_; }  // inputs in order, then the output
  size_t launches() const { return launches_; }
  // Fills one byte vector per input buffer for launch i (resized to the spec's size).
  void pack(size_t i, std::vector<std::vector<uint8_t>>* inputs) const;
  // Copies launch i's output buffer into its place in `out` (shape of the inputs).
  void unpack(size_t i, const uint8_t* device_out, Int8Tensor* out) const;
  // Which rows of the output launch i writes: [head, first row, row count], for localization.
  void rows_of(size_t i, int64_t* head, int64_t* first_row, int64_t* rows) const;

 private:
  std::string revision_;
  const AttentionInputs* in_;
  Params params_;
  std::vector<BufferSpec> buffers_;
  size_t launches_ = 0;
  int64_t q_tiles_ = 1;
};

// Sizes of precise-v1's buffers for S keys (design.py declares the same).
constexpr size_t kPreciseV1RtpWords = 8;
constexpr size_t kPreciseV1QRtpBytes = 64 * 64 + 4 * kPreciseV1RtpWords;

}  // namespace attncheck
