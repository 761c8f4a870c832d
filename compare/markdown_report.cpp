// The validation report as Markdown for CI job summaries, and the pieces the HTML report shares.
#include <algorithm>
#include <cctype>
#include <tuple>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "compare/gates.hpp"
#include "compare/metrics.hpp"
#include "compare/svg_plots.hpp"
#include "compare/validation_report.hpp"

namespace attncheck {
namespace report_detail {

std::string fmt(const nlohmann::json& v, int precision) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", precision, v.get<double>());
    return buf;
  }
  if (v.is_null()) return "n/a";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  // Anything else where a number belongs is a malformed report (nlohmann's type_error), never
  // text copied into a page: `"<script>"` as a correlation is refused, not rendered.
  return std::to_string(v.get<double>());
}

std::string share(const nlohmann::json& v) { return v.is_number() ? format_share(v.get<double>(), 4) : fmt(v, 4); }

std::string str(const nlohmann::json& v, const std::string& fallback) {
  if (v.is_null()) return fallback;
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::vector<MetricRow> metric_rows(const nlohmann::json& report) {
  const auto& m = report.at("metrics");
  const auto& d = m.at("vs_golden");
  const nlohmann::json* mg = m.contains("model_vs_golden") ? &m["model_vs_golden"] : nullptr;
  const auto& gates = report.at("gates");
  std::vector<MetricRow> rows;
  auto add = [&](const std::string& label, const std::string& metric, const nlohmann::json& dv,
                 const nlohmann::json* mv, int precision) {
    // Shares are floored: a 0.9999948 within-1 share shows 0.9999, never 1.0000.
    const bool is_share = metric.find(".within.") != std::string::npos;
    auto show = [&](const nlohmann::json& v) {
      return is_share && v.is_number() ? format_share(v.get<double>(), precision) : fmt(v, precision);
    };
    MetricRow r{label, show(dv), mv ? show(*mv) : "", "", ""};
    if (dv.is_null()) r.device = "n/a (" + d.value(metric.substr(metric.find('.') + 1) + "_reason", std::string("undefined")) + ")";
    for (const auto& g : gates) {
      if (g.value("metric", std::string()) != metric) continue;
      const std::string name = g.at("name");
      // The figure that decides a gate has the digits to show the decision.
      if (dv.is_number() && g.at("threshold").is_number())
        r.device = format_decisive(dv.get<double>(), g.at("threshold").get<double>(), precision, is_share);
      r.threshold = (name.rfind("min_", 0) == 0 ? ">= " : name.rfind("max_", 0) == 0 ? "<= " : "") + fmt(g.at("threshold"), 4);
      if (name == "require_bit_exact") r.threshold = "true";
      r.gate_verdict = g.at("pass").get<bool>() ? "PASS" : "FAIL";
    }
    rows.push_back(r);
  };
  // find(), not a const operator[]: on a missing key that is undefined behaviour in nlohmann (a
  // report missing model_vs_golden.mae read freed memory; found by fuzz_report_reader).
  static const nlohmann::json absent;
  auto field = [](const nlohmann::json& j, const std::string& k) -> const nlohmann::json& {
    if (!j.is_object()) return absent;
    const auto it = j.find(k);
    return it == j.end() ? absent : *it;
  };
  auto mval = [&](const char* k) { return mg ? &field(*mg, k) : nullptr; };
  add("correlation", "vs_golden.correlation", d.at("correlation"), mval("correlation"), 6);
  add("MAE (LSB)", "vs_golden.mae", d.at("mae"), mval("mae"), 4);
  add("RMSE (LSB)", "vs_golden.rmse", d.at("rmse"), mval("rmse"), 4);
  add("max abs error (LSB)", "vs_golden.max_abs_error", d.at("max_abs_error"), mval("max_abs_error"), 4);
  for (int b : kWithinBuckets) {
    const std::string k = std::to_string(b);
    add("within " + k + " LSB", "vs_golden.within." + k, d.at("within").at(k), mg ? &field(field(*mg, "within"), k) : nullptr, 4);
  }
  add("SQNR (dB)", "vs_golden.sqnr_db", d.at("sqnr_db"), mval("sqnr_db"), 2);
  add("cosine", "vs_golden.cosine", d.at("cosine"), mval("cosine"), 6);
  const bool exact = !m.contains("vs_model") || m["vs_model"].at("bit_exact").get<bool>();
  add("bit-exact vs model", "vs_model.bit_exact", exact, nullptr, 0);
  return rows;
}

std::vector<std::pair<std::string, std::string>> provenance(const nlohmann::json& r) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& fx = r.at("fixture");
  const auto& shape = fx.at("shape");
  out.push_back({"fixture", str(fx.at("path"))});
  out.push_back({"shape (H x S x D)", fmt(shape.at(0)) + " x " + fmt(shape.at(1)) + " x " + fmt(shape.at(2))});
  out.push_back({"recipe", str(fx.at("recipe"), "unknown")});
  out.push_back({"seed", str(fx.at("seed"), "unknown")});
  for (const auto& [file, hash] : fx.at("sha256").items()) out.push_back({"sha256 " + file, hash.get<std::string>()});
  out.push_back({"kernel revision", str(r.at("kernel").at("revision"), "unknown")});
  std::string params;
  for (const auto& [k, v] : r.at("kernel").at("params").items()) params += (params.empty() ? "" : ", ") + k + "=" + v.dump();
  out.push_back({"kernel parameters", params.empty() ? "none" : params});
  const auto& be = r.at("backend");
  out.push_back({"backend", str(be.at("name")) + ": " + str(be.at("description"), "")});
  // Backend facts (device, xclbin, ...) are open-ended; the xclbin hash is the one a reviewer must see.
  bool xclbin = false;
  for (const auto& [k, v] : be.items()) {
    if (k == "name" || k == "description") continue;
    if (k.find("xclbin") != std::string::npos) xclbin = true;
    out.push_back({"backend " + k, str(v)});
  }
  // A device run's facts are in `device` (npu/xrt_runner.cpp): the xclbin's hash and UUID, the
  // instruction stream's hash, the device and its firmware.
  if (r.contains("device") && r["device"].is_object()) {
    const auto& dev = r["device"];
    for (const char* k : {"xclbin", "insts"}) {
      if (!dev.contains(k) || !dev[k].is_object()) continue;
      xclbin = xclbin || std::string(k) == "xclbin";
      for (const char* f : {"path", "sha256", "uuid", "words"})
        if (dev[k].contains(f)) out.push_back({std::string(k) + " " + f, str(dev[k][f])});
    }
    for (const char* k : {"name", "bdf", "firmware", "kernel_name"})
      if (dev.contains(k)) out.push_back({std::string("device ") + k, str(dev[k])});
  }
  if (!xclbin) out.push_back({"xclbin hash", "none (no device involved)"});
  if (r.contains("golden"))
    out.push_back({"golden", str(r["golden"].at("precision")) + ", logit scale " + fmt(r["golden"].at("logit_scale"), 6)});
  if (r.contains("gates_file")) out.push_back({"gates file", str(r["gates_file"])});
  out.push_back({"tool", str(r.at("tool").at("name")) + " " + str(r.at("tool").at("version"))});
  return out;
}

