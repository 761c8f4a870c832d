// `attncheck diff`: two reports (or two revisions run here) side by side; exit 1 when B regresses against A.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "compare/diff.hpp"
#include "compare/report.hpp"
#include "kernels/packages.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct DiffArgs {
  std::vector<std::string> reports, kernels, params, params_a, params_b, tolerance_for;
  std::string fixture, backend, json, md;  // backend empty: each side's default, host for both if either is host
  double tolerance = 1e-9, rel_tolerance = 0;
  double time_tolerance = 0;  // relative: B's predicted time may exceed A's by this fraction
  bool allow_shape_change = false;
};

nlohmann::json shape_of(const nlohmann::json& r) {
  return r.is_object() && r.contains("fixture") && r["fixture"].is_object() ? r["fixture"].value("shape", nlohmann::json())
                                                                            : nlohmann::json();
}

// Reports of different shapes measure different problems: their deltas mean nothing unless asked for.
void check_shapes(const nlohmann::json& a, const std::string& an, const nlohmann::json& b, const std::string& bn,
                  bool allowed) {
  if (allowed || shape_of(a) == shape_of(b)) return;
  throw InputError("diff: " + an + " ran on shape " + shape_of(a).dump() + ", " + bn + " on " + shape_of(b).dump() +
                   "; --allow-shape-change compares their metrics anyway");
}

std::string case_key(const nlohmann::json& c) {
  return c.value("revision", std::string()) + " | " + c.value("fixture", std::string()) + " | " +
         c.value("backend", std::string());
}

// Two suite aggregates: case by case (matched by revision, fixture and backend), with a summary.
DiffResult diff_suites(const nlohmann::json& sa, const std::string& an, const nlohmann::json& sb, const std::string& bn,
                       const DiffTolerance& tol, bool allow_shape_change) {
  std::map<std::string, const nlohmann::json*> in_b;
  for (const auto& c : sb.at("cases")) in_b[case_key(c)] = &c;
  DiffResult out;
  out.json = {{"a", {{"source", an}}}, {"b", {{"source", bn}}}, {"cases", nlohmann::json::array()},
              {"only_in_a", nlohmann::json::array()}, {"only_in_b", nlohmann::json::array()}};
  std::ostringstream o;
  o << "attncheck diff: suites " << an << " (A) and " << bn << " (B), case by case\n";
  size_t compared = 0, unchanged = 0;
  std::set<std::string> seen;
  for (const auto& ca : sa.at("cases")) {
    const std::string key = case_key(ca);
    seen.insert(key);
    const auto it = in_b.find(key);
    if (it == in_b.end()) {
      out.json["only_in_a"].push_back(key);
      continue;
    }
    const nlohmann::json& cb = *it->second;
    if (ca.value("status", "") != "ok" || cb.value("status", "") != "ok") {
      o << "  " << key << ": not compared (status " << ca.value("status", "?") << " / " << cb.value("status", "?") << ")\n";
      continue;
    }
    check_shapes(ca["report"], an + " " + key, cb["report"], bn + " " + key, allow_shape_change);
    DiffResult d = diff_reports(ca["report"], an + "#" + key, cb["report"], bn + "#" + key, tol, std::nullopt);
    ++compared;
    unchanged += d.unchanged;
    nlohmann::json jc = d.json;
    jc["id"] = key;
    out.json["cases"].push_back(jc);
    for (const auto& r : d.regressions) out.regressions.push_back(key + ": " + r);
    o << "  " << key << ": " << jc["verdict"].get<std::string>();
    if (!d.regressions.empty()) {
      std::string names;
      for (const auto& r : d.regressions) names += (names.empty() ? "" : ", ") + r;
      o << " (" << names << ")";
    }
    o << "\n";
  }
  for (const auto& cb : sb.at("cases"))
    if (!seen.count(case_key(cb))) out.json["only_in_b"].push_back(case_key(cb));
  o << "\n  " << compared << " compared, " << unchanged << " unchanged, " << out.json["only_in_a"].size() << " only in A, "
    << out.json["only_in_b"].size() << " only in B\n";
  out.json["verdict"] = out.regressions.empty() ? "OK" : "REGRESSED";
  o << "  verdict   " << out.json["verdict"].get<std::string>() << "\n";
  out.text = o.str();
  return out;
}

