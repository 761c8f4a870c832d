// One `run`: golden, integer model and a backend on one fixture, compared, as a report and a summary.
#include "cli/run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "cli/progress.hpp"
#include "compare/gates.hpp"
#include "fixtures/sha256.hpp"
#include "compare/localize.hpp"
#include "compare/metrics.hpp"
#include "compare/report.hpp"
#include "kernels/device_layout.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/packages.hpp"
#include "npu/launch_loop.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"
#include "ref/golden.hpp"

namespace attncheck {

void check_golden_range(const Fixture& fx, bool fp64) {
  const std::string problem = golden_range_problem(fx.inputs, fp64);
  if (!problem.empty()) throw InputError(fx.path + "/fixture.json: " + problem);
}

nlohmann::json tool_json() { return {{"name", "attncheck"}, {"version", ATTNCHECK_VERSION}}; }

nlohmann::json fixture_json(const Fixture& fx) {
  const Shape& s = fx.shape();
  nlohmann::json j = {
      {"path", fx.path},
      {"shape", {s.heads, s.seq, s.dim}},
      {"two_d", fx.two_d},
      {"seed", fx.seed ? nlohmann::json(*fx.seed) : nlohmann::json(nullptr)},
      {"recipe", fx.recipe.empty() ? nlohmann::json(nullptr) : nlohmann::json(fx.recipe)},
      {"sha256", fx.sha256},
  };
  if (fx.meta.contains("id")) j["id"] = fx.meta["id"];
  const Scales& sc = fx.inputs.scales;
  j["scales"] = sc.given ? nlohmann::json{{"q", sc.q}, {"k", sc.k}, {"v", sc.v}, {"out", sc.out}} : nlohmann::json(nullptr);
  return j;
}

std::string format_number(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

namespace {

std::string maybe(const MaybeValue& m, int precision) {
  return m.value ? format_number(*m.value, precision) : "n/a (" + m.reason + ")";
}

std::string within_text(const VsGolden& m) {
  std::string s;
  for (const auto& [t, f] : m.within) s += (s.empty() ? "" : " ") + format_share_percent(f, 1);
  return s;
}

}  // namespace

std::string at_text(const std::array<int64_t, 3>& a) {
  return "[" + std::to_string(a[0]) + ", " + std::to_string(a[1]) + ", " + std::to_string(a[2]) + "]";
}

// The metrics table: one column per comparison against golden (device, and the model when the
// device is not the model), so algorithm accuracy and device faithfulness read side by side.
std::string metrics_table(const std::vector<std::pair<std::string, const VsGolden*>>& cols) {
  std::ostringstream o;
  auto row = [&](const std::string& name, auto cell) {
    char head[32];
    std::snprintf(head, sizeof head, "  %-20s", name.c_str());
    o << head;
    for (const auto& c : cols) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%-34s", cell(*c.second).c_str());
      o << buf;
    }
    o << "\n";
  };
  row("", [&](const VsGolden& m) {
    for (const auto& c : cols)
      if (c.second == &m) return c.first;
    return std::string();
  });
  row("correlation", [](const VsGolden& m) { return maybe(m.correlation, 6); });
  row("MAE (LSB)", [](const VsGolden& m) { return format_number(m.mae); });
  row("RMSE (LSB)", [](const VsGolden& m) { return format_number(m.rmse); });
  row("max abs error", [](const VsGolden& m) { return format_number(m.max_abs_error) + " at " + at_text(m.max_abs_error_at); });
  row("within 0/1/2/5/10", [](const VsGolden& m) { return within_text(m); });
  row("SQNR (dB)", [](const VsGolden& m) { return maybe(m.sqnr_db, 2); });
  row("cosine", [](const VsGolden& m) { return maybe(m.cosine, 6); });
  row("output range", [](const VsGolden& m) {
    return "[" + format_number(m.output_min, 0) + ", " + format_number(m.output_max, 0) + "]";
  });
  row("elements", [](const VsGolden& m) { return std::to_string(m.count); });
  return o.str();
}

std::string difference_histogram_text(const VsModel& vs_model, size_t max_listed) {
  // The most frequent differences first, so a rounding change (+1 and -1 everywhere) reads at a glance.
  std::vector<std::pair<int64_t, size_t>> by_count(vs_model.differences.begin(), vs_model.differences.end());
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s;
  for (size_t i = 0; i < by_count.size() && i < max_listed; ++i)
    s += (s.empty() ? "" : ", ") + std::string(by_count[i].first > 0 ? "+" : "") + std::to_string(by_count[i].first) + " in " +
         std::to_string(by_count[i].second);
  if (by_count.size() > max_listed) {
    size_t rest = 0;
    for (size_t i = max_listed; i < by_count.size(); ++i) rest += by_count[i].second;
    s += ", " + std::to_string(by_count.size() - max_listed) + " other values in " + std::to_string(rest);
  }
  return s + " (" + std::to_string(vs_model.differences.empty() ? 0 : vs_model.differences.begin()->first) + " to " +
         std::to_string(vs_model.differences.empty() ? 0 : vs_model.differences.rbegin()->first) + ")";
}

std::string model_verdict_line(const VsModel& vs_model, size_t count) {
  if (vs_model.bit_exact) return "bit-exact on all " + std::to_string(count) + " elements";
  const auto& f = vs_model.first_mismatches.front();
  return "NOT bit-exact: " + std::to_string(vs_model.mismatches) + " of " + std::to_string(count) +
         " elements differ in " + std::to_string(vs_model.mismatch_rows.size()) + " rows; first at " + at_text(f.at) +
         " device " + format_number(f.device, 0) + " model " + format_number(f.model, 0);
}

namespace {

nlohmann::json check_item(const std::string& name, const std::string& metric, const nlohmann::json& threshold,
                          const nlohmann::json& value, bool pass) {
  return {{"name", name}, {"metric", metric}, {"threshold", threshold}, {"value", value}, {"pass", pass}, {"default", true}};
}

bool all_equal(const std::vector<int8_t>& d, size_t from, size_t n, int8_t v) {
  for (size_t i = from; i < from + n; ++i)
    if (d[i] != v) return false;
  return true;
}

// The checks every non-model run gets without a gates file: the seeds called a buffer the device
// never wrote "working", so "no gates given" can no longer mean PASS for a device output.
nlohmann::json device_checks(const Int8Tensor& dev, const Int8Tensor& model, const VsModel& vs, const RunRequest& req,
                             const std::optional<GateSpec>& spec) {
  nlohmann::json out = nlohmann::json::array();
  const bool user_decides = spec && spec->require_bit_exact.has_value();  // evaluate_gates adds theirs
  if (!user_decides) {
    nlohmann::json item = check_item("bit_exact_with_model", "vs_model.bit_exact", true, vs.bit_exact,
                                     vs.bit_exact || req.allow_mismatch);
    if (!vs.bit_exact) item["reason"] = bit_exact_failure(vs, dev.data.size()) + (req.allow_mismatch ? "; relaxed by --allow-mismatch" : "");
    out.push_back(item);
  }
  const size_t n = dev.data.size();
  const bool dev_constant = n > 0 && all_equal(dev.data, 0, n, dev.data[0]);
  const bool model_constant = n > 0 && all_equal(model.data, 0, n, model.data[0]);
  nlohmann::json c = check_item("output_not_constant", "device output", "not one value everywhere",
                                dev_constant ? nlohmann::json(static_cast<int>(dev.data[0])) : nlohmann::json(nullptr),
                                !dev_constant || model_constant);
  if (dev_constant) c["reason"] = "every element of the output is " + std::to_string(static_cast<int>(dev.data[0]));
  out.push_back(c);
  // A row still holding the npu runner's sentinel everywhere was never written (unless the model's is too).
  const size_t D = static_cast<size_t>(dev.shape.dim);
  size_t unwritten = 0;
  for (size_t r = 0; D > 0 && r < n / D; ++r)
    unwritten += all_equal(dev.data, r * D, D, static_cast<int8_t>(0x5A)) && !all_equal(model.data, r * D, D, 0x5A);
  nlohmann::json w = check_item("no_unwritten_rows", "rows all 0x5A (the sentinel) where the model's are not", 0,
                                unwritten, unwritten == 0);
  out.push_back(w);
  return out;
}

// In a fallback there is no device output: every check about one is skipped, visibly.
nlohmann::json skipped_device_checks(const std::string& reason) {
  nlohmann::json out = nlohmann::json::array();
  for (const char* name : {"bit_exact_with_model", "output_not_constant", "no_unwritten_rows"}) {
    nlohmann::json item = check_item(name, "device output", nullptr, nullptr, true);
    item["skipped"] = true;
    item["reason"] = reason;
    out.push_back(item);
  }
  return out;
}

}  // namespace

namespace {

RunOutcome execute_run_unguarded(const RunRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  const Revision& rev = resolve_kernel(req.revision);
  const Params user_params = resolve_params(rev, req.params);
  const Fixture fx = req.fixture ? *req.fixture : load_fixture(req.fixture_dir);
  check_shape(rev, fx.shape(), fx.path);
  const Params params = runtime_params(rev, fx.inputs, user_params);

  check_golden_range(fx, false);
  // Estimated from the shape before golden, model and backend allocate: the S x S scores grow
  // with the square of a tiny file's sequence length.
  // Only the model backend skips the comparison with the model (and its float64 copies).
  const DefaultBackend by_default = req.backend.empty() ? default_backend(rev) : DefaultBackend{};
  const std::string backend = req.backend.empty() ? by_default.name : req.backend;
  require_memory(run_peak_bytes(fx.shape(), backend != "model"), fx.path + " (" + rev.name + " on " + fx.shape().str() + ")");
  // SIGINT/SIGTERM between the stages: each stage can take seconds on realistic shapes.
  throw_if_interrupted();
  std::optional<Progress> progress;
  if (req.progress) progress.emplace("run " + rev.name + " on " + fx.path, 3);
  BackendOptions backend_options = req.backend_options;
  if (progress) {
    progress->stage("backend " + backend);
    Progress* p = &*progress;
    const std::string name = backend;
    backend_options.on_launch = [p, name](size_t done, size_t total) {
      p->stage("backend " + name + ", launch " + std::to_string(done) + "/" + std::to_string(total));
    };
  }
  // The model backend of a revision that can make its golden in the same pass (Q.K^T once for
  // both) does so; each output is bit for bit what its own call gives.
  std::optional<FloatTensor> golden_with_model;
  BackendResult dut;
  if (backend == "model" && rev.model_with_golden) {
    ModelAndGolden both = rev.model_with_golden(fx.inputs, params, default_logit_scale(fx.shape()));
    dut = model_backend_result(std::move(both.model));
    golden_with_model = std::move(both.golden);
  } else {
    dut = run_backend(backend, rev, params, fx, backend_options);
  }
  if (!by_default.why.empty()) dut.info["default"] = by_default.why;
  throw_if_interrupted();
  if (progress) progress->advance(), progress->stage("golden model");
  // Kept as computed, FP32: the metrics read it as doubles where they use it (a float64 copy of an
  // 8x1500x64 golden was a tenth of a `run`'s CPU time, its page faults included).
  FloatTensor golden = golden_with_model ? std::move(*golden_with_model) : golden_attention_fp32(fx.inputs);
  check_finite(golden, fx.path + "/fixture.json: the golden model of these scales");
  throw_if_interrupted();
  const VsGolden vs_golden = compare_to_golden(dut.output, golden, "device output", "golden");

  nlohmann::json metrics = {{"vs_golden", to_json(vs_golden)}};
  VsGolden model_vs_golden;
  VsModel vs_model;
  Localization localization;
  Attribution attribution;
  std::optional<Int8Tensor> model_i8;
  if (progress) progress->advance(), progress->stage("integer model and comparison");
  if (!dut.is_model) {
    const DoubleTensor dut_d = to_double(dut.output), golden_d = to_double(golden);
    // A package without a model is held to its own source, compiled for this CPU.
    model_i8 = rev.model ? rev.model(fx.inputs, params) : host_kernel(rev).run(fx.inputs, params);
    const DoubleTensor model = to_double(*model_i8);
    model_vs_golden = compare_to_golden(model, golden_d, "model output", "golden");
    vs_model = compare_to_model(dut_d, model, golden_d);
    metrics["model_vs_golden"] = to_json(model_vs_golden);
    metrics["vs_model"] = to_json(vs_model);
    // Mismatching rows map to the launch and input bytes that produced them; revisions without
    // a device layout get the layout-free part of the localization.
    std::vector<LaunchSpan> spans;
    try {
      const LaunchPlan plan(rev, fx.inputs, params);
      spans = launch_spans(plan, fx.shape());
    } catch (const InputError&) {
    }
    localization = localize(dut_d, model, vs_model, spans);
    add_localization(&metrics["vs_model"], localization, vs_model.bit_exact);
    // The simulator watched every store: say whether the core's own writes into its inputs
    // explain the mismatching rows.
    if (dut.watched) {
      attribution = attribute_writes(spans, dut.input_writes, vs_model);
      metrics["vs_model"]["attribution"] = attribution.json;
    }
  }

  RunOutcome out;
  out.report = {
      {"schema", kReportSchemaId},
      {"tool", tool_json()},
      {"command", "run"},
      {"seed", fx.seed ? nlohmann::json(*fx.seed) : nlohmann::json(nullptr)},
      {"fixture", fixture_json(fx)},
      {"kernel", kernel_json(rev, params)},
      {"backend", dut.info},
      {"golden", {{"precision", "fp32"}, {"logit_scale", default_logit_scale(fx.shape())}}},
      {"metrics", metrics},
      {"gates", nlohmann::json::array()},
      {"pass", true},
  };
  // The output's own hash: `diff` tells identical kernel outputs apart from golden-side noise.
  out.report["output_sha256"] =
      sha256_hex(reinterpret_cast<const uint8_t*>(dut.output.data.data()), dut.output.data.size());
  out.report["duration_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!dut.device.is_null()) out.report["device"] = dut.device;
  if (!dut.latency.is_null()) out.report["latency"] = dut.latency;
  const bool fell_back = dut.is_model && dut.info.value("requested", "") == "auto";
  const std::optional<GateSpec> spec =
      req.gates ? std::optional<GateSpec>(gates_for_revision(*req.gates, rev.name)) : std::nullopt;
  nlohmann::json gates = nlohmann::json::array();
  if (fell_back) {
    gates = skipped_device_checks("auto fell back to the model: " + dut.info.value("fallback_reason", std::string()));
  } else if (!dut.is_model) {
    gates = device_checks(dut.output, *model_i8, vs_model, req, spec);
  }
  if (spec) {
    for (auto& g : evaluate_gates(*spec, metrics)) {
      // "bit-exact by construction" is true of the model, not of a device that was never run.
      if (fell_back && g.at("name") == "require_bit_exact") {
        g["value"] = nullptr;
        g["skipped"] = true;
        g["reason"] = "auto fell back to the model: no device output to check";
      }
      gates.push_back(g);
    }
    out.report["gates_file"] = req.gates->path;
  }
  out.report["gates"] = gates;
  const bool gates_ok = gates_pass(gates);
  out.report["pass"] = gates_ok;
  out.exit_code = gates_ok ? kExitOk : kExitGateFailed;
  // A skipped device check is never a pass: with nothing failed, the verdict is "not run" (pass
  // null), exit 3 unless --allow-fallback accepts the run on the model. A failed gate still fails.
  if (fell_back && gates_ok) {
    out.report["pass"] = nullptr;
    out.report["not_run"] = "no device ran: auto fell back to the model (" +
                            dut.info.value("fallback_reason", std::string("no device")) + "); the device checks were skipped";
    out.exit_code = req.allow_fallback ? kExitOk : kExitNoDevice;
  }

  std::ostringstream s;
  s << "attncheck " << ATTNCHECK_VERSION << " run\n";
  s << "  fixture   " << fx.path << "  shape " << fx.shape().str() << "  seed "
    << (fx.seed ? std::to_string(*fx.seed) : std::string("none")) << (fx.recipe.empty() ? "" : "  recipe " + fx.recipe)
    << "\n";
  const Scales& sc = fx.inputs.scales;
  s << "  scales    "
    << (sc.given ? "q " + format_number(sc.q, 6) + "  k " + format_number(sc.k, 6) + "  v " + format_number(sc.v, 6) +
                       "  out " + format_number(sc.out, 6) + " (fixture.json)"
                 : std::string("none in fixture.json (1.0)"))
    << "\n";
  s << "  kernel    " << rev.name;
  for (const auto& [k, v] : params) s << "  " << k << "=" << v;
  s << "\n  backend   " << dut.info.value("name", "") << ": " << dut.info.value("description", "") << "\n";
  if (!by_default.why.empty()) s << "  " << by_default.why << "\n";
  if (!dut.note.empty()) s << "  " << dut.note << "\n";
  if (!dut.latency.is_null())
    s << "  latency   " << dut.latency["calls"].get<size_t>() << " kernel calls: mean "
      << format_number(dut.latency["mean"].get<double>(), 1) << " us, p50 " << format_number(dut.latency["p50"].get<double>(), 1)
      << " us, p99 " << format_number(dut.latency["p99"].get<double>(), 1) << " us\n";
  s << "\n";
  if (dut.is_model) {
    // A package without a model: its host build is the reference, so it is what meets golden.
    s << metrics_table({{rev.model ? "model vs golden" : "source vs golden", &vs_golden}});
  } else {
    s << metrics_table({{"device vs golden", &vs_golden}, {"model vs golden", &model_vs_golden}});
    s << "\n  device vs model: " << model_verdict_line(vs_model, vs_golden.count) << "\n";
    if (!vs_model.bit_exact) s << "  differences (device - model): " << difference_histogram_text(vs_model) << "\n";
    if (!vs_model.bit_exact) s << "  where: " << localization.summary << "\n";
    if (dut.watched && (attribution.any_writes || !vs_model.bit_exact)) s << "  writes: " << attribution.summary << "\n";
  }
  const auto& g = out.report["gates"];
  if (!g.empty()) s << "\n  gates     " << (req.gates ? req.gates->path + " and the default checks" : "the default checks") << "\n"
                    << gates_summary(g);
  std::string verdict = out.report["pass"].is_null() ? "NOT RUN" : out.exit_code == kExitOk ? "PASS" : "FAIL";
  if (g.empty())
    verdict += rev.model ? " (the integer model, no gates given)"
                         : " (" + rev.name + "'s own source, compiled for this CPU, against golden only: it names no model; no gates given)";
  if (fell_back && out.report["pass"].is_null())
    verdict += out.exit_code == kExitNoDevice ? " (no device ran: device checks skipped; --allow-fallback accepts that)"
                                              : " (no device ran: device checks skipped; accepted by --allow-fallback)";
  s << "\n  verdict   " << verdict << "\n";
  out.summary = s.str();
  out.device = std::move(dut.output);
  out.model = std::move(model_i8);
  out.golden = std::move(golden);
  return out;
}

}  // namespace

RunOutcome execute_run(const RunRequest& req) {
  arm_memory_reserve();  // again: a case of a suite that ran out of memory used it
  try {
    return execute_run_unguarded(req);
  } catch (const std::bad_alloc&) {
    // Named, so a suite's error cell and run's one line say which case did not fit.
    throw InputError(req.fixture_dir + ": out of memory running " + req.revision + " (--backend " + (req.backend.empty() ? default_backend(resolve_kernel(req.revision)).name : req.backend) +
                     "): larger than this machine (or its ulimit) can hold");
  }
}

}  // namespace attncheck
