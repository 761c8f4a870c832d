// Each revision's device buffers and launch sequence, packed exactly as its design.py feeds the core.
#include "kernels/device_layout.hpp"

#include <algorithm>
#include <cstring>

#include "ref/errors.hpp"
#include "ref/precise_v1.hpp"
#include "ref/tiling.hpp"

namespace attncheck {
namespace {

constexpr int64_t kTile = 64;
constexpr size_t kTileBytes = kTile * kTile;

void put_le32(uint8_t* p, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  p[0] = static_cast<uint8_t>(u);
  p[1] = static_cast<uint8_t>(u >> 8);
  p[2] = static_cast<uint8_t>(u >> 16);
  p[3] = static_cast<uint8_t>(u >> 24);
}

}  // namespace

LaunchPlan::LaunchPlan(const std::string& revision, const AttentionInputs& in, const Params& params)
    : revision_(revision), in_(&in), params_(params) {
  const Shape& s = in.shape();
  if (revision == "uc-legacy-int8" || revision == "uc-int32-lut") {
    if (s.seq != kTile || s.dim != kTile)
      throw InputError(revision + ": the device layout takes 64x64 tiles per head, got " + s.str());
    buffers_ = {{"qkv", 3, 3 * kTileBytes, false}, {"out", 4, kTileBytes, true}};
    launches_ = static_cast<size_t>(s.heads);
  } else if (revision == "precise-v1") {
    if (s.dim != kTile) throw InputError(revision + ": the device layout needs D = 64, got " + s.str());
    const TilePlan plan{s, kTile};
    q_tiles_ = plan.q_tiles();
    buffers_ = {{"q_rtp", 3, kPreciseV1QRtpBytes, false},
                {"kv", 4, static_cast<size_t>(plan.k_tiles()) * 2 * kTileBytes, false},
                {"out", 5, kTileBytes, true}};
    launches_ = static_cast<size_t>(s.heads * q_tiles_);
  } else {
    throw InputError(revision + ": no device layout for this revision");
  }
}

void LaunchPlan::rows_of(size_t i, int64_t* head, int64_t* first_row, int64_t* rows) const {
  *head = static_cast<int64_t>(i) / q_tiles_;
  *first_row = (static_cast<int64_t>(i) % q_tiles_) * kTile;
  *rows = std::min(kTile, in_->shape().seq - *first_row);
}

void LaunchPlan::pack(size_t i, std::vector<std::vector<uint8_t>>* inputs) const {
  inputs->resize(buffers_.size() - 1);
  for (size_t b = 0; b + 1 < buffers_.size(); ++b) (*inputs)[b].assign(buffers_[b].bytes, 0);
  int64_t h, row0, rows;
  rows_of(i, &h, &row0, &rows);
  const int64_t D = in_->shape().dim;
  if (revision_ != "precise-v1") {
    uint8_t* qkv = (*inputs)[0].data();
    std::memcpy(qkv, in_->q.head(h), kTileBytes);
    std::memcpy(qkv + kTileBytes, in_->k.head(h), kTileBytes);
    std::memcpy(qkv + 2 * kTileBytes, in_->v.head(h), kTileBytes);
    return;
  }
  // Q tile rows past S stay zero; the runtime words follow the tile.
  uint8_t* q_rtp = (*inputs)[0].data();
  std::memcpy(q_rtp, in_->q.head(h) + row0 * D, static_cast<size_t>(rows * D));
  const precise_v1::RuntimeParams rp = precise_v1::from_params(params_);
  const int32_t words[kPreciseV1RtpWords] = {rp.exp_mult, rp.exp_shift, rp.score_floor, rp.exp_bits,
                                             rp.out_mult, rp.out_shift, 0, 0};
  for (size_t w = 0; w < kPreciseV1RtpWords; ++w) put_le32(q_rtp + kTileBytes + 4 * w, words[w]);
  // K|V pairs of the whole head; keys past S stay zero and the kernel never reads them.
  uint8_t* kv = (*inputs)[1].data();
  const TilePlan plan{in_->shape(), kTile};
  for (int64_t t = 0; t < plan.k_tiles(); ++t) {
    const size_t n = static_cast<size_t>(plan.valid(t) * D);
    std::memcpy(kv + t * 2 * kTileBytes, in_->k.head(h) + t * kTile * D, n);
    std::memcpy(kv + t * 2 * kTileBytes + kTileBytes, in_->v.head(h) + t * kTile * D, n);
  }
}

void LaunchPlan::unpack(size_t i, const uint8_t* device_out, Int8Tensor* out) const {
  int64_t h, row0, rows;
  rows_of(i, &h, &row0, &rows);
  const int64_t D = in_->shape().dim;
  std::memcpy(out->head(h) + row0 * D, device_out, static_cast<size_t>(rows * D));
}

}  // namespace attncheck
