// Two reports side by side: metric deltas, regressions of B against A, and changed elements.
#include "compare/diff.hpp"

#include "compare/svg_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "compare/metrics.hpp"
#include "compare/report_types.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

std::string num(const nlohmann::json& v, int precision = 6) {
  if (!v.is_number()) return v.is_null() ? "null" : v.dump();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v.get<double>());
  return buf;
}

std::string describe(const RunReport& r) { return r.revision + " on " + r.fixture_path + " (" + r.backend + ")"; }

// Bit-exact against the model; a report without vs_model ran the model itself, so it is.
bool bit_exact(const RunReport& r) { return !r.metrics.vs_model || r.metrics.vs_model->bit_exact; }

nlohmann::json maybe_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

void check_diffable(const nlohmann::json& r, const std::string& name) { static_cast<void>(run_report_from_json(r, name)); }

ElementChanges count_changes(const DoubleTensor& a, const DoubleTensor& b) {
  if (a.shape != b.shape) throw InputError("outputs have different shapes: " + a.shape.str() + " and " + b.shape.str());
  ElementChanges c;
  c.count = a.data.size();
  c.rows = static_cast<size_t>(a.shape.heads * a.shape.seq);
  const size_t dim = static_cast<size_t>(a.shape.dim);
  for (size_t row = 0; row < c.rows; ++row) {
    size_t here = 0;
    for (size_t d = 0; d < dim; ++d) here += a.data[row * dim + d] != b.data[row * dim + d];
    c.changed += here;
    c.changed_rows += here > 0;
  }
  return c;
}

const std::vector<std::string>& diff_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"correlation", "mae", "rmse", "max_abs_error"};
    for (int b : kWithinBuckets) n.push_back("within." + std::to_string(b));
    n.push_back("sqnr_db");
    n.push_back("cosine");
    return n;
  }();
  return names;
}

DiffResult diff_reports(const nlohmann::json& a, const std::string& a_name, const nlohmann::json& b,
                        const std::string& b_name, const DiffTolerance& tol, const std::optional<ElementChanges>& changes) {
  const RunReport ra = run_report_from_json(a, a_name), rb = run_report_from_json(b, b_name);
  DiffResult out;
  out.json = {{"a", {{"source", a_name}, {"run", describe(ra)}}},
              {"b", {{"source", b_name}, {"run", describe(rb)}}},
              {"metrics", nlohmann::json::array()}};
  const VsGolden& ga = ra.metrics.vs_golden;
  const VsGolden& gb = rb.metrics.vs_golden;
  std::ostringstream o;
  o << "attncheck diff (tolerance " << tol.absolute << (tol.relative > 0 ? ", relative " + std::to_string(tol.relative) : "")
    << (tol.by_metric.empty() ? "" : ", per metric as given") << ")\n";
  o << "  A  " << a_name << "  " << describe(ra) << "\n";
  o << "  B  " << b_name << "  " << describe(rb) << "\n";
  const bool same_inputs = ra.input_sha256 == rb.input_sha256;
  if (!same_inputs)
    o << "  note: A and B ran on different inputs (fixture hashes differ)\n";
  o << "\n";
  char line[192];
  std::snprintf(line, sizeof line, "  %-18s %-14s %-14s %-14s %s\n", "metric (vs golden)", "A", "B", "delta (B-A)", "");
  o << line;

  // higher: whether a larger value is better; gating: whether worsening counts as a regression.
  auto row = [&](const std::string& name, const nlohmann::json& va, const nlohmann::json& vb, bool higher,
                 bool gating) {
    std::string delta = "", mark = "";
    nlohmann::json jdelta = nullptr;
    if (va.is_number() && vb.is_number()) {
      const double d = vb.get<double>() - va.get<double>();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%+.6f", d);
      delta = buf;
      jdelta = d;
      const double worse = higher ? -d : d;
      const double tolerance = std::max(tol.for_metric(name), tol.relative * std::fabs(va.get<double>()));
      if (worse > tolerance) mark = gating ? "REGRESSED" : "worse";
      else if (worse < -tolerance) mark = "better";
    } else if (va.is_number() && vb.is_null()) {
      // A defined metric becoming undefined (e.g. a constant output) is a loss.
      mark = gating ? "REGRESSED" : "worse";
    }
    if (mark == "REGRESSED") out.regressions.push_back(name);
    out.json["metrics"].push_back({{"name", name}, {"a", va}, {"b", vb}, {"delta", jdelta}, {"mark", mark}});
    std::snprintf(line, sizeof line, "  %-18s %-14s %-14s %-14s %s\n", name.c_str(), num(va).c_str(), num(vb).c_str(),
                  delta.c_str(), mark.c_str());
    o << line;
  };
  // Every metric by its name, the same list the tolerances and the JSON use.
  for (const std::string& name : diff_metric_names()) {
    const bool higher = name != "mae" && name != "rmse" && name != "max_abs_error";
    const bool gating = name != "max_abs_error" && name != "sqnr_db" && name != "cosine";
    row(name, maybe_json(metric_value(ga, name)), maybe_json(metric_value(gb, name)), higher, gating);
  }

  const bool ea = bit_exact(ra), eb = bit_exact(rb);
  std::string mark = ea && !eb ? "REGRESSED" : (!ea && eb ? "better" : "");
  if (mark == "REGRESSED") out.regressions.push_back("bit_exact");
  std::snprintf(line, sizeof line, "  %-18s %-14s %-14s %-14s %s\n", "bit_exact (model)", ea ? "true" : "false",
                eb ? "true" : "false", "", mark.c_str());
  o << line;

  // Identical kernel outputs on identical inputs are no change, whatever the golden side did: its
  // FP32 rounding differs between CPUs (ATTNCHECK_ISA), and a metric delta from that alone must not
  // fail a CI job on another runner.
  const bool same_output = (changes && changes->changed == 0) ||
                           (!ra.output_sha256.empty() && ra.output_sha256 == rb.output_sha256);
  if (same_inputs && same_output && eb == ea) {
    out.regressions.clear();
    out.unchanged = true;
  }
  if (changes) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "\n  outputs: %zu of %zu elements changed (%.1f%%) in %zu of %zu rows\n",
                  changes->changed, changes->count, changes->count ? 100.0 * changes->changed / changes->count : 0.0,
                  changes->changed_rows, changes->rows);
    o << buf;
  } else {
    o << "\n  outputs: not compared (rerun both with `run --keep-outputs` to count changed elements)\n";
  }
  out.json["bit_exact"] = {{"a", ea}, {"b", eb}};
  out.json["changes"] = changes ? nlohmann::json{{"changed", changes->changed}, {"count", changes->count},
                                                 {"changed_rows", changes->changed_rows}, {"rows", changes->rows}}
                                : nlohmann::json(nullptr);
  out.json["unchanged"] = out.unchanged;
  out.json["regressions"] = out.regressions;
  out.json["verdict"] = out.unchanged ? "NO CHANGE" : out.regressions.empty() ? "OK" : "REGRESSED";
  if (out.unchanged) {
    o << "\n  verdict   NO CHANGE: the kernel outputs are identical on the same inputs"
      << " (metric deltas, if any, come from the golden model's floating point)\n";
  } else if (out.regressions.empty()) {
    o << "\n  verdict   OK: B does not regress against A\n";
  } else {
    std::string names;
    for (const auto& n : out.regressions) names += (names.empty() ? "" : ", ") + n;
    o << "\n  verdict   REGRESSED: " << names << "\n";
  }
  out.text = o.str();
  return out;
}