std::string model_line(const nlohmann::json& r) {
  const auto& m = r.at("metrics");
  if (!m.contains("vs_model")) return "The output under test is the integer model itself (bit-exact by construction).";
  const auto& vm = m["vs_model"];
  const size_t count = m.at("vs_golden").at("count").get<size_t>();
  if (vm.at("bit_exact").get<bool>()) return "Device output is bit-exact with the integer model on all " + std::to_string(count) + " elements.";
  std::string s = "Device output is NOT bit-exact: " + fmt(vm.at("mismatches")) + " of " + std::to_string(count) +
                  " elements differ, in " + std::to_string(vm.at("mismatch_rows").size()) + " rows";
  const auto& fm = vm.at("first_mismatches");
  if (!fm.empty())
    s += "; first at " + fm[0].at("at").dump() + " (device " + fmt(fm[0].at("device"), 0) + ", model " +
         fmt(fm[0].at("model"), 0) + ")";
  return s + ".";
}

std::vector<std::pair<std::string, std::string>> findings(const nlohmann::json& r) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& m = r.at("metrics");
  auto text = [](const nlohmann::json& j, const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  if (m.contains("vs_model") && m["vs_model"].is_object()) {
    const auto& vm = m["vs_model"];
    const nlohmann::json pattern = vm.contains("pattern") ? vm["pattern"] : nlohmann::json();
    if (const std::string w = text(pattern, "summary"); !w.empty()) out.push_back({"where", w});
    if (vm.contains("attribution"))
      if (const std::string w = text(vm["attribution"], "summary"); !w.empty()) out.push_back({"writes", w});
    if (pattern.is_object()) {
      if (pattern.contains("constant_offset") && pattern["constant_offset"].is_number())
        out.push_back({"constant offset", "every mismatching element is the model's value " +
                                              fmt(pattern["constant_offset"], 0) + " LSB away: an offset, not noise"});
      if (pattern.contains("untouched_rows") && pattern["untouched_rows"].is_number() && pattern["untouched_rows"].get<double>() > 0)
        out.push_back({"never written", fmt(pattern["untouched_rows"], 0) +
                                            " rows still hold the runner's sentinel (0x5A) in every byte: the device never wrote them"});
      if (pattern.contains("zero_rows") && pattern["zero_rows"].is_number() && pattern["zero_rows"].get<double>() > 0)
        out.push_back({"all-zero rows", fmt(pattern["zero_rows"], 0) + " mismatching rows are all zero where the model's are not"});
    }
  }
  const nlohmann::json& be = r.at("backend");
  if (const std::string v = text(be, "static_verdict"); !v.empty()) {
    std::string s = v;
    if (be.contains("max_sp") && be["max_sp"].is_number()) {
      char sp[32];
      std::snprintf(sp, sizeof sp, "0x%llX", static_cast<unsigned long long>(be["max_sp"].get<double>()));
      s += std::string("; the simulated SP reached ") + sp;
    }
    if (be.contains("stack_at") && be["stack_at"].is_number()) s += " (stack moved by --sim-stack-at)";
    out.push_back({"stack", s});
  }
  return out;
}