// The predicted device time of a run report with the array simulator's timing (backend.timing,
// docs/aie2-timing.md): microseconds summed over its launches; nullopt without one.
std::optional<double> predicted_us(const nlohmann::json& r) {
  if (!r.is_object() || !r.contains("backend") || !r["backend"].is_object() || !r["backend"].contains("timing")) return std::nullopt;
  const nlohmann::json& calls = r["backend"]["timing"].value("calls", nlohmann::json::array());
  if (!calls.is_array() || calls.empty()) return std::nullopt;
  double us = 0;
  for (const auto& c : calls) {
    if (!c.is_object() || !c.contains("predicted_us") || !c["predicted_us"].is_number()) return std::nullopt;
    us += c["predicted_us"].get<double>();
  }
  return us;
}

// Time is compared like a metric: B slower than A by more than --time-tolerance (relative) is a
// regression even when the outputs are unchanged (the simulator is deterministic: equal binaries
// predict equal cycles).
void diff_time(DiffResult& d, const nlohmann::json& ja, const nlohmann::json& jb, double tolerance) {
  const auto ta = predicted_us(ja), tb = predicted_us(jb);
  if (!ta && !tb) return;
  std::ostringstream o;
  if (!ta || !tb) {
    d.json["time"] = {{"a_us", ta ? nlohmann::json(*ta) : nlohmann::json(nullptr)}, {"b_us", tb ? nlohmann::json(*tb) : nlohmann::json(nullptr)},
                      {"compared", false}};
    o << "  predicted time: only " << (ta ? "A" : "B") << " carries one (a --backend sim --insts run); not compared\n";
  } else {
    const bool slower = *tb > *ta * (1 + tolerance);
    d.json["time"] = {{"a_us", *ta}, {"b_us", *tb}, {"ratio", *ta > 0 ? *tb / *ta : 0.0}, {"tolerance", tolerance}, {"compared", true},
                      {"regressed", slower}};
    o << "  predicted time   A " << format_number(*ta, 1) << " us   B " << format_number(*tb, 1) << " us   ("
      << format_number(*ta > 0 ? 100.0 * (*tb / *ta - 1) : 0.0, 2) << "%, tolerance " << format_number(100.0 * tolerance, 2) << "%)"
      << (slower ? "  SLOWER" : "") << "\n";
    if (slower) d.regressions.push_back("predicted_time");
  }
  // The verdict is restated with time counted.
  const size_t v = d.text.rfind("\n  verdict");
  std::string text = v == std::string::npos ? d.text : d.text.substr(0, v + 1);
  text += o.str();
  d.json["regressions"] = d.regressions;
  if (d.regressions.empty()) {
    text += v == std::string::npos ? "" : d.text.substr(v + 1);
  } else {
    std::string names;
    for (const auto& n : d.regressions) names += (names.empty() ? "" : ", ") + n;
    d.json["verdict"] = "REGRESSED";
    text += "\n  verdict   REGRESSED: " + names + "\n";
  }
  d.text = text;
}
}  // namespace

DiffResult diff_two_reports(const nlohmann::json& ja, const std::string& an, const std::optional<KeptOutputs>& ka,
                            const nlohmann::json& jb, const std::string& bn, const std::optional<KeptOutputs>& kb,
                            const DiffTolerance& tol, bool allow_shape_change) {
  const bool suite_a = ja.value("schema", "") == kSuiteSchemaId, suite_b = jb.value("schema", "") == kSuiteSchemaId;
  if (suite_a != suite_b)
    throw InputError("diff: " + (suite_a ? an : bn) + " is a suite aggregate and the other a run report; compare two runs or two suites");
  DiffResult d;
  if (suite_a) {
    d = diff_suites(ja, an, jb, bn, tol, allow_shape_change);
  } else {
    check_shapes(ja, an, jb, bn, allow_shape_change);
    std::optional<ElementChanges> changes;
    if (ka && kb && ka->device.shape == kb->device.shape) changes = count_changes(ka->device, kb->device);
    d = diff_reports(ja, an, jb, bn, tol, changes);
    if (ka && kb && !changes) d.text += "  note: kept outputs have different shapes; elements not compared\n";
  }
  d.json["schema"] = "attncheck.diff/1";
  d.json["tool"] = tool_json();
  return d;
}