namespace {

// "1984 of 4096 elements changed (48.4%) in 64 of 64 rows", from a diff's `changes`.
std::string changes_text(const nlohmann::json& ch) {
  const size_t changed = ch.at("changed").get<size_t>(), count = ch.at("count").get<size_t>();
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu of %zu elements changed (%.1f%%) in %zu of %zu rows", changed, count,
                count ? 100.0 * static_cast<double>(changed) / static_cast<double>(count) : 0.0,
                ch.at("changed_rows").get<size_t>(), ch.at("rows").get<size_t>());
  return buf;
}

}  // namespace

namespace {

void need(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw InputError(where + ": malformed diff: " + what);
}

void check_one_diff(const nlohmann::json& c, const std::string& where, const std::string& at) {
  need(c.is_object(), where, at + " is not an object");
  for (const char* side : {"a", "b"}) {
    need(c.contains(side) && c[side].is_object(), where, at + std::string(side) + ": expected an object");
    for (const char* k : {"run", "source"})
      need(!c[side].contains(k) || c[side][k].is_string(), where, at + side + "." + k + ": expected a string");
  }
  need(c.contains("metrics") && c["metrics"].is_array(), where, at + "metrics: expected an array");
  for (const auto& m : c["metrics"]) {
    need(m.is_object() && m.contains("name") && m["name"].is_string() && m.contains("mark") && m["mark"].is_string(), where,
         at + "metrics[]: expected {name, a, b, delta, mark}");
    for (const char* k : {"a", "b", "delta"})
      need(m.contains(k) && (m[k].is_number() || m[k].is_null() || m[k].is_boolean()), where, at + "metrics[]." + k + ": expected a number or null");
  }
  need(c.contains("bit_exact") && c["bit_exact"].is_object() && c["bit_exact"].contains("a") && c["bit_exact"].contains("b"), where,
       at + "bit_exact: expected {a, b}");
  need(!c.contains("verdict") || c["verdict"].is_string(), where, at + "verdict: expected a string");
  if (c.contains("changes") && !c["changes"].is_null()) {
    need(c["changes"].is_object(), where, at + "changes: expected an object or null");
    for (const char* k : {"changed", "count", "changed_rows", "rows"})
      need(c["changes"].contains(k) && c["changes"][k].is_number_unsigned(), where, at + "changes." + k + ": expected a count");
  }
}

}  // namespace