std::vector<HeadRow> head_rows(const nlohmann::json& r, const OutputArrays* arrays) {
  const auto& shape = r.at("fixture").at("shape");
  const int64_t heads = shape.at(0).is_number_integer() ? shape.at(0).get<int64_t>() : 0;
  std::vector<HeadRow> out;
  if (heads <= 1 || heads > 4096) return out;
  const auto& m = r.at("metrics");
  const nlohmann::json per = m.contains("vs_model") && m["vs_model"].is_object() && m["vs_model"].contains("mismatches_per_head")
                                 ? m["vs_model"]["mismatches_per_head"] : nlohmann::json();
  const bool use_arrays = arrays && arrays->device.shape.heads == heads && arrays->golden.shape == arrays->device.shape;
  for (int64_t h = 0; h < heads; ++h) {
    HeadRow row;
    row.head = h;
    if (per.is_array() && static_cast<size_t>(h) < per.size() && per[static_cast<size_t>(h)].is_number_integer())
      row.mismatches = per[static_cast<size_t>(h)].get<int64_t>();
    if (use_arrays) {
      const size_t n = arrays->device.shape.head_size(), base = static_cast<size_t>(h) * n;
      double sum = 0, most = 0;
      for (size_t i = 0; i < n; ++i) {
        const double e = std::fabs(arrays->device.data[base + i] - arrays->golden.data[base + i]);
        sum += e;
        most = std::max(most, e);
      }
      row.mae = n ? sum / static_cast<double>(n) : 0;
      row.max_abs = most;
    }
    out.push_back(row);
  }
  return out;
}

