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

std::string str(const nlohmann::json& v, const std::string& fallback) {
  if (v.is_null()) return fallback;
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string num(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string num(const MaybeValue& v, int precision) {
  return v.value ? num(*v.value, precision) : "n/a (" + (v.reason.empty() ? std::string("undefined") : v.reason) + ")";
}

std::vector<MetricRow> metric_rows(const RunReport& r) {
  const VsGolden& d = r.metrics.vs_golden;
  const std::optional<VsGolden>& mg = r.metrics.model_vs_golden;
  std::vector<MetricRow> rows;
  // One metric: its device and model values (nullopt: undefined, with the reason), formatted.
  auto add = [&](const std::string& label, const std::string& metric, std::optional<double> dv, const std::string& d_reason,
                 std::optional<double> mv, int precision) {
    // Shares are floored: a 0.9999948 within-1 share shows 0.9999, never 1.0000.
    const bool is_share = metric.find(".within.") != std::string::npos;
    auto show = [&](double v) { return is_share ? format_share(v, precision) : num(v, precision); };
    MetricRow row{label, dv ? show(*dv) : "n/a (" + d_reason + ")", mg ? (mv ? show(*mv) : "n/a") : "", "", ""};
    for (const GateResult& g : r.gates) {
      if (g.metric != metric) continue;
      // The figure that decides a gate has the digits to show the decision.
      if (dv && g.threshold.is_number()) row.device = format_decisive(*dv, g.threshold.get<double>(), precision, is_share);
      row.threshold = (g.name.rfind("min_", 0) == 0 ? ">= " : g.name.rfind("max_", 0) == 0 ? "<= " : "") + fmt(g.threshold, 4);
      if (g.name == "require_bit_exact") row.threshold = "true";
      row.gate_verdict = g.skipped ? "SKIP" : g.pass ? "PASS" : "FAIL";
    }
    rows.push_back(row);
  };
  auto reason = [](const MaybeValue& v) { return v.reason.empty() ? std::string("undefined") : v.reason; };
  auto model = [&](const std::string& name) { return mg ? metric_value(*mg, name) : std::nullopt; };
  add("correlation", "vs_golden.correlation", d.correlation.value, reason(d.correlation), model("correlation"), 6);
  add("MAE (LSB)", "vs_golden.mae", d.mae, "", model("mae"), 4);
  add("RMSE (LSB)", "vs_golden.rmse", d.rmse, "", model("rmse"), 4);
  add("max abs error (LSB)", "vs_golden.max_abs_error", d.max_abs_error, "", model("max_abs_error"), 4);
  for (const auto& [b, v] : d.within) {
    const std::string k = std::to_string(b);
    add("within " + k + " LSB", "vs_golden.within." + k, v, "", model("within." + k), 4);
  }
  add("SQNR (dB)", "vs_golden.sqnr_db", d.sqnr_db.value, reason(d.sqnr_db), model("sqnr_db"), 2);
  add("cosine", "vs_golden.cosine", d.cosine.value, reason(d.cosine), model("cosine"), 6);
  const bool exact = !r.metrics.vs_model || r.metrics.vs_model->bit_exact;
  MetricRow bit{"bit-exact vs model", exact ? "true" : "false", mg ? "" : "", "", ""};
  for (const GateResult& g : r.gates)
    if (g.metric == "vs_model.bit_exact") {
      bit.threshold = "true";
      bit.gate_verdict = g.skipped ? "SKIP" : g.pass ? "PASS" : "FAIL";
    }
  rows.push_back(bit);
  return rows;
}

std::vector<std::pair<std::string, std::string>> provenance(const RunReport& r) {
  std::vector<std::pair<std::string, std::string>> out;
  out.push_back({"fixture", r.fixture_path.empty() ? "n/a" : r.fixture_path});
  out.push_back({"shape (H x S x D)", std::to_string(r.shape[0]) + " x " + std::to_string(r.shape[1]) + " x " + std::to_string(r.shape[2])});
  out.push_back({"recipe", r.recipe.empty() ? "unknown" : r.recipe});
  out.push_back({"seed", r.seed ? std::to_string(*r.seed) : "unknown"});
  for (const auto& [file, hash] : r.input_sha256) out.push_back({"sha256 " + file, hash});
  out.push_back({"kernel revision", r.revision.empty() ? "unknown" : r.revision});
  std::string params;
  for (const auto& [k, v] : r.params.items()) params += (params.empty() ? "" : ", ") + k + "=" + v.dump();
  out.push_back({"kernel parameters", params.empty() ? "none" : params});
  out.push_back({"backend", r.backend + ": " + r.backend_description});
  // Backend facts (program, design, fallback, ...) are open-ended: shown as they are.
  bool xclbin = false;
  for (const auto& [k, v] : r.backend_facts.items()) {
    if (k.find("xclbin") != std::string::npos) xclbin = true;
    out.push_back({"backend " + k, str(v)});
  }
  // A device run's facts are in `device` (npu/xrt_runner.cpp): the xclbin's hash and UUID, the
  // instruction stream's hash, the device and its firmware.
  if (r.device.is_object()) {
    const auto& dev = r.device;
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
  if (r.golden.is_object())
    out.push_back({"golden", str(r.golden.value("precision", nlohmann::json())) + ", logit scale " +
                                 (r.golden.contains("logit_scale") && r.golden["logit_scale"].is_number()
                                      ? num(r.golden["logit_scale"].get<double>(), 6) : std::string("n/a"))});
  out.push_back({"tool", "attncheck " + r.tool_version});
  return out;
}

std::string model_line(const RunReport& r) {
  if (!r.metrics.vs_model) return "The output under test is the integer model itself (bit-exact by construction).";
  const VsModel& vm = *r.metrics.vs_model;
  const size_t count = r.metrics.vs_golden.count;
  if (vm.bit_exact) return "Device output is bit-exact with the integer model on all " + std::to_string(count) + " elements.";
  std::string s = "Device output is NOT bit-exact: " + std::to_string(vm.mismatches) + " of " + std::to_string(count) +
                  " elements differ, in " + std::to_string(vm.mismatch_rows.size()) + " rows";
  if (!vm.first_mismatches.empty()) {
    const Mismatch& f = vm.first_mismatches[0];
    s += "; first at [" + std::to_string(f.at[0]) + "," + std::to_string(f.at[1]) + "," + std::to_string(f.at[2]) + "] (device " +
         num(f.device, 0) + ", model " + num(f.model, 0) + ")";
  }
  return s + ".";
}

std::vector<std::pair<std::string, std::string>> findings(const RunReport& r) {
  std::vector<std::pair<std::string, std::string>> out;
  const ReportMetrics& m = r.metrics;
  if (!m.where.empty()) out.push_back({"where", m.where});
  if (!m.writes.empty()) out.push_back({"writes", m.writes});
  if (m.constant_offset)
    out.push_back({"constant offset", "every mismatching element is the model's value " + num(*m.constant_offset, 0) +
                                          " LSB away: an offset, not noise"});
  if (m.untouched_rows > 0)
    out.push_back({"never written", std::to_string(m.untouched_rows) +
                                        " rows still hold the runner's sentinel (0x5A) in every byte: the device never wrote them"});
  if (m.zero_rows > 0)
    out.push_back({"all-zero rows", std::to_string(m.zero_rows) + " mismatching rows are all zero where the model's are not"});
  const nlohmann::json& be = r.backend_facts;
  // The array simulator's predicted time (docs/aie2-timing.md): per launch, and the function with
  // the most cycles of its own (bundles it issued and stalls it sat in).
  if (be.contains("timing") && be["timing"].is_object() && be["timing"].contains("calls") && be["timing"]["calls"].is_array()) {
    const nlohmann::json& t = be["timing"];
    const double mhz = t.contains("clock") && t["clock"].contains("mhz") ? t["clock"]["mhz"].get<double>() : 0;
    for (const auto& c : t["calls"]) {
      if (!c.is_object() || !c.contains("cycles") || mhz <= 0) continue;
      std::string s = num(static_cast<double>(c["cycles"].get<uint64_t>()) / mhz, 1) + " us at " + num(mhz, 0) + " MHz (" +
                      std::to_string(c["cycles"].get<uint64_t>()) + " cycles, the device only: XRT's per-call overhead not included)";
      if (c.contains("cores") && c["cores"].is_array())
        for (const auto& k : c["cores"])
          s += "; core (" + std::to_string(k["tile"][0].get<int>()) + "," + std::to_string(k["tile"][1].get<int>()) + ") busy " +
             std::to_string(k["busy_cycles"].get<uint64_t>()) + ", stalled on locks " + std::to_string(k["lock_stall_cycles"].get<uint64_t>());
      if (c.contains("profile") && c["profile"].contains("cores"))
        for (const auto& k : c["profile"]["cores"]) {
          const nlohmann::json* top = nullptr;
          if (!k.contains("functions") || !k["functions"].is_array()) continue;
          for (const auto& f : k["functions"])
            if (!top || f["self_cycles"].get<uint64_t>() > (*top)["self_cycles"].get<uint64_t>()) top = &f;
          if (top)
            s += "; busiest function " + (*top)["function"].get<std::string>() + " (" + num(100.0 * (*top)["self_share"].get<double>(), 1) +
                 "% of the core's cycles its own, " + num(100.0 * (*top)["inclusive_share"].get<double>(), 1) + "% with callees)";
        }
      out.push_back({"predicted time, launch " + std::to_string(c.value("launch", 0)), s});
    }
  }
  if (be.contains("static_verdict") && be["static_verdict"].is_string()) {
    std::string s = be["static_verdict"].get<std::string>();
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

std::vector<HeadRow> head_rows(const RunReport& r, const OutputArrays* arrays) {
  const int64_t heads = r.shape[0];
  std::vector<HeadRow> out;
  if (heads <= 1 || heads > 4096) return out;
  const auto& per = r.metrics.mismatches_per_head;
  const bool use_arrays = arrays && arrays->device.shape.heads == heads && arrays->golden.shape == arrays->device.shape;
  for (int64_t h = 0; h < heads; ++h) {
    HeadRow row;
    row.head = h;
    if (static_cast<size_t>(h) < per.size()) row.mismatches = per[static_cast<size_t>(h)];
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

VerdictCounts count_verdicts(const std::vector<ReportEntry>& entries) {
  VerdictCounts n;
  for (const auto& e : entries) {
    const std::string v = entry_verdict(e);
    (v == "PASS" ? n.pass : v == "FAIL" ? n.fail : v == "SKIP" ? n.skip : v == "NOT RUN" ? n.not_run : n.error)++;
  }
  return n;
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
  if (!e.error.empty() || !e.run) return "ERROR";
  if (!e.run->not_run.empty()) return "NOT RUN";  // a skipped device check is never a pass
  return e.run->pass ? "PASS" : "FAIL";
}

std::string overall_verdict(const std::vector<ReportEntry>& entries) {
  std::string v = "PASS";
  for (const auto& e : entries) {
    const std::string ev = entry_verdict(e);
    if (ev == "ERROR") return "ERROR";
    if (ev == "FAIL") v = "FAIL";
    if (ev == "NOT RUN" && v == "PASS") v = "NOT RUN";
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

std::string gate_counts(const RunReport& r) {
  if (r.gates.empty()) return "no gates";
  size_t passed = 0;
  for (const auto& g : r.gates) passed += g.pass;
  return std::to_string(passed) + "/" + std::to_string(r.gates.size()) + " passed";
}

}  // namespace

std::string render_markdown(const std::vector<ReportEntry>& entries) {
  std::ostringstream o;
  const std::string verdict = overall_verdict(entries);
  const char* icon = verdict == "PASS" ? "✅" : verdict == "FAIL" ? "❌" : "⚠️";
  const VerdictCounts n = count_verdicts(entries);
  o << "## " << icon << " attncheck validation: " << verdict << "\n\n";
  o << entries.size() << " case(s): " << n.pass << " passed, " << n.fail << " failed gates, " << n.error << " did not run"
    << (n.not_run ? ", " + std::to_string(n.not_run) + " not run (no device: device checks skipped)" : std::string())
    << (n.skip ? ", " + std::to_string(n.skip) + " skipped" : std::string()) << ".\n\n";
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
    const RunReport& r = *e.run;
    const VsGolden& d = r.metrics.vs_golden;
    const bool exact = !r.metrics.vs_model || r.metrics.vs_model->bit_exact;
    o << "| " << v << " | " << cell(r.revision) << " | " << cell(r.fixture_path) << " | " << cell(r.backend) << " | "
      << (d.correlation.value ? num(*d.correlation.value, 6) : "n/a") << " | " << num(d.mae, 4) << " | " << num(d.rmse, 4)
      << " | " << num(d.max_abs_error, 1) << " | " << format_share(*metric_value(d, "within.1"), 4) << " | "
      << format_share(*metric_value(d, "within.5"), 4) << " | " << (exact ? "yes" : "no") << " | " << gate_counts(r) << " |\n";
  }
  for (const auto& e : entries) {
    const std::string v = entry_verdict(e);
    if (v == "ERROR" || v == "SKIP") continue;
    const RunReport& r = *e.run;
    // The summary line is HTML, not Markdown: escaped as HTML.
    o << "\n<details><summary>" << v << ": " << html_escape(r.revision) << " on " << html_escape(r.fixture_path) << " ("
      << html_escape(r.backend) << ") — " << html_escape(e.source) << "</summary>\n\n";
    if (!r.not_run.empty()) o << "**NOT RUN**: " << cell(r.not_run) << "\n\n";
    const bool has_model = r.metrics.model_vs_golden.has_value();
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
