// Reading a report into types: every field the readers use, type-checked, with the field's path in the error.
#include "compare/report_types.hpp"

#include <cmath>

#include "ref/errors.hpp"

namespace attncheck {
namespace {

using Json = nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& field, const std::string& expected, const Json& got) {
  std::string shown = got.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  throw InputError(where + ": malformed report: " + field + ": expected " + expected + ", got " + shown);
}

const Json& member(const Json& j, const std::string& key, const std::string& where, const std::string& field) {
  if (!j.is_object()) bad(where, field, "an object", j);
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(where + ": malformed report: " + field + "." + key + " is missing");
  return *it;
}

double number(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_number()) bad(where, field, "a number", j);
  const double v = j.get<double>();
  if (!std::isfinite(v)) bad(where, field, "a finite number", j);
  return v;
}

int64_t integer(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_number_integer()) bad(where, field, "an integer", j);
  return j.get<int64_t>();
}

std::string text(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_string()) bad(where, field, "a string", j);
  return j.get<std::string>();
}

// A string or null (revision of a `compare` report, recipe of a bare fixture).
std::string text_or_empty(const Json& j, const std::string& where, const std::string& field) {
  return j.is_null() ? std::string() : text(j, where, field);
}

bool boolean(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_boolean()) bad(where, field, "true or false", j);
  return j.get<bool>();
}

// A number, or null with an optional KEY_reason beside it.
MaybeValue maybe(const Json& parent, const std::string& key, const std::string& where, const std::string& field) {
  const Json& v = member(parent, key, where, field);
  MaybeValue out;
  if (v.is_null()) {
    const auto r = parent.find(key + "_reason");
    out.reason = r != parent.end() && r->is_string() ? r->get<std::string>() : "undefined";
    return out;
  }
  out.value = number(v, where, field + "." + key);
  return out;
}

std::array<int64_t, 3> triple(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_array() || j.size() != 3) bad(where, field, "[h, s, d]", j);
  return {integer(j[0], where, field + "[0]"), integer(j[1], where, field + "[1]"), integer(j[2], where, field + "[2]")};
}

}  // namespace

VsGolden vs_golden_from_json(const Json& j, const std::string& where, const std::string& f) {
  VsGolden g;
  g.correlation = maybe(j, "correlation", where, f);
  g.mae = number(member(j, "mae", where, f), where, f + ".mae");
  g.rmse = number(member(j, "rmse", where, f), where, f + ".rmse");
  g.max_abs_error = number(member(j, "max_abs_error", where, f), where, f + ".max_abs_error");
  g.max_abs_error_at = triple(member(j, "max_abs_error_at", where, f), where, f + ".max_abs_error_at");
  const Json& within = member(j, "within", where, f);
  for (int b : kWithinBuckets) {
    const double share = number(member(within, std::to_string(b), where, f + ".within"), where, f + ".within." + std::to_string(b));
    if (share < 0 || share > 1) bad(where, f + ".within." + std::to_string(b), "a share in [0, 1]", share);
    g.within.emplace_back(b, share);
  }
  g.sqnr_db = maybe(j, "sqnr_db", where, f);
  g.cosine = maybe(j, "cosine", where, f);
  const Json& range = member(j, "output_range", where, f);
  if (!range.is_array() || range.size() != 2) bad(where, f + ".output_range", "[min, max]", range);
  g.output_min = number(range[0], where, f + ".output_range[0]");
  g.output_max = number(range[1], where, f + ".output_range[1]");
  const int64_t count = integer(member(j, "count", where, f), where, f + ".count");
  if (count < 0) bad(where, f + ".count", "a count >= 0", count);
  g.count = static_cast<size_t>(count);
  return g;
}

