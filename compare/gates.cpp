// Accuracy gates: parsing the thresholds file strictly, and checking a report's metrics against it.
#include "compare/gates.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "compare/metrics.hpp"
#include "fixtures/input_file.hpp"
#include "ref/errors.hpp"
#include "ref/registry.hpp"

namespace attncheck {
namespace {

[[noreturn]] void bad(const std::string& name, const std::string& what) { throw InputError(name + ": " + what); }

double threshold_number(const nlohmann::json& v, const std::string& name, const std::string& key) {
  // nlohmann never yields NaN from JSON text, but a caller building the object in code can.
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    bad(name, "'" + key + "' must be a finite number, got " + v.dump());
  return v.get<double>();
}

double share(const nlohmann::json& v, const std::string& name, const std::string& key) {
  const double x = threshold_number(v, name, key);
  if (x < 0 || x > 1) bad(name, "'" + key + "' must be in [0, 1], got " + v.dump());
  return x;
}

GateSpec parse_spec(const nlohmann::json& j, const std::string& name, const std::string& where, bool top) {
  if (!j.is_object()) bad(name, (where.empty() ? std::string("the gates") : "'" + where + "'") + " must be a JSON object");
  GateSpec s;
  const std::string prefix = where.empty() ? "" : where + ".";
  for (const auto& [key, v] : j.items()) {
    const std::string k = prefix + key;
    if (key == "min_correlation") {
      const double x = threshold_number(v, name, k);
      if (x < -1 || x > 1) bad(name, "'" + k + "' must be in [-1, 1], got " + v.dump());
      s.min_correlation = x;
    } else if (key == "max_mae" || key == "max_rmse" || key == "max_abs_error") {
      const double x = threshold_number(v, name, k);
      if (x < 0) bad(name, "'" + k + "' must be >= 0, got " + v.dump());
      (key == "max_mae" ? s.max_mae : key == "max_rmse" ? s.max_rmse : s.max_abs_error) = x;
    } else if (key == "min_within") {
      if (!v.is_object()) bad(name, "'" + k + "' must be an object like {\"1\": 0.99, \"5\": 0.95}");
      for (const auto& [bucket, share_v] : v.items()) {
        int b = -1;
        for (int known : kWithinBuckets)
          if (bucket == std::to_string(known)) b = known;
        if (b < 0) {
          std::string known;
          for (int kb : kWithinBuckets) known += (known.empty() ? "" : ", ") + std::to_string(kb);
          bad(name, "'" + k + "' has bucket '" + bucket + "', measured buckets are " + known);
        }
        s.min_within[b] = share(share_v, name, k + "." + bucket);
      }
    } else if (key == "require_bit_exact") {
      if (!v.is_boolean()) bad(name, "'" + k + "' must be true or false, got " + v.dump());
      s.require_bit_exact = v.get<bool>();
    } else if (key == "revisions" && top) {
      // handled by the caller
    } else {
      bad(name, "unknown key '" + k +
                    "' (known: min_correlation, max_mae, max_rmse, max_abs_error, min_within, require_bit_exact" +
                    (top ? ", revisions)" : ")"));
    }
  }
  return s;
}

template <class T>
void overlay(std::optional<T>& base, const std::optional<T>& over) {
  if (over) base = over;
}

nlohmann::json gate(const std::string& name, const std::string& metric, const nlohmann::json& threshold,
                    const nlohmann::json& value, bool pass) {
  return {{"name", name}, {"metric", metric}, {"threshold", threshold}, {"value", value}, {"pass", pass}};
}

}  // namespace

GatesFile parse_gates(const nlohmann::json& j, const std::string& name) {
  GatesFile g;
  g.path = name;
  g.defaults = parse_spec(j, name, "", true);
  if (j.contains("revisions")) {
    const auto& revs = j.at("revisions");
    if (!revs.is_object()) bad(name, "'revisions' must be an object: revision name -> gates");
    for (const auto& [rev, spec] : revs.items()) {
      bool known = false;
      std::string names;
      for (const auto& r : revisions()) {
        known = known || r.name == rev;
        names += (names.empty() ? "" : ", ") + r.name;
      }
      if (!known) bad(name, "'revisions' names unknown revision '" + rev + "' (known: " + names + ")");
      g.by_revision[rev] = parse_spec(spec, name, "revisions." + rev, false);
    }
  }
  return g;
}

GatesFile load_gates(const std::string& path) {
  return parse_gates_text(read_text_file(path), path);
}

GatesFile parse_gates_text(const std::string& text, const std::string& name) {
  check_json_input(text, name);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    bad(name, "not valid JSON: " + msg.substr(msg.find(']') == std::string::npos ? 0 : msg.find(']') + 2));
  }
  return parse_gates(j, name);
}

GateSpec gates_for_revision(const GatesFile& g, const std::string& revision) {
  GateSpec s = g.defaults;
  auto it = g.by_revision.find(revision);
  if (it == g.by_revision.end()) return s;
  const GateSpec& o = it->second;
  overlay(s.min_correlation, o.min_correlation);
  overlay(s.max_mae, o.max_mae);
  overlay(s.max_rmse, o.max_rmse);
  overlay(s.max_abs_error, o.max_abs_error);
  overlay(s.require_bit_exact, o.require_bit_exact);
  for (const auto& [b, x] : o.min_within) s.min_within[b] = x;
  return s;
}

