// Each revision's device buffers and launch sequence, packed exactly as its design.py feeds the core.
#include "kernels/device_layout.hpp"

#include <algorithm>
#include <cstring>

#include "ref/errors.hpp"
#include "ref/tiling.hpp"

namespace attncheck {
namespace {

void put_le32(uint8_t* p, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  p[0] = static_cast<uint8_t>(u);
  p[1] = static_cast<uint8_t>(u >> 8);
  p[2] = static_cast<uint8_t>(u >> 16);
  p[3] = static_cast<uint8_t>(u >> 24);
}

}  // namespace

LaunchPlan::LaunchPlan(const std::string& revision, const AttentionInputs& in, const Params& params)
    : LaunchPlan(find_revision(revision), in, params) {}

LaunchPlan::LaunchPlan(const Revision& rev, const AttentionInputs& in, const Params& params)
    : pkg_(rev.package), in_(&in), params_(params) {
  if (!pkg_) throw InputError(rev.name + ": no device layout for this revision");
  const KernelPackage& k = *pkg_;
  const Shape& s = in.shape();
  const int64_t S = k.tile_seq, D = k.tile_dim;
  tile_ = S;
  const size_t tile_bytes = static_cast<size_t>(S * D);
  int group = 3;
  if (k.layout == PackageLayout::head_tile) {
    if (s.seq != S || s.dim != D)
      throw InputError(rev.name + ": the device layout takes " + std::to_string(S) + "x" + std::to_string(D) +
                       " tiles per head, got " + s.str());
    for (const PackageArg* a : k.buffers()) {
      BufferSpec b{a->name, group++, a->bytes, a->kind == PackageArg::output, {}};
      size_t off = 0;
      for (const auto& t : a->tensors) b.segments.push_back({t, off, tile_bytes}), off += tile_bytes;
      buffers_.push_back(b);
    }
    launches_ = static_cast<size_t>(s.heads);
    return;
  }
  if (s.dim != D) throw InputError(rev.name + ": the device layout needs D = " + std::to_string(D) + ", got " + s.str());
  const TilePlan plan{s, S};
  q_tiles_ = plan.q_tiles();
  const auto bufs = k.buffers();
  for (const auto& w : bufs[0]->words) {
    if (w == "0") continue;
    if (!params.count(w)) {
      std::string known;
      for (const auto& [name, v] : params) known += (known.empty() ? "" : ", ") + name;
      throw InputError(k.path + ": runtime word " + w + " is not a parameter of " + rev.name + " (params: " + known + ")");
    }
  }
  words_ = bufs[0]->words;
  const size_t words_bytes = 4 * words_.size();
  const size_t kv_bytes = static_cast<size_t>(plan.k_tiles()) * 2 * tile_bytes;
  buffers_ = {{bufs[0]->name, 3, std::max(bufs[0]->bytes, tile_bytes + words_bytes), false,
               {{"q_rows", 0, tile_bytes}, {"runtime_words", tile_bytes, words_bytes}}},
              {bufs[1]->name, 4, kv_bytes, false, {{"kv_pairs", 0, kv_bytes}}},
              {bufs[2]->name, 5, std::max(bufs[2]->bytes, tile_bytes), true, {{"out", 0, tile_bytes}}}};
  launches_ = static_cast<size_t>(s.heads * q_tiles_);
}

bool LaunchPlan::streams_kv() const { return pkg_->layout == PackageLayout::q_tile_kv_stream; }

void LaunchPlan::rows_of(size_t i, int64_t* head, int64_t* first_row, int64_t* rows) const {
  *head = static_cast<int64_t>(i) / q_tiles_;
  *first_row = (static_cast<int64_t>(i) % q_tiles_) * tile_;
  *rows = std::min(tile_, in_->shape().seq - *first_row);
}

void LaunchPlan::pack(size_t i, std::vector<std::vector<uint8_t>>* inputs) const {
  inputs->resize(buffers_.size() - 1);
  for (size_t b = 0; b + 1 < buffers_.size(); ++b) (*inputs)[b].assign(buffers_[b].bytes, 0);
  int64_t h, row0, rows;
  rows_of(i, &h, &row0, &rows);
  const int64_t D = in_->shape().dim;
  if (!streams_kv()) {
    for (size_t b = 0; b + 1 < buffers_.size(); ++b)
      for (const auto& seg : buffers_[b].segments) {
        const Int8Tensor& t = seg.tensor == "q" ? in_->q : seg.tensor == "k" ? in_->k : in_->v;
        std::memcpy((*inputs)[b].data() + seg.offset, t.head(h), seg.bytes);
      }
    return;
  }
  // Q tile rows past S stay zero; the runtime words follow the tile.
  const size_t tile_bytes = static_cast<size_t>(tile_ * D);
  uint8_t* q_rtp = (*inputs)[0].data();
  std::memcpy(q_rtp, in_->q.head(h) + row0 * D, static_cast<size_t>(rows * D));
  for (size_t w = 0; w < words_.size(); ++w)
    put_le32(q_rtp + tile_bytes + 4 * w, words_[w] == "0" ? 0 : static_cast<int32_t>(params_.at(words_[w])));
  // K|V pairs of the whole head; keys past S stay zero and the kernel never reads them.
  uint8_t* kv = (*inputs)[1].data();
  const TilePlan plan{in_->shape(), tile_};
  for (int64_t t = 0; t < plan.k_tiles(); ++t) {
    const size_t n = static_cast<size_t>(plan.valid(t) * D);
    std::memcpy(kv + t * 2 * tile_bytes, in_->k.head(h) + t * tile_ * D, n);
    std::memcpy(kv + t * 2 * tile_bytes + tile_bytes, in_->v.head(h) + t * tile_ * D, n);
  }
}

void LaunchPlan::unpack(size_t i, const uint8_t* device_out, Int8Tensor* out) const {
  int64_t h, row0, rows;
  rows_of(i, &h, &row0, &rows);
  const int64_t D = in_->shape().dim;
  std::memcpy(out->head(h) + row0 * D, device_out, static_cast<size_t>(rows * D));
}

}  // namespace attncheck