VsModel vs_model_from_json(const Json& j, const std::string& where, const std::string& f) {
  VsModel m;
  m.bit_exact = boolean(member(j, "bit_exact", where, f), where, f + ".bit_exact");
  const int64_t n = integer(member(j, "mismatches", where, f), where, f + ".mismatches");
  if (n < 0) bad(where, f + ".mismatches", "a count >= 0", n);
  m.mismatches = static_cast<size_t>(n);
  const Json& rows = member(j, "mismatch_rows", where, f);
  if (!rows.is_array()) bad(where, f + ".mismatch_rows", "an array", rows);
  for (const Json& r : rows) {
    if (!r.is_array() || r.size() != 2) bad(where, f + ".mismatch_rows[]", "[h, s]", r);
    m.mismatch_rows.push_back({integer(r[0], where, f + ".mismatch_rows[][0]"), integer(r[1], where, f + ".mismatch_rows[][1]")});
  }
  const Json& first = member(j, "first_mismatches", where, f);
  if (!first.is_array()) bad(where, f + ".first_mismatches", "an array", first);
  for (const Json& x : first) {
    const std::string g = f + ".first_mismatches[]";
    m.first_mismatches.push_back({triple(member(x, "at", where, g), where, g + ".at"), number(member(x, "device", where, g), where, g + ".device"),
                                  number(member(x, "model", where, g), where, g + ".model"),
                                  number(member(x, "golden", where, g), where, g + ".golden")});
  }
  // Absent in reports written before it existed.
  if (j.contains("difference_histogram")) {
    const Json& h = j["difference_histogram"];
    if (!h.is_array()) bad(where, f + ".difference_histogram", "an array", h);
    const std::string g = f + ".difference_histogram[]";
    for (const Json& x : h) {
      const int64_t n = integer(member(x, "count", where, g), where, g + ".count");
      if (n < 0) bad(where, g + ".count", "a count >= 0", x["count"]);
      m.differences[integer(member(x, "difference", where, g), where, g + ".difference")] = static_cast<size_t>(n);
    }
  }
  return m;
}

ReportMetrics metrics_from_json(const Json& j, const std::string& where) {
  ReportMetrics m;
  m.vs_golden = vs_golden_from_json(member(j, "vs_golden", where, "metrics"), where, "metrics.vs_golden");
  if (j.contains("model_vs_golden"))
    m.model_vs_golden = vs_golden_from_json(j["model_vs_golden"], where, "metrics.model_vs_golden");
  if (j.contains("vs_model")) {
    const Json& vm = j["vs_model"];
    m.vs_model = vs_model_from_json(vm, where, "metrics.vs_model");
    if (vm.contains("mismatches_per_head")) {
      const Json& per = vm["mismatches_per_head"];
      if (!per.is_array()) bad(where, "metrics.vs_model.mismatches_per_head", "an array", per);
      for (const Json& x : per) m.mismatches_per_head.push_back(integer(x, where, "metrics.vs_model.mismatches_per_head[]"));
    }
    if (vm.contains("pattern") && !vm["pattern"].is_null()) {
      const Json& p = vm["pattern"];
      const std::string f = "metrics.vs_model.pattern";
      m.where = text(member(p, "summary", where, f), where, f + ".summary");
      const Json& off = member(p, "constant_offset", where, f);
      if (!off.is_null()) m.constant_offset = number(off, where, f + ".constant_offset");
      m.zero_rows = integer(member(p, "zero_rows", where, f), where, f + ".zero_rows");
      m.untouched_rows = integer(member(p, "untouched_rows", where, f), where, f + ".untouched_rows");
    }
    if (vm.contains("attribution") && !vm["attribution"].is_null())
      m.writes = text(member(vm["attribution"], "summary", where, "metrics.vs_model.attribution"), where,
                      "metrics.vs_model.attribution.summary");
  }
  return m;
}

