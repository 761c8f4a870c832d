// Localizes device/model mismatches: the facts a person needs to tell a stack overflow from a rounding bug at a glance.
#include "compare/localize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
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

namespace {

std::string hexu(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%X", v);
  return b;
}

std::string range_text(size_t a, size_t b) { return a == b ? std::to_string(a) : std::to_string(a) + ".." + std::to_string(b); }

}  // namespace

Attribution attribute_writes(const std::vector<LaunchSpan>& spans, const std::vector<InputWrites>& writes,
                             const VsModel& vm) {
  Attribution a;
  std::set<std::pair<int64_t, int64_t>> predicted;  // (head, row)
  nlohmann::json launches = nlohmann::json::array();
  std::vector<std::string> sentences;
  for (const auto& w : writes) {
    if (w.writers.empty()) continue;
    a.any_writes = true;
    const LaunchSpan* sp = nullptr;
    for (const auto& s : spans)
      if (s.launch == w.launch) sp = &s;
    std::set<int64_t> rows;
    bool shared = false;
    for (const auto& [lo, hi] : w.clobbered) {
      if (!sp) continue;
      const size_t rows_end = sp->row_offset + static_cast<size_t>(sp->rows) * sp->row_bytes;
      for (size_t o = lo; o <= hi; ++o) {
        if (o >= sp->row_offset && o < rows_end) rows.insert(sp->first_row + static_cast<int64_t>((o - sp->row_offset) / sp->row_bytes));
        else shared = true;
      }
    }
    if (sp && shared)
      for (int64_t r = sp->first_row; r < sp->first_row + sp->rows; ++r) rows.insert(r);
    for (int64_t r : rows) predicted.insert({sp->head, r});
    nlohmann::json writers = nlohmann::json::array();
    std::string who;
    for (const auto& wr : w.writers) {
      writers.push_back({{"function", wr.function}, {"bytes", {wr.first_byte, wr.last_byte}}, {"stores", wr.stores},
                         {"sp", {wr.min_sp, wr.max_sp}}, {"in_frame", wr.in_frame}});
      who += (who.empty() ? "" : "; ") + wr.function + (wr.in_frame ? "'s stack frame" : "") + " stored at " + w.buffer +
             " bytes " + range_text(wr.first_byte, wr.last_byte) + " (SP " + hexu(wr.min_sp) + ".." + hexu(wr.max_sp) + ")";
    }
    nlohmann::json clob = nlohmann::json::array();
    size_t clobbered_bytes = 0;
    for (const auto& [lo, hi] : w.clobbered) clob.push_back({lo, hi}), clobbered_bytes += hi - lo + 1;
    std::string rows_txt;
    if (!rows.empty()) {
      // Contiguous runs, e.g. "rows 22..27".
      int64_t start = *rows.begin(), prev = start;
      auto flush = [&](int64_t s, int64_t e) { rows_txt += (rows_txt.empty() ? "" : ", ") + range_text(s, e); };
      for (auto it = std::next(rows.begin()); it != rows.end(); ++it) {
        if (*it != prev + 1) flush(start, prev), start = *it;
        prev = *it;
      }
      flush(start, prev);
    }
    launches.push_back({{"launch", w.launch}, {"buffer", w.buffer}, {"writers", writers}, {"clobbered_before_read", clob},
                        {"predicted_rows", std::vector<int64_t>(rows.begin(), rows.end())}});
    std::string s = "launch " + std::to_string(w.launch) + ": " + who;
    if (clobbered_bytes)
      s += "; " + std::to_string(clobbered_bytes) + " of those bytes were overwritten before the core first read them" +
           (rows.empty() ? "" : ", the inputs of rows " + rows_txt);
    else
      s += "; every byte was read before it was overwritten";
    sentences.push_back(s);
  }
  std::set<std::pair<int64_t, int64_t>> actual;
  for (const auto& hr : vm.mismatch_rows) actual.insert({hr[0], hr[1]});
  a.predicted_rows = predicted.size();
  a.mismatching_rows = actual.size();
  for (const auto& r : actual) a.unexplained_rows += !predicted.count(r);
  for (const auto& r : predicted) a.predicted_but_exact += !actual.count(r);
  a.explained = a.any_writes && a.unexplained_rows == 0 && a.mismatching_rows > 0;
  std::string verdict;
  if (!a.any_writes) verdict = "the core stored nothing into its input buffers";
  else if (a.mismatching_rows == 0) verdict = "no row differs";
  else if (a.explained) verdict = "these writes explain all " + std::to_string(a.mismatching_rows) +
                                  " mismatching rows; every row whose inputs no store touched is bit-exact";
  else verdict = std::to_string(a.unexplained_rows) + " of " + std::to_string(a.mismatching_rows) +
                 " mismatching rows read no overwritten byte: the writes do not explain them";
  if (a.any_writes && a.predicted_but_exact)
    verdict += " (" + std::to_string(a.predicted_but_exact) + " rows read overwritten bytes yet match the model)";
  for (size_t i = 0; i < sentences.size() && i < 4; ++i) a.summary += (i ? "; " : "") + sentences[i];
  if (sentences.size() > 4) a.summary += "; and " + std::to_string(sentences.size() - 4) + " more launches";
  a.summary += (a.summary.empty() ? "" : ". ") + verdict;
  a.json = {{"explained", a.explained}, {"predicted_rows", a.predicted_rows}, {"mismatching_rows", a.mismatching_rows},
            {"unexplained_rows", a.unexplained_rows}, {"predicted_but_exact", a.predicted_but_exact},
            {"launches", launches}, {"summary", a.summary}};
  return a;
}

}  // namespace attncheck