namespace {

// Writes --json / --md (both complete before either is written), prints, and gives the exit code.
int finish(DiffResult d, const DiffArgs& a) {
  d.json["schema"] = "attncheck.diff/1";
  d.json["tool"] = tool_json();
  const std::string md = a.md.empty() ? "" : diff_markdown(d.json);
  OutputSet outputs;
  if (!a.json.empty()) outputs.write_json(a.json, d.json);
  if (!a.md.empty()) outputs.write(a.md, md);
  outputs.commit();
  if (a.json != "-" && a.md != "-") print(d.text);
  return d.regressions.empty() ? kExitOk : kExitGateFailed;
}

int diff_cmd(const DiffArgs& a) {
  if (!std::isfinite(a.tolerance) || a.tolerance < 0) throw InputError("--tolerance: must be a finite number >= 0");
  if (!std::isfinite(a.rel_tolerance) || a.rel_tolerance < 0) throw InputError("--rel-tolerance: must be a finite number >= 0");
  if (!std::isfinite(a.time_tolerance) || a.time_tolerance < 0) throw InputError("--time-tolerance: must be a finite number >= 0");
  DiffTolerance tol(a.tolerance);
  tol.relative = a.rel_tolerance;
  for (const auto& t : a.tolerance_for) {
    const size_t eq = t.find('=');
    const std::string name = t.substr(0, eq);
    const auto& names = diff_metric_names();
    if (eq == std::string::npos || std::find(names.begin(), names.end(), name) == names.end())
      throw InputError("--tolerance-for " + t + ": expected METRIC=T with METRIC one of correlation, mae, rmse, "
                       "max_abs_error, within.B, sqnr_db, cosine");
    char* end = nullptr;
    const double v = std::strtod(t.c_str() + eq + 1, &end);
    if (end == t.c_str() + eq + 1 || *end != '\0' || !std::isfinite(v) || v < 0)
      throw InputError("--tolerance-for " + t + ": T must be a finite number >= 0");
    tol.by_metric[name] = v;
  }
  OutputSet::check("--json", a.json);
  OutputSet::check("--md", a.md);
  {
    std::vector<PathRole> inputs;
    for (const auto& p : a.reports) inputs.push_back({"diff input", p});
    if (!a.fixture.empty())
      for (const char* f : {"q.npy", "k.npy", "v.npy", "fixture.json"})
        inputs.push_back({"--fixture " + a.fixture + " (" + f + ")", a.fixture + "/" + f});
    check_distinct_paths(inputs, {{"--json", a.json}, {"--md", a.md}});
  }
  if ((!a.params_a.empty() || !a.params_b.empty()) && a.kernels.empty())
    throw InputError("--param-a/--param-b: apply to --kernel A --kernel B runs");
  DiffResult d;
  if (!a.kernels.empty() || !a.fixture.empty()) {
    if (!a.reports.empty()) throw InputError("diff: give either two reports or --kernel A --kernel B --fixture DIR, not both");
    if (a.kernels.size() != 2 || a.fixture.empty())
      throw InputError("diff: --kernel must be given exactly twice, with --fixture DIR");
    // Without --backend a package runs its own code (host), and then so does the other side: two
    // revisions compared on one backend, never the model's output under a package's name.
    std::string backend = a.backend;
    if (backend.empty()) {
      const std::string da = default_backend(resolve_kernel(a.kernels[0])).name,
                        db = default_backend(resolve_kernel(a.kernels[1])).name;
      backend = da == db ? da : "host";
    }
    // --param applies to both sides; --param-a / --param-b to one (A's revision may lack B's parameter).
    auto request = [&](const std::string& kernel, const std::vector<std::string>& side) {
      RunRequest r;
      r.revision = kernel;
      r.fixture_dir = a.fixture;
      r.backend = backend;
      r.params = a.params;
      r.params.insert(r.params.end(), side.begin(), side.end());
      return r;
    };
    const RunOutcome oa = execute_run(request(a.kernels[0], a.params_a)), ob = execute_run(request(a.kernels[1], a.params_b));
    d = diff_reports(oa.report, "--kernel " + a.kernels[0], ob.report, "--kernel " + a.kernels[1], tol,
                     count_changes(to_double(oa.device), to_double(ob.device)));
    diff_time(d, oa.report, ob.report, a.time_tolerance);
    if (a.backend.empty() && backend != "model")
      d.text.insert(d.text.find('\n') + 1,
                    "  backend " + backend + " for both: the default when a kernel package is compared (its own code)\n");
  } else {
    if (a.reports.size() != 2) throw InputError("diff: needs two reports A.json B.json (or --kernel A --kernel B --fixture DIR)");
    const nlohmann::json ja = read_report_file(a.reports[0], true), jb = read_report_file(a.reports[1], true);
    // Kept outputs belong to two run reports; a suite against a run is refused by diff_two_reports.
    const bool runs = ja.value("schema", "") != kSuiteSchemaId && jb.value("schema", "") != kSuiteSchemaId;
    const auto ka = runs ? load_outputs(ja, a.reports[0]) : std::nullopt, kb = runs ? load_outputs(jb, a.reports[1]) : std::nullopt;
    d = diff_two_reports(ja, a.reports[0], ka, jb, a.reports[1], kb, tol, a.allow_shape_change);
    if (runs) diff_time(d, ja, jb, a.time_tolerance);
  }
  return finish(d, a);
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("diff", "Compare two reports (A then B) metric by metric; exit 1 when B regresses");
  auto a = std::make_shared<DiffArgs>();
  cmd->add_option("reports", a->reports, "A.json B.json: reports of `run --json` (with --keep-outputs, elements are compared too)");
  cmd->add_option("--kernel", a->kernels, "Run this revision first (give twice: A then B), on --fixture");
  cmd->add_option("--fixture", a->fixture, "Fixture directory for --kernel");
  cmd->add_option("--backend", a->backend,
                  "Backend for --kernel runs (default: model for built-in revisions, host when either is a kernel package)");
  cmd->add_option("--param", a->params, "Revision parameter override NAME=INTEGER for both --kernel runs (repeatable)");
  cmd->add_option("--param-a", a->params_a, "Parameter override for the A run only (repeatable)");
  cmd->add_option("--param-b", a->params_b, "Parameter override for the B run only (repeatable)");
  cmd->add_option("--tolerance", a->tolerance, "Worsening allowed before a metric counts as regressed (absolute)")
      ->capture_default_str();
  cmd->add_option("--rel-tolerance", a->rel_tolerance, "Also allowed: this fraction of |A| (the larger allowance wins)")
      ->capture_default_str();
  cmd->add_option("--time-tolerance", a->time_tolerance,
                  "Reports with the array simulator's predicted time: B may be this fraction slower than A before it regresses (default 0)");
  cmd->add_option("--tolerance-for", a->tolerance_for, "METRIC=T: the absolute tolerance of one metric (repeatable)");
  cmd->add_flag("--allow-shape-change", a->allow_shape_change, "Compare reports of different fixture shapes");
  cmd->add_option("--json", a->json, "Write the diff as JSON (attncheck.diff/1); - is stdout");
  cmd->add_option("--md", a->md, "Write the diff as Markdown; - is stdout");
  cmd->callback([a, &exit_code] { exit_code = diff_cmd(*a); });
}

}  // namespace attncheck
