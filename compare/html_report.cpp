// The validation report as one self-contained HTML page: verdict, tables and inline SVG plots, no script.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "compare/gates.hpp"
#include "compare/svg_plots.hpp"
#include "compare/validation_report.hpp"

namespace attncheck {
namespace {

using namespace report_detail;
using Json = nlohmann::json;

const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1180px; padding: 0 16px 48px; color: #1b1b1b; }
header.verdict { margin: 16px 0; padding: 12px 20px; border-radius: 6px; color: #fff; }
header.PASS { background: #1a7f37; } header.FAIL { background: #cf222e; } header.ERROR { background: #9a6700; }
header.NOT { background: #6e7781; } td.NOT, span.NOT { color: #6e7781; font-weight: bold; }
header h1 { margin: 0; font-size: 26px; } header p { margin: 4px 0 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.PASS, span.PASS { color: #1a7f37; font-weight: bold; } td.FAIL, span.FAIL { color: #cf222e; font-weight: bold; }
td.ERROR, span.ERROR { color: #9a6700; font-weight: bold; }
td.SKIP, span.SKIP { color: #57606a; font-style: italic; }
details.head { margin: 6px 0; } details.head > summary { cursor: pointer; font-weight: bold; }
code { font-size: 12px; word-break: break-all; }
section.case { border-top: 2px solid #d0d7de; margin-top: 24px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; } figcaption { font-size: 12px; color: #57606a; max-width: 520px; }
p.note { color: #57606a; font-style: italic; }
)";

std::string esc(const std::string& s) { return html_escape(s); }

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + esc(caption) + "</figcaption></figure>\n";
}

// Bins a (rows x cols) per-element quantity into at most max_r x max_c cells, as the mean (or sum).
std::vector<double> bin_grid(const std::vector<double>& v, size_t rows, size_t cols, size_t br, size_t bc, bool mean) {
  std::vector<double> sum(br * bc, 0), n(br * bc, 0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) {
      const size_t i = (r * br / rows) * bc + c * bc / cols;
      sum[i] += v[r * cols + c];
      n[i] += 1;
    }
  if (mean)
    for (size_t i = 0; i < sum.size(); ++i) sum[i] = n[i] > 0 ? sum[i] / n[i] : 0;
  return sum;
}

std::string grid_label(size_t n, size_t bins, const std::string& what) {
  return n == bins ? what + " 0.." + std::to_string(n - 1) : what + " 0.." + std::to_string(n - 1) + ", " +
                                                                 std::to_string(bins) + " bins";
}

std::string plots(const ReportEntry& e) {
  std::ostringstream o;
  const RunReport& r = *e.run;
  if (e.arrays) {
    const auto& a = *e.arrays;
    const Shape s = a.device.shape;
    const size_t rows = static_cast<size_t>(s.heads * s.seq), cols = static_cast<size_t>(s.dim);
    // At most 64 x 64 cells: finer grids add megabytes to the page, not insight.
    const size_t br = std::min<size_t>(rows, 64), bc = std::min<size_t>(cols, 64);
    std::vector<double> err(a.device.data.size()), abs_err(err.size()), mism(err.size(), 0);
    for (size_t i = 0; i < err.size(); ++i) {
      err[i] = a.device.data[i] - a.golden.data[i];
      abs_err[i] = std::fabs(err[i]);
      if (a.has_model) mism[i] = a.device.data[i] != a.model.data[i];
    }
    o << figure(svg_scatter(a.golden.data, a.device.data, "Device vs golden", "golden (LSB)", "device (LSB)"),
                "Each point is one output element; the dashed line is device = golden.");
    o << figure(svg_histogram(err, 40, "Error histogram", "device - golden (LSB)", /*log_y=*/true),
                "Distribution of the signed error over all " + std::to_string(err.size()) +
                    " elements; counts on a log scale, so a single element in a tail stays visible.");
    const std::string row_what = s.heads > 1 ? "row h*S+s" : "row (query position)";
    o << figure(svg_heatmap(bin_grid(abs_err, rows, cols, br, bc, true), br, bc, "Per-row error heatmap",
                            grid_label(cols, bc, "column d"), grid_label(rows, br, row_what), "mean |device - golden| (LSB)"),
                "Where the error sits: rows are (head, query position), columns the head dimension.");
    o << figure(svg_heatmap(bin_grid(mism, rows, cols, br, bc, false), br, bc, "Device vs model mismatch map",
                            grid_label(cols, bc, "column d"), grid_label(rows, br, row_what), "elements differing from the model"),
                a.has_model ? model_line(r) : "The backend is the integer model: no element can differ (all zero).");
  } else {
    if (!e.arrays_note.empty())
      o << "<p class=\"note\">The kept arrays could not be used (" << esc(e.arrays_note)
        << "): the scatter, error histogram and per-row error heatmap are left out.</p>\n";
    else
      o << "<p class=\"note\">The scatter, error histogram and per-row error heatmap need the output arrays: rerun with "
           "<code>attncheck run --keep-outputs --json FILE</code>.</p>\n";
    // The mismatch map can still be drawn per row from the report's mismatch_rows. Checked
    // sizes: the shape comes from a file, and a hostile one must neither index past the array nor
    // size a grid of 10^18 cells (fuzz_report_reader); run_report_from_json made them positive.
    const size_t heads = static_cast<size_t>(r.shape[0]), seq = static_cast<size_t>(r.shape[1]);
    // One SVG cell per row: beyond 2^18 rows the page would be hundreds of megabytes.
    constexpr size_t kMaxCells = size_t{1} << 18;
    if (heads > kMaxCells / seq) {
      o << "<p class=\"note\">No per-row mismatch map: the fixture shape " << heads << " x " << seq << " x " << r.shape[2]
        << " is not one this page can draw row by row.</p>\n<p>" << esc(model_line(r)) << "</p>\n";
      return o.str();
    }
    std::vector<double> cells(heads * seq, 0);
    if (r.metrics.vs_model)
      for (const auto& hs : r.metrics.vs_model->mismatch_rows) {
        if (hs[0] < 0 || hs[1] < 0) continue;
        const size_t i = static_cast<size_t>(hs[0]) * seq + static_cast<size_t>(hs[1]);
        if (static_cast<size_t>(hs[1]) < seq && i < cells.size()) cells[i] = 1;
      }
    o << figure(svg_heatmap(cells, heads, seq, "Device vs model mismatch map (per row)", "query position s", "head h",
                            "row has a mismatch"),
                model_line(r));
  }
  return o.str();
}

// The NPU backend adds `latency`; its layout is read loosely: numbers are stats, a numeric array is samples.
std::string latency(const RunReport& rep) {
  if (!rep.latency.is_object()) return "";
  const Json r = {{"latency", rep.latency}};
  std::ostringstream o;
  o << "<h3>Latency</h3>\n<table>";
  std::string samples_key;
  for (const auto& [k, v] : r["latency"].items()) {
    if (v.is_array()) {
      const bool numeric = !v.empty() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_number(); });
      if (numeric && samples_key.empty()) samples_key = k;
      o << "<tr><th>" << esc(k) << "</th><td>" << v.size() << " values</td></tr>";
    } else {
      o << "<tr><th>" << esc(k) << "</th><td class=\"num\">" << esc(fmt(v, 3)) << "</td></tr>";
    }
  }
  o << "</table>\n";
  if (!samples_key.empty()) {
    std::vector<double> xs;
    for (const auto& x : r["latency"][samples_key]) xs.push_back(x.get<double>());
    o << "<div class=\"plots\">"
      << figure(svg_histogram(xs, 30, "Latency histogram", samples_key), std::to_string(xs.size()) + " timed runs.")
      << "</div>\n";
  }
  return o.str();
}

std::string localization(const RunReport& r) {
  std::ostringstream o;
  const VsGolden& d = r.metrics.vs_golden;
  o << "<h3>Mismatch localization</h3>\n<p>" << esc(model_line(r)) << "</p>\n";
  const auto found = findings(r);
  if (!found.empty()) {
    o << "<table class=\"findings\">";
    for (const auto& [label, sentence] : found) o << "<tr><th>" << esc(label) << "</th><td>" << esc(sentence) << "</td></tr>";
    o << "</table>\n";
  }
  auto at = [](const std::array<int64_t, 3>& a) {
    return "[" + std::to_string(a[0]) + "," + std::to_string(a[1]) + "," + std::to_string(a[2]) + "]";
  };
  o << "<p>Largest error vs golden: " << num(d.max_abs_error, 4) << " LSB at [h, s, d] = " << at(d.max_abs_error_at) << ".</p>\n";
  if (r.metrics.vs_model && !r.metrics.vs_model->bit_exact) {
    const VsModel& vm = *r.metrics.vs_model;
    std::string list;
    for (size_t i = 0; i < vm.mismatch_rows.size() && i < 64; ++i)
      list += (list.empty() ? "[" : " [") + std::to_string(vm.mismatch_rows[i][0]) + "," + std::to_string(vm.mismatch_rows[i][1]) + "]";
    if (vm.mismatch_rows.size() > 64) list += " ... (" + std::to_string(vm.mismatch_rows.size()) + " rows in all)";
    o << "<p>Rows [h, s] with a mismatch: <code>" << list << "</code></p>\n";
    o << "<table><tr><th>at [h, s, d]</th><th>device</th><th>model</th><th>golden</th></tr>";
    for (const Mismatch& f : vm.first_mismatches)
      o << "<tr><td>" << at(f.at) << "</td><td class=\"num\">" << num(f.device, 0) << "</td><td class=\"num\">"
        << num(f.model, 0) << "</td><td class=\"num\">" << num(f.golden, 3) << "</td></tr>";
    o << "</table>\n";
  }
  return o.str();
}

// Multi-head fixtures: a table per head, and per head its own error heatmap and mismatch map in a
// <details> panel (a head selector that needs no script), so eight heads are not binned into one map.
std::string head_panels(const ReportEntry& e) {
  const RunReport& r = *e.run;
  const std::vector<HeadRow> heads = head_rows(r, e.arrays ? &*e.arrays : nullptr);
  if (heads.empty()) return "";
  std::ostringstream o;
  o << "<h3>Per head</h3>\n<table><tr><th>head</th><th>mismatches vs model</th><th>MAE vs golden</th><th>max abs error</th></tr>";
  for (const auto& h : heads)
    o << "<tr><td class=\"num\">" << h.head << "</td><td class=\"num\">" << (h.mismatches ? std::to_string(*h.mismatches) : "n/a")
      << "</td><td class=\"num\">" << (h.mae ? esc(fmt(*h.mae, 4)) : "n/a") << "</td><td class=\"num\">"
      << (h.max_abs ? esc(fmt(*h.max_abs, 4)) : "n/a") << "</td></tr>";
  o << "</table>\n";
  if (!e.arrays) return o.str();
  const auto& a = *e.arrays;
  const Shape s = a.device.shape;
  const size_t seq = static_cast<size_t>(s.seq), cols = static_cast<size_t>(s.dim), n = s.head_size();
  const size_t br = std::min<size_t>(seq, 64), bc = std::min<size_t>(cols, 64);
  constexpr int64_t kMaxPanels = 16;  // past that the page grows by megabytes for little
  for (int64_t h = 0; h < s.heads && h < kMaxPanels; ++h) {
    std::vector<double> abs_err(n), mism(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(h) * n + i;
      abs_err[i] = std::fabs(a.device.data[k] - a.golden.data[k]);
      if (a.has_model) mism[i] = a.device.data[k] != a.model.data[k];
    }
    const HeadRow& row = heads[static_cast<size_t>(h)];
    const bool bad = row.mismatches && *row.mismatches > 0;
    o << "<details class=\"head\"" << (bad ? " open" : "") << "><summary>head " << h
      << (row.mismatches ? ": " + std::to_string(*row.mismatches) + " mismatches vs model" : std::string()) << "</summary>"
      << "<div class=\"plots\">"
      << figure(svg_heatmap(bin_grid(abs_err, seq, cols, br, bc, true), br, bc, "Head " + std::to_string(h) + ": error",
                            grid_label(cols, bc, "column d"), grid_label(seq, br, "query position s"), "mean |device - golden| (LSB)"),
                "Head " + std::to_string(h) + " alone.")
      << figure(svg_heatmap(bin_grid(mism, seq, cols, br, bc, false), br, bc, "Head " + std::to_string(h) + ": mismatches",
                            grid_label(cols, bc, "column d"), grid_label(seq, br, "query position s"), "elements differing from the model"),
                a.has_model ? "Elements of head " + std::to_string(h) + " that differ from the model."
                            : "The backend is the integer model: no element can differ.")
      << "</div></details>\n";
  }
  if (s.heads > kMaxPanels)
    o << "<p class=\"note\">Panels for the first " << kMaxPanels << " of " << s.heads << " heads; the table has all.</p>\n";
  return o.str();
}

std::string title_of(const RunReport& r) { return r.revision + " on " + r.fixture_path + " (" + r.backend + ")"; }

}  // namespace

std::string render_html(const std::vector<ReportEntry>& entries) {
  const std::string verdict = overall_verdict(entries);
  const VerdictCounts n = count_verdicts(entries);
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>attncheck validation: " << verdict << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  o << "<header class=\"verdict " << verdict << "\"><h1>attncheck validation: " << verdict << "</h1><p>"
    << entries.size() << " case(s): " << n.pass << " passed, " << n.fail << " failed a gate, " << n.error << " did not run"
    << (n.not_run ? ", " + std::to_string(n.not_run) + " not run (no device: device checks skipped)" : std::string())
    << (n.skip ? ", " + std::to_string(n.skip) + " skipped" : std::string()) << ".</p></header>\n";
  const Grid grid = suite_grid(entries);
  if (!grid.cells.empty()) {
    o << "<section><h2>Revision x fixture</h2>\n<table class=\"grid\"><tr><th>revision \\ fixture</th>";
    for (const auto& f : grid.fixtures) o << "<th><code>" << esc(f) << "</code></th>";
    o << "</tr>\n";
    for (size_t ri = 0; ri < grid.revisions.size(); ++ri) {
      o << "<tr><th>" << esc(grid.revisions[ri]) << "</th>";
      for (const auto& c : grid.cells[ri]) {
        o << "<td>";
        if (c.empty()) o << "<span class=\"note\">—</span>";
        for (const auto& [backend, v] : c) o << "<div>" << esc(backend) << " <span class=\"" << v << "\">" << v << "</span></div>";
        o << "</td>";
      }
      o << "</tr>\n";
    }
    o << "</table></section>\n";
  }

  o << "<section><h2>Cases</h2>\n<table><tr><th>verdict</th><th>revision</th><th>fixture</th><th>backend</th>"
       "<th>correlation</th><th>MAE</th><th>RMSE</th><th>within 5</th><th>bit-exact</th><th>gates</th><th>source</th></tr>\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const std::string v = entry_verdict(e);
    if (v == "ERROR" || v == "SKIP") {
      o << "<tr><td class=\"" << v << "\">" << v << "</td><td>" << esc(e.revision) << "</td><td>" << esc(e.fixture) << "</td><td>"
        << esc(e.backend) << "</td><td colspan=\"6\">" << esc(v == "SKIP" ? e.skipped : e.error) << "</td><td><code>" << esc(e.source)
        << "</code></td></tr>\n";
      continue;
    }
    const RunReport& r = *e.run;
    const VsGolden& d = r.metrics.vs_golden;
    const bool exact = !r.metrics.vs_model || r.metrics.vs_model->bit_exact;
    size_t gp = 0;
    for (const auto& g : r.gates) gp += g.pass;
    o << "<tr><td class=\"" << v << "\"><a href=\"#case-" << i << "\">" << v << "</a></td><td>" << esc(r.revision) << "</td><td>"
      << esc(r.fixture_path) << "</td><td>" << esc(r.backend) << "</td><td class=\"num\">"
      << (d.correlation.value ? num(*d.correlation.value, 6) : "n/a") << "</td><td class=\"num\">" << num(d.mae, 4)
      << "</td><td class=\"num\">" << num(d.rmse, 4) << "</td><td class=\"num\">" << format_share(*metric_value(d, "within.5"), 4)
      << "</td><td>" << (exact ? "yes" : "no") << "</td><td>"
      << (r.gates.empty() ? std::string("none") : std::to_string(gp) + "/" + std::to_string(r.gates.size()))
      << "</td><td><code>" << esc(e.source) << "</code></td></tr>\n";
  }
  o << "</table></section>\n";

  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const std::string v = entry_verdict(e);
    if (v == "ERROR" || v == "SKIP") continue;
    const RunReport& r = *e.run;
    o << "<section class=\"case\" id=\"case-" << i << "\">\n<h2><span class=\"" << v << "\">" << v << "</span> "
      << esc(title_of(r)) << "</h2>\n";
    if (!r.not_run.empty()) o << "<p><span class=\"NOT\">NOT RUN</span>: " << esc(r.not_run) << "</p>\n";
    const bool has_model = r.metrics.model_vs_golden.has_value();
    o << "<h3>Metrics against the gates</h3>\n<table><tr><th>metric</th><th>device vs golden</th>"
      << (has_model ? "<th>model vs golden</th>" : "") << "<th>gate</th><th>verdict</th></tr>\n";
    for (const auto& row : metric_rows(r))
      o << "<tr><th>" << esc(row.label) << "</th><td class=\"num\">" << esc(row.device) << "</td>"
        << (has_model ? "<td class=\"num\">" + esc(row.model) + "</td>" : "") << "<td>" << esc(row.threshold)
        << "</td><td class=\"" << row.gate_verdict << "\">" << row.gate_verdict << "</td></tr>\n";
    o << "</table>\n";
    if (r.gates.empty()) o << "<p class=\"note\">No gates were given: the verdict checks nothing.</p>\n";
    o << localization(r);
    o << "<h3>Plots</h3>\n<div class=\"plots\">\n" << plots(e) << "</div>\n";
    o << head_panels(e);
    o << latency(r);
    o << "<h3>Provenance</h3>\n<table>";
    for (const auto& [k, val] : provenance(r))
      o << "<tr><th>" << esc(k) << "</th><td><code>" << esc(val) << "</code></td></tr>";
    o << "<tr><th>report</th><td><code>" << esc(e.source) << "</code></td></tr></table>\n</section>\n";
  }
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace attncheck