Grid suite_grid(const std::vector<ReportEntry>& entries) {
  Grid g;
  auto index = [](std::vector<std::string>& v, const std::string& x) {
    const auto it = std::find(v.begin(), v.end(), x);
    if (it != v.end()) return static_cast<size_t>(it - v.begin());
    v.push_back(x);
    return v.size() - 1;
  };
  std::vector<std::tuple<size_t, size_t, std::string, std::string>> placed;
  for (const auto& e : entries) {
    const size_t ri = index(g.revisions, e.revision), fi = index(g.fixtures, e.fixture);
    placed.emplace_back(ri, fi, e.backend, entry_verdict(e));
  }
  if (g.revisions.size() * g.fixtures.size() < 2) return Grid{};
  g.cells.assign(g.revisions.size(), std::vector<std::vector<std::pair<std::string, std::string>>>(g.fixtures.size()));
  for (const auto& [ri, fi, backend, verdict] : placed) g.cells[ri][fi].push_back({backend, verdict});
  return g;
}

}  // namespace report_detail

std::string entry_verdict(const ReportEntry& e) {
  if (!e.skipped.empty()) return "SKIP";
  if (!e.error.empty() || e.report.is_null()) return "ERROR";
  return e.report.at("pass").get<bool>() ? "PASS" : "FAIL";
}

std::string overall_verdict(const std::vector<ReportEntry>& entries) {
  std::string v = "PASS";
  for (const auto& e : entries) {
    const std::string ev = entry_verdict(e);
    if (ev == "ERROR") return "ERROR";
    if (ev == "FAIL") v = "FAIL";
  }
  return v;
}

namespace {

using namespace report_detail;

// Text from a report as Markdown text: nothing in it can open HTML (`<img>`, `</details>`), an
// entity, a link, emphasis or a code span, or end a table cell; control characters become spaces.
std::string cell(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    // "<" opens raw HTML only before a letter, "/", "!" or "?": "<= 0.5" stays readable.
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (u < 0x20 || u == 0x7F) o += ' ';
    else if (c == '<' && (std::isalpha(static_cast<unsigned char>(next)) || std::strchr("/!?", next) != nullptr) && next != '\0') o += "&lt;";
    else if (c == '&') o += "&amp;";
    else if (std::strchr("\\`*_[]!|#~", c) != nullptr) o += std::string("\\") + c;
    else o += c;
  }
  return o;
}

std::string gate_counts(const nlohmann::json& r) {
  const auto& g = r.at("gates");
  if (g.empty()) return "no gates";
  size_t passed = 0;
  for (const auto& x : g) passed += x.at("pass").get<bool>();
  return std::to_string(passed) + "/" + std::to_string(g.size()) + " passed";
}

}  // namespace