std::vector<GateResult> gates_from_json(const Json& j, const std::string& where) {
  if (!j.is_array()) bad(where, "gates", "an array", j);
  std::vector<GateResult> out;
  for (const Json& g : j) {
    GateResult r;
    r.name = text(member(g, "name", where, "gates[]"), where, "gates[].name");
    r.metric = g.contains("metric") ? text(g["metric"], where, "gates[].metric") : std::string();
    r.threshold = g.value("threshold", Json());
    r.value = g.value("value", Json());
    r.pass = boolean(member(g, "pass", where, "gates[]"), where, "gates[].pass");
    if (g.contains("skipped")) r.skipped = boolean(g["skipped"], where, "gates[].skipped");
    if (g.contains("reason")) r.reason = text(g["reason"], where, "gates[].reason");
    out.push_back(std::move(r));
  }
  return out;
}

RunReport run_report_from_json(const Json& j, const std::string& where) {
  RunReport r;
  const Json& fx = member(j, "fixture", where, "report");
  r.fixture_path = text_or_empty(member(fx, "path", where, "fixture"), where, "fixture.path");
  r.recipe = text_or_empty(fx.value("recipe", Json()), where, "fixture.recipe");
  r.shape = triple(member(fx, "shape", where, "fixture"), where, "fixture.shape");
  for (int64_t v : r.shape)
    if (v <= 0) bad(where, "fixture.shape", "positive sizes", member(fx, "shape", where, "fixture"));
  const Json& seed = fx.value("seed", Json());
  if (!seed.is_null()) {
    if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
      bad(where, "fixture.seed", "an unsigned integer or null", seed);
    r.seed = seed.get<uint64_t>();
  }
  const Json& hashes = member(fx, "sha256", where, "fixture");
  if (!hashes.is_object()) bad(where, "fixture.sha256", "an object", hashes);
  for (const auto& [file, h] : hashes.items()) r.input_sha256[file] = text(h, where, "fixture.sha256." + file);
  const Json& kernel = member(j, "kernel", where, "report");
  r.revision = text_or_empty(member(kernel, "revision", where, "kernel"), where, "kernel.revision");
  r.params = member(kernel, "params", where, "kernel");
  if (!r.params.is_object()) bad(where, "kernel.params", "an object", r.params);
  const Json& be = member(j, "backend", where, "report");
  r.backend = text(member(be, "name", where, "backend"), where, "backend.name");
  r.backend_description = text_or_empty(be.value("description", Json()), where, "backend.description");
  for (const auto& [k, v] : be.items())
    if (k != "name" && k != "description") r.backend_facts[k] = v;
  r.metrics = metrics_from_json(member(j, "metrics", where, "report"), where);
  r.gates = gates_from_json(member(j, "gates", where, "report"), where);
  const Json& pass = member(j, "pass", where, "report");
  if (pass.is_null()) {
    r.not_run = text(member(j, "not_run", where, "report"), where, "not_run");
    if (r.not_run.empty()) bad(where, "not_run", "a reason beside pass null", j["not_run"]);
  } else {
    r.pass = boolean(pass, where, "pass");
  }
  r.output_sha256 = j.contains("output_sha256") ? text_or_empty(j["output_sha256"], where, "output_sha256") : "";
  r.device = j.value("device", Json());
  r.latency = j.value("latency", Json());
  r.golden = j.value("golden", Json());
  const Json& tool = member(j, "tool", where, "report");
  r.tool_version = text(member(tool, "version", where, "tool"), where, "tool.version");
  return r;
}

std::optional<double> metric_value(const VsGolden& g, const std::string& name) {
  if (name == "correlation") return g.correlation.value;
  if (name == "mae") return g.mae;
  if (name == "rmse") return g.rmse;
  if (name == "max_abs_error") return g.max_abs_error;
  if (name == "sqnr_db") return g.sqnr_db.value;
  if (name == "cosine") return g.cosine.value;
  if (name.rfind("within.", 0) == 0)
    for (const auto& [b, share] : g.within)
      if (name == "within." + std::to_string(b)) return share;
  return std::nullopt;
}

}  // namespace attncheck