std::string bit_exact_failure(const VsModel& vs_model, size_t count) {
  std::string s = std::to_string(vs_model.mismatches) + " of " + std::to_string(count) + " elements differ";
  if (!vs_model.first_mismatches.empty()) {
    const Mismatch& m = vs_model.first_mismatches.front();
    char buf[160];
    std::snprintf(buf, sizeof buf, "; first at [%lld, %lld, %lld]: device %.0f model %.0f",
                  static_cast<long long>(m.at[0]), static_cast<long long>(m.at[1]), static_cast<long long>(m.at[2]), m.device,
                  m.model);
    s += buf;
  }
  return s;
}

nlohmann::json evaluate_gates(const GateSpec& spec, const ReportMetrics& metrics) {
  nlohmann::json out = nlohmann::json::array();
  const VsGolden& g = metrics.vs_golden;
  auto value_json = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  // A gate on one metric: undefined values (a constant output's correlation) fail, with the reason.
  auto check = [&](const char* name, const std::string& metric, double t, bool at_least) {
    const std::optional<double> v = metric_value(g, metric);
    nlohmann::json item = gate(name, "vs_golden." + metric, t, value_json(v), v && (at_least ? *v >= t : *v <= t));
    if (!v && metric == "correlation") item["reason"] = g.correlation.reason.empty() ? "undefined" : g.correlation.reason;
    out.push_back(item);
  };
  if (spec.min_correlation) check("min_correlation", "correlation", *spec.min_correlation, true);
  if (spec.max_mae) check("max_mae", "mae", *spec.max_mae, false);
  if (spec.max_rmse) check("max_rmse", "rmse", *spec.max_rmse, false);
  if (spec.max_abs_error) check("max_abs_error", "max_abs_error", *spec.max_abs_error, false);
  for (const auto& [b, t] : spec.min_within) {
    const std::string key = "within." + std::to_string(b);
    const std::string name = "min_" + key;
    check(name.c_str(), key, t, true);
  }
  if (spec.require_bit_exact && *spec.require_bit_exact) {
    if (metrics.vs_model) {
      const bool exact = metrics.vs_model->bit_exact;
      nlohmann::json item = gate("require_bit_exact", "vs_model.bit_exact", true, exact, exact);
      // How far from bit-exact, on the failure line itself: a count and the first element differing.
      if (!exact) item["reason"] = bit_exact_failure(*metrics.vs_model, g.count);
      out.push_back(item);
    } else {
      // The output under test is the integer model itself, so it is bit-exact by construction.
      nlohmann::json item = gate("require_bit_exact", "vs_model.bit_exact", true, true, true);
      item["reason"] = "the backend is the integer model";
      out.push_back(item);
    }
  }
  return out;
}

nlohmann::json evaluate_gates(const GateSpec& spec, const nlohmann::json& metrics) {
  return evaluate_gates(spec, metrics_from_json(metrics, "metrics"));
}

std::string format_share(double share, int precision) {
  const double scale = std::pow(10.0, precision);
  char buf[64];
  // The tiny epsilon keeps an exact 0.25 at 0.2500 where share * scale lands a hair below.
  std::snprintf(buf, sizeof buf, "%.*f", precision, std::floor(share * scale + 1e-9) / scale);
  return buf;
}

std::string format_decisive(double v, double threshold, int precision, bool floor) {
  char buf[64];
  for (int p = precision; p <= 17; ++p) {
    if (floor) {
      std::snprintf(buf, sizeof buf, "%s", format_share(v, p).c_str());
    } else {
      std::snprintf(buf, sizeof buf, "%.*f", p, v);
    }
    const double shown = std::strtod(buf, nullptr);
    const bool same_side = (v < threshold) == (shown < threshold) && (v > threshold) == (shown > threshold);
    if (same_side) return buf;
  }
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string format_share_percent(double share, int decimals) {
  return format_share(share * 100.0, decimals) + "%";
}

bool gates_pass(const nlohmann::json& gates) {
  for (const auto& g : gates)
    if (!g.at("pass").get<bool>() && !g.value("skipped", false)) return false;
  return true;
}

std::string gates_summary(const nlohmann::json& gates) {
  std::ostringstream o;
  for (const auto& g : gates) {
    const std::string name = g.at("name");
    const bool is_min = name.rfind("min_", 0) == 0;
    const nlohmann::json& v = g.at("value");
    const nlohmann::json& t = g.at("threshold");
    const bool share_gate = name.rfind("min_within.", 0) == 0;
    std::string value = v.is_number() && t.is_number() ? format_decisive(v.get<double>(), t.get<double>(), 4, share_gate)
                        : v.is_number() ? [&] {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
      return std::string(buf);
    }() : v.dump();
    std::string rel = name == "require_bit_exact" ? " (required: true)"
                                                   : std::string(is_min ? " >= " : " <= ") + g.at("threshold").dump();
    char head[64];
    const bool skipped = g.value("skipped", false);
    std::snprintf(head, sizeof head, "  %s  %-20s ", skipped ? "SKIP" : g.at("pass").get<bool>() ? "PASS" : "FAIL",
                  name.c_str());
    if (skipped || g.value("default", false)) {
      // The default checks and skips explain themselves: what was checked, or why not.
      o << head << (skipped ? "" : value + "  ") << g.value("reason", g.value("metric", std::string())) << "\n";
      continue;
    }
    o << head << value << rel << (!g.at("pass").get<bool>() && g.contains("reason") ? ": " + g["reason"].get<std::string>() : "")
      << "\n";
  }
  return o.str();
}

}  // namespace attncheck
