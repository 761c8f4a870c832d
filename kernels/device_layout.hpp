// Each revision's device buffers and launch sequence: packed the same way for the host backend and the NPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
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
  // What the buffer holds, in order: tensor name and byte range, from the package's args.
  struct Segment {
    std::string tensor;
    size_t offset, bytes;
  };
  std::vector<Segment> segments;
};

// The launches of one run, as the revision's package layout cuts them (ref/kernel_package.hpp):
// head-tile takes one S x D tile per head; q-tile-kv-stream one (head, Q tile) step of
// ref/tiling.hpp with the head's K|V pairs. Inputs are packed per launch, so a run of any size needs
// the memory of one launch beside the tensors.
class LaunchPlan {
 public:
  // InputError when the shape does not fit the layout or a runtime word names no parameter.
  LaunchPlan(const Revision& rev, const AttentionInputs& in, const Params& params);
  // The built-in revision of that name.
  LaunchPlan(const std::string& revision, const AttentionInputs& in, const Params& params);

  const std::vector<BufferSpec>& buffers() const { return buffers_; }  // inputs in order, then the output
  size_t launches() const { return launches_; }
  // Fills one byte vector per input buffer for launch i (resized to the spec's size).
  void pack(size_t i, std::vector<std::vector<uint8_t>>* inputs) const;
  // Copies launch i's output buffer into its place in `out` (shape of the inputs).
  void unpack(size_t i, const uint8_t* device_out, Int8Tensor* out) const;
  // q-tile-kv-stream: buffer 1 holds K|V tile pairs the core walks; else every launch is one head.
  bool streams_kv() const;
  int64_t tile_rows() const { return tile_; }
  const KernelPackage& package() const { return *pkg_; }
  // Which rows of the output launch i writes: [head, first row, row count], for localization.
  void rows_of(size_t i, int64_t* head, int64_t* first_row, int64_t* rows) const;

 private:
  std::shared_ptr<const KernelPackage> pkg_;
  const AttentionInputs* in_;
  Params params_;
  std::vector<BufferSpec> buffers_;
  size_t launches_ = 0;
  int64_t q_tiles_ = 1;
  int64_t tile_ = 64;               // Q rows per launch
  std::vector<std::string> words_;  // q-tile-kv-stream's runtime words

};


}  // namespace attncheck
