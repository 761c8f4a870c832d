// `attncheck golden`, `emulate` and `compare`: the models and the comparator alone, on .npy arrays.
#include <memory>

#include "kernels/packages.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "compare/localize.hpp"
#include "compare/metrics.hpp"
#include "compare/report.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"
#include "ref/golden.hpp"

namespace attncheck {
namespace {

struct GoldenArgs {
  std::string fixture, out, precision = "fp32";
};

struct EmulateArgs {
  std::string kernel, fixture, out;
  std::vector<std::string> params;
};

struct CompareArgs {
  std::string golden, dut, model, json;
};

std::vector<PathRole> fixture_inputs(const std::string& dir) {
  std::vector<PathRole> in;
  for (const char* f : {"q.npy", "k.npy", "v.npy", "fixture.json"}) in.push_back({"--fixture " + dir + " (" + f + ")", dir + "/" + f});
  return in;
}

void golden_cmd(const GoldenArgs& a) {
  OutputSet::check("--out", a.out);
  if (a.out == "-") send_text_to_stderr();
  check_distinct_paths(fixture_inputs(a.fixture), {{"--out", a.out}});
  const Fixture fx = load_fixture(a.fixture);
  check_golden_range(fx, a.precision == "fp64");
  require_memory(add_sat(golden_peak_bytes(fx.shape(), a.precision == "fp64"), mul_sat(fx.shape().count(), 8)),
                 fx.path + " (golden of " + fx.shape().str() + ")");
  throw_if_interrupted();
  // golden_range_problem bounds the arithmetic; this holds the written file to it regardless.
  const std::string what = fx.path + "/fixture.json: the golden model of these scales";
  if (a.precision == "fp32") {
    const FloatTensor g = golden_attention_fp32(fx.inputs);
    check_finite(to_double(g), what);
    write_npy(a.out, float_tensor_to_npy(g, fx.two_d));
  } else {
    const DoubleTensor g = golden_attention_fp64(fx.inputs);
    check_finite(g, what);
    write_npy(a.out, double_tensor_to_npy(g, fx.two_d));
  }
  print("golden " + a.precision + " of " + fx.path + " (" + fx.shape().str() + ") written to " + a.out + "\n");
}

void emulate_cmd(const EmulateArgs& a) {
  OutputSet::check("--out", a.out);
  if (a.out == "-") send_text_to_stderr();
  check_distinct_paths(fixture_inputs(a.fixture), {{"--out", a.out}});
  const Revision& rev = resolve_kernel(a.kernel);
  if (!rev.model)
    throw InputError("--kernel " + a.kernel + ": the package names no \"model\", so there is no integer model to emulate "
                     "(run --backend host runs its source)");
  const Fixture fx = load_fixture(a.fixture);
  check_shape(rev, fx.shape(), fx.path);
  require_memory(run_peak_bytes(fx.shape()), fx.path + " (" + rev.name + " on " + fx.shape().str() + ")");
  throw_if_interrupted();
  const Params params = runtime_params(rev, fx.inputs, resolve_params(rev, a.params));
  write_npy(a.out, int8_tensor_to_npy(rev.model(fx.inputs, params), fx.two_d));
  print("model " + rev.name + " output of " + fx.path + " (" + fx.shape().str() + ") written to " + a.out + "\n");
}

// An array of any tool: (S, D), (H, S, D), or 1-D (N,), read as one row of N elements (a flat
// output buffer, a vector from another test), so that it is compared element for element too.
DoubleTensor read_array(const std::string& path) {
  NpyArray a = read_npy(path);
  if (a.shape.size() == 1) a.shape = {1, a.shape[0]};
  return npy_to_double_tensor(a, path);
}

int compare_cmd(const CompareArgs& a) {
  OutputSet::check("--json", a.json);
  if (a.json == "-") send_text_to_stderr();
  check_distinct_paths({{"--golden", a.golden}, {"--dut", a.dut}, {"--model", a.model}}, {{"--json", a.json}});
  const DoubleTensor golden = read_array(a.golden);
  const DoubleTensor dut = read_array(a.dut);
  const VsGolden vs_golden = compare_to_golden(dut, golden, a.dut, a.golden);
  nlohmann::json metrics = {{"vs_golden", to_json(vs_golden)}};
  nlohmann::json hashes = {{"golden", sha256_file(a.golden)}, {"dut", sha256_file(a.dut)}};
  std::string model_line;
  if (!a.model.empty()) {
    const DoubleTensor model = read_array(a.model);
    if (model.shape != golden.shape)
      throw InputError(a.model + ": shape " + model.shape.str() + " differs from " + a.golden + " " + golden.shape.str());
    const VsModel vs_model = compare_to_model(dut, model, golden);
    metrics["vs_model"] = to_json(vs_model);
    // No revision here, so no launch layout: ranges, per-head counts and value patterns only.
    const Localization loc = localize(dut, model, vs_model);
    add_localization(&metrics["vs_model"], loc, vs_model.bit_exact);
    metrics["model_vs_golden"] = to_json(compare_to_golden(model, golden, a.model, a.golden));
    hashes["model"] = sha256_file(a.model);
    model_line = "  device vs model: " + model_verdict_line(vs_model, vs_golden.count) + "\n";
    if (!vs_model.bit_exact)
      model_line += "  differences (device - model): " + difference_histogram_text(vs_model) + "\n  where: " + loc.summary + "\n";
  }
  const Shape& s = golden.shape;
  nlohmann::json report = {
      {"schema", kReportSchemaId},
      {"tool", tool_json()},
      {"command", "compare"},
      {"seed", nullptr},
      {"fixture",
       {{"path", nullptr}, {"shape", {s.heads, s.seq, s.dim}}, {"seed", nullptr}, {"recipe", nullptr},
        {"scales", nullptr}, {"sha256", hashes}}},
      {"kernel", {{"revision", nullptr}, {"params", nlohmann::json::object()}}},
      {"backend", {{"name", "external"}, {"description", "an output array given to compare"}, {"dut", a.dut}}},
      {"metrics", metrics},
      {"gates", nlohmann::json::array()},
      {"pass", true},
  };
  if (!a.json.empty()) write_json_atomic(a.json, report);
  print("attncheck " ATTNCHECK_VERSION " compare\n  golden    " + a.golden + "\n  dut       " + a.dut +
        (a.model.empty() ? "" : "\n  model     " + a.model) + "\n\n" +
        metrics_table({{"dut vs golden", &vs_golden}}) + (model_line.empty() ? "" : "\n" + model_line) +
        (a.json.empty() ? "" : "  report    " + a.json + "\n"));
  return 0;
}

}  // namespace

void add_array_commands(CLI::App& app, int& exit_code) {
  auto g = std::make_shared<GoldenArgs>();
  auto* golden = app.add_subcommand("golden", "Write the golden output softmax(Q.K^T/sqrt(D)).V of a fixture");
  golden->add_option("--fixture", g->fixture, "Fixture directory")->required();
  golden->add_option("--out", g->out, "Output .npy (float32 or float64)")->required();
  golden->add_option("--precision", g->precision, "fp32 (PyTorch semantics) or fp64")
      ->check(CLI::IsMember({"fp32", "fp64"}))
      ->capture_default_str();
  golden->callback([g, &exit_code] {
    golden_cmd(*g);
    exit_code = 0;
  });

  auto e = std::make_shared<EmulateArgs>();
  auto* emulate = app.add_subcommand("emulate", "Write a revision's integer-model output (int8) for a fixture");
  emulate->add_option("--kernel", e->kernel, "Kernel revision")->required();
  emulate->add_option("--fixture", e->fixture, "Fixture directory")->required();
  emulate->add_option("--param", e->params, "Revision parameter override NAME=INTEGER (repeatable)");
  emulate->add_option("--out", e->out, "Output .npy (int8)")->required();
  emulate->callback([e, &exit_code] {
    emulate_cmd(*e);
    exit_code = 0;
  });

  auto c = std::make_shared<CompareArgs>();
  auto* compare = app.add_subcommand("compare", "Compare arrays from any tool: device output against golden (and model)");
  compare->add_option("--golden", c->golden, "Golden output .npy, any numeric dtype")->required();
  compare->add_option("--dut", c->dut, "Device-under-test output .npy")->required();
  compare->add_option("--model", c->model, "Integer-model output .npy: the device must equal it bit for bit");
  compare->add_option("--json", c->json, "Write the JSON report here");
  compare->callback([c, &exit_code] { exit_code = compare_cmd(*c); });
}

}  // namespace attncheck
