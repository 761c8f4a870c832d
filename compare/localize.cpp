// Localizes device/model mismatches: the facts a person needs to tell a stack overflow from a rounding bug at a glance.
#include "compare/localize.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace attncheck {
namespace {

const LaunchSpan* span_of(const std::vector<LaunchSpan>& spans, int64_t head, int64_t row) {
  for (const auto& s : spans)
    if (s.head == head && row >= s.first_row && row < s.first_row + s.rows) return &s;
  return nullptr;
}

std::string rows_text(const RowRange& r) {
  return r.first_row == r.last_row ? "row " + std::to_string(r.first_row)
                                   : "rows " + std::to_string(r.first_row) + "-" + std::to_string(r.last_row);
}

std::string offset_text(double v) {
  std::ostringstream o;
  o << (v > 0 ? "+" : "") << v;
  return o.str();
}

}  // namespace

Localization localize(const DoubleTensor& dut, const DoubleTensor& model, const VsModel& vm,
                      const std::vector<LaunchSpan>& spans) {
  Localization loc;
  const Shape& s = dut.shape;
  const int64_t D = s.dim;
  loc.per_head.assign(static_cast<size_t>(s.heads), 0);
  bool same_offset = true;
  std::optional<double> offset;
  std::vector<RowRange> all;
  for (const auto& hr : vm.mismatch_rows) {
    const int64_t h = hr[0], row = hr[1];
    const size_t base = static_cast<size_t>((h * s.seq + row) * D);
    size_t n = 0;
    bool zero = true, sentinel = true;
    for (int64_t c = 0; c < D; ++c) {
      const double d = dut.data[base + c], m = model.data[base + c];
      zero = zero && d == 0;
      sentinel = sentinel && d == kSentinelValue;
      if (d == m) continue;
      ++n;
      if (!offset) offset = d - m;
      else if (d - m != *offset) same_offset = false;
    }
    loc.per_head[static_cast<size_t>(h)] += n;
    loc.zero_rows += zero;
    loc.untouched_rows += sentinel;
    const LaunchSpan* sp = spans.empty() ? nullptr : span_of(spans, h, row);
    // Extend the last range when this row follows it in the same head and the same launch.
    if (!all.empty() && all.back().head == h && all.back().last_row + 1 == row &&
        (!sp || (all.back().span && all.back().span->launch == sp->launch))) {
      RowRange& r = all.back();
      r.last_row = row;
      r.mismatches += n;
      r.full_rows += n == static_cast<size_t>(D);
    } else {
      RowRange r;
      r.head = h;
      r.first_row = r.last_row = row;
      r.mismatches = n;
      r.full_rows = n == static_cast<size_t>(D);
      if (sp) r.span = *sp;
      all.push_back(r);
    }
  }
  for (auto& r : all) {
    if (!r.span) continue;
    r.byte_begin = r.span->row_offset + static_cast<size_t>(r.first_row - r.span->first_row) * r.span->row_bytes;
    r.byte_end = r.span->row_offset + static_cast<size_t>(r.last_row - r.span->first_row + 1) * r.span->row_bytes - 1;
  }
  if (offset && same_offset) loc.constant_offset = offset;
  loc.range_count = all.size();
  if (all.size() > kMaxRanges) all.resize(kMaxRanges);
  loc.ranges = all;
  if (vm.bit_exact) {
    loc.summary = "device and model agree on every element";
    return loc;
  }

  std::ostringstream o;
  o << vm.mismatches << " of " << s.count() << " elements differ in " << vm.mismatch_rows.size() << " rows ("
    << loc.range_count << (loc.range_count == 1 ? " contiguous range" : " contiguous ranges") << ": ";
  const size_t listed = std::min<size_t>(loc.ranges.size(), 4);
  for (size_t i = 0; i < listed; ++i) {
    const RowRange& r = loc.ranges[i];
    o << (i ? ", " : "") << "head " << r.head << " " << rows_text(r);
    if (r.span)
      o << " = launch " << r.span->launch << " " << r.span->row_buffer << " (group " << r.span->row_group_id
        << ") bytes " << r.byte_begin << ".." << r.byte_end;
  }
  if (loc.range_count > listed) o << ", and " << loc.range_count - listed << " more";
  o << ")";
  int heads_hit = 0;
  for (size_t n : loc.per_head) heads_hit += n > 0;
  if (s.heads > 1) o << " across " << heads_hit << " of " << s.heads << " heads";
  if (loc.constant_offset) o << "; every differing element is off by " << offset_text(*loc.constant_offset);
  if (loc.untouched_rows)
    o << "; " << loc.untouched_rows << " of these rows hold the 0x5A sentinel in every element (never written)";
  if (loc.zero_rows) o << "; " << loc.zero_rows << " of these rows are all zero";
  if (!loc.ranges.empty() && loc.ranges.front().span) o << "; every row also reads " << loc.ranges.front().span->shared;
  loc.summary = o.str();
  return loc;
}

void add_localization(nlohmann::json* vs_model, const Localization& loc, bool bit_exact) {
  (*vs_model)["mismatches_per_head"] = loc.per_head;
  if (bit_exact) return;
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : loc.ranges) {
    nlohmann::json j = {{"head", r.head}, {"rows", {r.first_row, r.last_row}}, {"mismatches", r.mismatches},
                        {"full_rows", r.full_rows}};
    if (r.span) {
      j["launch"] = r.span->launch;
      j["input"] = {{"buffer", r.span->row_buffer},
                    {"group_id", r.span->row_group_id},
                    {"bytes", {r.byte_begin, r.byte_end}},
                    {"shared", r.span->shared}};
    } else {
      j["launch"] = nullptr;
      j["input"] = nullptr;
    }
    ranges.push_back(j);
  }
  (*vs_model)["pattern"] = {
      {"row_ranges", ranges},
      {"row_range_count", loc.range_count},
      {"constant_offset", loc.constant_offset ? nlohmann::json(*loc.constant_offset) : nlohmann::json(nullptr)},
      {"zero_rows", loc.zero_rows},
      {"untouched_rows", loc.untouched_rows},
      {"summary", loc.summary},
  };
}

}  // namespace attncheck