void check_diff_json(const nlohmann::json& d, const std::string& where) {
  need(d.is_object() && d.value("schema", nlohmann::json()) == "attncheck.diff/1", where, "not an attncheck.diff/1 document");
  need(!d.contains("verdict") || d["verdict"].is_string(), where, "verdict: expected a string");
  if (d.contains("cases")) {
    need(d["cases"].is_array(), where, "cases: expected an array");
    for (const auto& c : d["cases"]) {
      check_one_diff(c, where, "cases[].");
      need(!c.contains("id") || c["id"].is_string(), where, "cases[].id: expected a string");
    }
    for (const char* k : {"only_in_a", "only_in_b"})
      need(d.contains("only_in_a") == d.contains("only_in_b") && (!d.contains(k) || d[k].is_array()), where,
           std::string(k) + ": expected an array beside the other");
  } else {
    check_one_diff(d, where, "");
  }
}

std::string diff_html(const std::vector<nlohmann::json>& diffs) {
  std::ostringstream o;
  std::string verdict = "NO CHANGE";
  for (const auto& d : diffs) {
    const std::string v = d.value("verdict", std::string());
    if (v == "REGRESSED" || (v == "OK" && verdict == "NO CHANGE")) verdict = v;
  }
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>attncheck diff: " << html_escape(verdict)
    << "</title>\n<style>body { font-family: system-ui, sans-serif; margin: 24px; } table { border-collapse: collapse; margin: 8px 0; }"
       " td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; }"
       " .REGRESSED, .worse { color: #cf222e; font-weight: bold; } .better, .OK { color: #1a7f37; font-weight: bold; }</style>\n"
       "</head>\n<body>\n<h1>attncheck diff: <span class=\""
    << html_escape(verdict) << "\">" << html_escape(verdict) << "</span></h1>\n";
  auto one = [&](const nlohmann::json& c) {
    const std::string v = c.value("verdict", std::string());
    o << "<p><span class=\"" << html_escape(v) << "\">" << html_escape(v) << "</span>: A <code>"
      << html_escape(c.at("a").value("run", std::string())) << "</code> (" << html_escape(c.at("a").value("source", std::string()))
      << ") vs B <code>" << html_escape(c.at("b").value("run", std::string())) << "</code> ("
      << html_escape(c.at("b").value("source", std::string())) << ")</p>\n";
    o << "<table><tr><th>metric (vs golden)</th><th>A</th><th>B</th><th>B - A</th><th></th></tr>\n";
    for (const auto& m : c.at("metrics")) {
      const std::string mark = m.at("mark").get<std::string>();
      o << "<tr><td>" << html_escape(m.at("name").get<std::string>()) << "</td><td>" << num(m.at("a")) << "</td><td>"
        << num(m.at("b")) << "</td><td>" << (m.at("delta").is_null() ? "" : num(m.at("delta"))) << "</td><td class=\""
        << html_escape(mark) << "\">" << html_escape(mark) << "</td></tr>\n";
    }
    o << "<tr><td>bit_exact (model)</td><td>" << c.at("bit_exact").at("a").dump() << "</td><td>" << c.at("bit_exact").at("b").dump()
      << "</td><td></td><td></td></tr>\n</table>\n";
    if (c.contains("changes") && c["changes"].is_object()) o << "<p>Outputs: " << changes_text(c["changes"]) << ".</p>\n";
  };
  for (const auto& d : diffs) {
    if (d.contains("cases")) {
      o << "<p>" << d.at("cases").size() << " case(s) compared.</p>\n";
      for (const auto& c : d.at("cases")) {
        o << "<h2>" << html_escape(c.value("id", std::string())) << "</h2>\n";
        one(c);
      }
    } else {
      one(d);
    }
  }
  o << "</body>\n</html>\n";
  return o.str();
}

std::string diff_markdown(const nlohmann::json& d) {
  std::ostringstream o;
  auto one = [&](const nlohmann::json& c) {
    o << "**" << c.value("verdict", std::string()) << "**: A `" << c["a"].value("run", std::string()) << "` vs B `"
      << c["b"].value("run", std::string()) << "`\n\n";
    o << "| metric (vs golden) | A | B | B - A | |\n|---|---|---|---|---|\n";
    for (const auto& m : c["metrics"])
      o << "| " << m["name"].get<std::string>() << " | " << num(m["a"]) << " | " << num(m["b"]) << " | "
        << (m["delta"].is_null() ? "" : num(m["delta"])) << " | " << m["mark"].get<std::string>() << " |\n";
    o << "| bit_exact (model) | " << c["bit_exact"]["a"].dump() << " | " << c["bit_exact"]["b"].dump() << " | | |\n\n";
    if (c.contains("changes") && c["changes"].is_object())
      o << "Outputs: " << changes_text(c["changes"]) << ".\n\n";
  };
  o << "# attncheck diff: " << d.value("verdict", std::string()) << "\n\n";
  if (d.contains("cases")) {
    o << d["cases"].size() << " case(s) compared";
    if (d.contains("only_in_a")) o << ", " << d["only_in_a"].size() << " only in A, " << d["only_in_b"].size() << " only in B";
    o << ".\n\n";
    for (const auto& c : d["cases"]) {
      o << "## " << c.value("id", std::string()) << "\n\n";
      one(c);
    }
  } else {
    one(d);
  }
  return o.str();
}

}  // namespace attncheck