std::string render_markdown(const std::vector<ReportEntry>& entries) {
  std::ostringstream o;
  const std::string verdict = overall_verdict(entries);
  const char* icon = verdict == "PASS" ? "✅" : verdict == "FAIL" ? "❌" : "⚠️";
  size_t pass = 0, fail = 0, err = 0, skip = 0;
  for (const auto& e : entries) {
    const std::string v = entry_verdict(e);
    (v == "PASS" ? pass : v == "FAIL" ? fail : v == "SKIP" ? skip : err)++;
  }
  o << "## " << icon << " attncheck validation: " << verdict << "\n\n";
  o << entries.size() << " case(s): " << pass << " passed, " << fail << " failed gates, " << err << " did not run"
    << (skip ? ", " + std::to_string(skip) + " skipped" : std::string()) << ".\n\n";
  const Grid grid = suite_grid(entries);
  if (!grid.cells.empty()) {
    o << "| revision \\ fixture |";
    for (const auto& f : grid.fixtures) o << " " << cell(f) << " |";
    o << "\n|---|";
    for (size_t i = 0; i < grid.fixtures.size(); ++i) o << "---|";
    o << "\n";
    for (size_t ri = 0; ri < grid.revisions.size(); ++ri) {
      o << "| " << cell(grid.revisions[ri]) << " |";
      for (const auto& c : grid.cells[ri]) {
        std::string text;
        for (const auto& [backend, v] : c) text += (text.empty() ? "" : ", ") + cell(backend) + " " + v;
        o << " " << (text.empty() ? "—" : text) << " |";
      }
      o << "\n";
    }
    o << "\n";
  }
  o << "| verdict | revision | fixture | backend | correlation | MAE | RMSE | max abs | within 1 | within 5 | bit-exact | gates |\n";
  o << "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|---|\n";
  for (const auto& e : entries) {
    const std::string v = entry_verdict(e);
    if (v == "ERROR" || v == "SKIP") {
      o << "| " << v << " | " << cell(e.revision) << " | " << cell(e.fixture) << " | " << cell(e.backend) << " | | | | | | | | "
        << cell(v == "SKIP" ? e.skipped : e.error) << " |\n";
      continue;
    }
    const auto& r = e.report;
    const auto& d = r.at("metrics").at("vs_golden");
    const bool exact = !r["metrics"].contains("vs_model") || r["metrics"]["vs_model"].at("bit_exact").get<bool>();
    o << "| " << v << " | " << cell(str(r.at("kernel").at("revision"))) << " | "
      << cell(str(r.at("fixture").at("path"))) << " | " << cell(str(r.at("backend").at("name"))) << " | "
      << fmt(d.at("correlation"), 6) << " | " << fmt(d.at("mae"), 4) << " | " << fmt(d.at("rmse"), 4) << " | "
      << fmt(d.at("max_abs_error"), 1) << " | " << share(d.at("within").at("1")) << " | "
      << share(d.at("within").at("5")) << " | " << (exact ? "yes" : "no") << " | " << gate_counts(r) << " |\n";
  }
  for (const auto& e : entries) {
    const std::string v = entry_verdict(e);
    if (v == "ERROR" || v == "SKIP") continue;
    const auto& r = e.report;
    // The summary line is HTML, not Markdown: escaped as HTML.
    o << "\n<details><summary>" << v << ": " << html_escape(str(r.at("kernel").at("revision"))) << " on "
      << html_escape(str(r.at("fixture").at("path"))) << " (" << html_escape(str(r.at("backend").at("name"))) << ") — "
      << html_escape(e.source) << "</summary>\n\n";
    const bool has_model = r.at("metrics").contains("model_vs_golden");
    o << "| metric | device vs golden |" << (has_model ? " model vs golden |" : "") << " gate | verdict |\n";
    o << "|---|---:|" << (has_model ? "---:|" : "") << "---|---|\n";
    for (const auto& row : metric_rows(r))
      o << "| " << cell(row.label) << " | " << cell(row.device) << " |" << (has_model ? " " + cell(row.model) + " |" : "")
        << " " << cell(row.threshold) << " | " << row.gate_verdict << " |\n";
    o << "\n" << cell(model_line(r)) << "\n\n";
    for (const auto& [label, sentence] : findings(r)) o << "- **" << cell(label) << "**: " << cell(sentence) << "\n";
    const std::vector<HeadRow> heads = head_rows(r, e.arrays ? &*e.arrays : nullptr);
    if (!heads.empty()) {
      o << "\n| head | mismatches vs model | MAE vs golden | max abs error |\n|---:|---:|---:|---:|\n";
      for (const auto& h : heads)
        o << "| " << h.head << " | " << (h.mismatches ? std::to_string(*h.mismatches) : "n/a") << " | "
          << (h.mae ? fmt(*h.mae, 4) : "n/a (arrays not kept)") << " | " << (h.max_abs ? fmt(*h.max_abs, 4) : "n/a") << " |\n";
    }
    if (!e.arrays_note.empty()) o << "\n" << cell("Plots and per-head errors left out: " + e.arrays_note) << "\n";
    o << "\n| provenance | |\n|---|---|\n";
    for (const auto& [k, val] : provenance(r)) o << "| " << cell(k) << " | " << cell(val) << " |\n";
    o << "\n</details>\n";
  }
  return o.str();
}

}  // namespace attncheck
