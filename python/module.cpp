// The Python extension attncheck._core: numpy arrays in and out of the same golden model, integer models, comparator and runs as the CLI.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <cmath>
#include <thread>
#include <mutex>
#include <csignal>
#include <condition_variable>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/backends.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "compare/diff.hpp"
#include "compare/report.hpp"
#include "compare/gates.hpp"
#include "compare/localize.hpp"
#include "compare/metrics.hpp"
#include "compare/report_types.hpp"
#include "fixtures/fixture.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/realistic.hpp"
#include "fixtures/sha256.hpp"
#include "kernels/packages.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"
#include "ref/golden.hpp"
#include "ref/registry.hpp"
#include "sim/array/program.hpp"
#include "sim/load/npu_insts.hpp"

namespace py = pybind11;
using namespace attncheck;

namespace {

// JSON <-> Python through the json module: exact for every value attncheck writes (ints stay ints).
py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }
nlohmann::json from_python(const py::handle& o, const std::string& what) {
  try {
    return nlohmann::json::parse(py::module_::import("json").attr("dumps")(o).cast<std::string>());
  } catch (const py::error_already_set& e) {
    throw InputError(what + ": not JSON-serializable (" + std::string(e.what()).substr(0, 200) + ")");
  }
}

// A numpy array as the .npy reader would decode it, so the CLI's checks (dtype, rank, NaN) apply.
NpyArray to_npy(const py::handle& obj, const std::string& name) {
  if (!py::isinstance<py::array>(obj)) throw InputError(name + ": expected a numpy array, got " + py::str(static_cast<py::handle>(obj.get_type())).cast<std::string>());
  py::array a = py::reinterpret_borrow<py::array>(obj);
  const py::dtype dt = a.dtype();
  if (dt.byteorder() == '>') throw InputError(name + ": a big-endian array; use .astype(its little-endian dtype)");
  const char kind = dt.kind();
  const size_t size = static_cast<size_t>(dt.itemsize());
  NpyArray n;
  if (kind == 'i' && size == 1) n.dtype = DType::Int8;
  else if (kind == 'u' && size == 1) n.dtype = DType::UInt8;
  else if (kind == 'i' && size == 2) n.dtype = DType::Int16;
  else if (kind == 'i' && size == 4) n.dtype = DType::Int32;
  else if (kind == 'i' && size == 8) n.dtype = DType::Int64;
  else if (kind == 'f' && size == 4) n.dtype = DType::Float32;
  else if (kind == 'f' && size == 8) n.dtype = DType::Float64;
  else throw InputError(name + ": dtype " + py::str(static_cast<py::handle>(dt)).cast<std::string>() + " is not one attncheck reads (int8..int64, float32, float64)");
  a = py::array::ensure(a, py::array::c_style);
  for (py::ssize_t i = 0; i < a.ndim(); ++i) n.shape.push_back(a.shape(i));
  n.bytes.resize(static_cast<size_t>(a.nbytes()));
  if (!n.bytes.empty()) std::memcpy(n.bytes.data(), a.data(), n.bytes.size());
  return n;
}

Int8Tensor int8_input(const py::handle& obj, const std::string& name, bool* two_d = nullptr) {
  const NpyArray n = to_npy(obj, name);
  if (two_d) *two_d = n.shape.size() == 2;
  return npy_to_int8_tensor(n, name);
}

DoubleTensor double_input(const py::handle& obj, const std::string& name) { return npy_to_double_tensor(to_npy(obj, name), name); }

template <class T>
py::array_t<T> to_array(const std::vector<T>& data, const Shape& s, bool two_d) {
  std::vector<py::ssize_t> shape = two_d ? std::vector<py::ssize_t>{s.seq, s.dim} : std::vector<py::ssize_t>{s.heads, s.seq, s.dim};
  py::array_t<T> a(shape);
  if (!data.empty()) std::memcpy(a.mutable_data(), data.data(), data.size() * sizeof(T));
  return a;
}

// A NUL in a name from Python would cut every message that quotes it (what() is a C string): refused,
// with the NUL shown.
const std::string& no_nul(const std::string& s, const std::string& what) {
  const size_t at = s.find('\0');
  if (at != std::string::npos)
    throw InputError(what + " \"" + terminal_text(s.substr(0, std::min<size_t>(at + 20, 200))) + "\": holds a NUL byte at offset " +
                     std::to_string(at));
  return s;
}

// Runs `work` (which never touches Python) on a helper thread while this thread, the GIL released,
// wakes every 100 ms to let Python see its signals: Ctrl-C raises KeyboardInterrupt within a second
// (issue 26.8). The work is told through attncheck's interrupt flag, which stops a package's worker
// at once and a run between its stages; the call returns once the work has stopped.
template <class F>
auto interruptible(F work) -> decltype(work()) {
  using R = decltype(work());
  std::optional<R> result;
  std::exception_ptr error;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread t([&] {
    try {
      result.emplace(work());
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  });
  for (;;) {
    {
      py::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; });
      if (done) break;
    }
    if (PyErr_CheckSignals() != 0) {
      g_interrupt_signal.store(SIGINT);
      {
        py::gil_scoped_release release;
        t.join();
      }
      g_interrupt_signal.store(0);  // the interpreter lives on; the next call starts clean
      throw py::error_already_set();
    }
  }
  {
    py::gil_scoped_release release;
    t.join();
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// A Python number as the CLI reads one: "scales.q: nan is not a finite number", not the JSON
// parser's words about a NaN token or pybind11's about a cast (issue 26.8).
double finite_number(const py::handle& v, const std::string& what) {
  if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)))
    throw InputError(what + ": expected a number, got " + std::string(py::repr(v)).substr(0, 80));
  const double x = v.cast<double>();
  if (!std::isfinite(x)) throw InputError(what + ": " + std::string(py::repr(v)) + " is not a finite number");
  return x;
}

Scales scales_from(const py::object& scales, const std::string& where) {
  Scales sc;
  if (scales.is_none()) return sc;
  if (py::isinstance<py::dict>(scales))
    for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(scales)) {
      const std::string name = where + "." + py::str(key).cast<std::string>();
      if (finite_number(value, name) <= 0) throw InputError(name + ": " + std::string(py::repr(value)) + " is not positive");
    }
  // fixture.json's own reader, so the same checks and the same one-line errors apply.
  Fixture fx;
  const std::string text = nlohmann::json{{"scales", from_python(scales, where)}}.dump();
  parse_fixture_meta(reinterpret_cast<const uint8_t*>(text.data()), text.size(), where, fx);
  return fx.inputs.scales;
}

AttentionInputs inputs_from(const py::handle& q, const py::handle& k, const py::handle& v, const py::object& scales, bool* two_d) {
  AttentionInputs in;
  in.q = int8_input(q, "q", two_d);
  in.k = int8_input(k, "k");
  in.v = int8_input(v, "v");
  if (in.k.shape != in.q.shape || in.v.shape != in.q.shape)
    throw InputError("q, k, v: shapes differ (" + in.q.shape.str() + ", " + in.k.shape.str() + ", " + in.v.shape.str() + ")");
  in.scales = scales_from(scales, "scales");
  return in;
}

std::vector<std::string> param_strings(const py::dict& params) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v))
      throw InputError("param " + py::str(k).cast<std::string>() + ": expected an integer, got " + std::string(py::repr(v)));
    out.push_back(py::str(k).cast<std::string>() + "=" + py::str(v).cast<std::string>());
  }
  return out;
}

// The fixture a run reads: a directory, or a dict {"q", "k", "v"[, "scales", "seed", "recipe"]}.
Fixture fixture_from(const py::handle& f) {
  const py::dict d = py::reinterpret_borrow<py::dict>(f);
  for (const char* key : {"q", "k", "v"})
    if (!d.contains(key)) throw InputError(std::string("fixture: the dict needs \"") + key + "\" (and \"q\", \"k\", \"v\")");
  Fixture fx;
  fx.path = "<arrays>";
  fx.inputs = inputs_from(d["q"], d["k"], d["v"], py::none(), &fx.two_d);
  nlohmann::json meta = nlohmann::json::object();
  for (const char* key : {"scales", "seed", "recipe"})
    if (d.contains(key) && !d[key].is_none()) meta[key] = from_python(d[key], std::string("fixture[\"") + key + "\"]");
  if (!meta.empty()) {
    const std::string text = meta.dump();
    parse_fixture_meta(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "fixture", fx);
  }
  // Hashes of the arrays as np.save writes them: a fixture saved from them has the same.
  for (const auto& [name, t] : {std::pair<const char*, const Int8Tensor*>{"q.npy", &fx.inputs.q}, {"k.npy", &fx.inputs.k},
                                {"v.npy", &fx.inputs.v}}) {
    const auto bytes = encode_npy(int8_tensor_to_npy(*t, fx.two_d));
    fx.sha256[name] = sha256_hex(bytes.data(), bytes.size());
  }
  return fx;
}

py::array golden(const py::object& q, const py::object& k, const py::object& v, const py::object& scales,
                 const py::object& scale, const std::string& precision) {
  bool two_d = false;
  const AttentionInputs in = inputs_from(q, k, v, scales, &two_d);
  if (precision != "fp32" && precision != "fp64") throw InputError("precision " + precision + ": expected fp32 or fp64");
  GoldenOptions opt;
  if (!scale.is_none()) {
    opt.logit_scale = finite_number(scale, "scale");
    if (opt.logit_scale <= 0) throw InputError("scale: " + std::string(py::repr(scale)) + " is not positive");
  }
  // The CLI's memory guard (ATTNCHECK_MAX_MEMORY): a refusal, not a bare std::bad_alloc.
  require_memory(golden_peak_bytes(in.shape(), precision == "fp64"), "golden on " + in.shape().str());
  const std::string problem = golden_range_problem(in, precision == "fp64", opt);
  if (!problem.empty()) throw InputError("scales: " + problem);
  if (precision == "fp32") {
    FloatTensor g;
    {
      py::gil_scoped_release release;
      g = golden_attention_fp32(in, opt);
    }
    check_finite(to_double(g), "golden");
    return to_array(g.data, g.shape, two_d);
  }
  DoubleTensor g;
  {
    py::gil_scoped_release release;
    g = golden_attention_fp64(in, opt);
  }
  check_finite(g, "golden");
  return to_array(g.data, g.shape, two_d);
}

py::array emulate(const std::string& kernel, const py::object& q, const py::object& k, const py::object& v,
                  const py::object& scales, const py::dict& params) {
  const Revision& rev = resolve_kernel(no_nul(kernel, "kernel"));
  if (!rev.model)
    throw InputError("kernel " + kernel + ": the package names no \"model\", so there is no integer model to emulate");
  bool two_d = false;
  const AttentionInputs in = inputs_from(q, k, v, scales, &two_d);
  check_shape(rev, in.shape(), "q");
  const Params p = runtime_params(rev, in, resolve_params(rev, param_strings(params)));
  require_memory(run_peak_bytes(in.shape()), "emulate " + rev.name + " on " + in.shape().str());
  Int8Tensor out;
  {
    py::gil_scoped_release release;
    out = rev.model(in, p);
  }
  return to_array(out.data, out.shape, two_d);
}

// The metrics of `attncheck compare`, field for field.
py::object compare(const py::object& golden_obj, const py::object& dut_obj, const py::object& model_obj) {
  const DoubleTensor golden = double_input(golden_obj, "golden");
  const DoubleTensor dut = double_input(dut_obj, "dut");
  std::optional<DoubleTensor> model;
  if (!model_obj.is_none()) model = double_input(model_obj, "model");
  nlohmann::json metrics;
  {
    py::gil_scoped_release release;
    metrics["vs_golden"] = to_json(compare_to_golden(dut, golden, "dut", "golden"));
    if (model) {
      if (model->shape != golden.shape)
        throw InputError("model: shape " + model->shape.str() + " differs from golden " + golden.shape.str());
      const VsModel vm = compare_to_model(dut, *model, golden);
      metrics["vs_model"] = to_json(vm);
      add_localization(&metrics["vs_model"], localize(dut, *model, vm), vm.bit_exact);
      metrics["model_vs_golden"] = to_json(compare_to_golden(*model, golden, "model", "golden"));
    }
  }
  return to_python(metrics);
}

// Device against model without a golden: what assert_bit_exact reports.
py::object check_bit_exact(const py::object& dut_obj, const py::object& model_obj) {
  const DoubleTensor dut = double_input(dut_obj, "dut");
  const DoubleTensor model = double_input(model_obj, "model");
  if (dut.shape != model.shape) throw InputError("dut: shape " + dut.shape.str() + " differs from model " + model.shape.str());
  nlohmann::json j;
  {
    py::gil_scoped_release release;
    const VsModel vm = compare_to_model(dut, model, model);
    const Localization loc = localize(dut, model, vm);
    j = {{"bit_exact", vm.bit_exact},
         {"mismatches", vm.mismatches},
         {"verdict", model_verdict_line(vm, dut.data.size())},
         {"where", vm.bit_exact ? std::string() : loc.summary}};
  }
  return to_python(j);
}

GatesFile gates_from(const py::object& gates) {
  if (py::isinstance<py::str>(gates)) return load_gates(gates.cast<std::string>());
  if (py::hasattr(gates, "__fspath__")) return load_gates(py::str(gates.attr("__fspath__")()).cast<std::string>());
  return parse_gates(from_python(gates, "gates"), "gates");
}

// A report's metrics against gates: the list run writes into "gates", and its text.
py::object evaluate(const py::object& report, const py::object& gates) {
  const nlohmann::json r = from_python(report, "report");
  if (!r.is_object() || !r.contains("metrics")) throw InputError("report: expected a report (a dict with \"metrics\")");
  // A report of a run no device made (pass None) passes no gate: its device checks were skipped.
  if (r.contains("pass") && r["pass"].is_null()) {
    const std::string why = r.value("not_run", std::string("no device ran"));
    return to_python({{"gates", nlohmann::json::array()}, {"pass", false}, {"not_run", why},
                      {"summary", "  NOT RUN  " + why + "\n"}});
  }
  const GatesFile g = gates_from(gates);
  const std::string revision = r.contains("kernel") && r["kernel"].value("revision", nlohmann::json()).is_string()
                                   ? r["kernel"]["revision"].get<std::string>()
                                   : "";
  const nlohmann::json results = evaluate_gates(gates_for_revision(g, revision), metrics_from_json(r.at("metrics"), "report"));
  return to_python({{"gates", results}, {"pass", gates_pass(results)}, {"summary", gates_summary(results)}});
}

// A run's arrays for keep_outputs=True: device (the backend's output), model and golden (output
// LSB), shaped as the fixture's inputs. The model is the device's output when the backend is the model.
py::dict run_arrays(const RunOutcome& out, bool two_d) {
  py::dict d;
  d["device"] = to_array(out.device.data, out.device.shape, two_d);
  d["model"] = out.model ? to_array(out.model->data, out.model->shape, two_d) : to_array(out.device.data, out.device.shape, two_d);
  d["golden"] = to_array(to_double(out.golden).data, out.golden.shape, two_d);  // float64, as ever
  return d;
}

RunRequest run_request(const std::string& kernel, const py::object& fixture, const std::string& backend, const py::object& gates,
                       const py::dict& params, bool allow_mismatch, bool allow_fallback, const py::dict& options) {
  RunRequest req;
  req.revision = no_nul(kernel, "kernel");
  req.backend = no_nul(backend, "backend");
  req.params = param_strings(params);
  req.allow_mismatch = allow_mismatch;
  req.allow_fallback = allow_fallback;
  if (py::isinstance<py::dict>(fixture)) {
    req.fixture = fixture_from(fixture);
    req.fixture_dir = req.fixture->path;
  } else if (py::isinstance<py::str>(fixture) || py::hasattr(fixture, "__fspath__")) {
    req.fixture_dir = py::str(py::isinstance<py::str>(fixture) ? fixture : fixture.attr("__fspath__")()).cast<std::string>();
  } else {
    throw InputError("fixture: expected a directory or a dict of arrays {\"q\", \"k\", \"v\"}");
  }
  if (!gates.is_none()) req.gates = gates_from(gates);
  // The CLI's file and address options of the backends, by their Python names.
  static const std::map<std::string, std::string BackendOptions::*> fields = {
      {"elf", &BackendOptions::elf},       {"xclbin", &BackendOptions::xclbin},
      {"insts", &BackendOptions::insts},   {"pdi", &BackendOptions::pdi},
      {"design", &BackendOptions::design}, {"device_output", &BackendOptions::device_output},
      {"build_manifest", &BackendOptions::build_manifest}, {"sim_stack_at", &BackendOptions::sim_stack_at}};
  for (const auto& [key, value] : options) {
    const std::string k = py::str(key).cast<std::string>();
    const auto f = fields.find(k);
    if (f == fields.end()) {
      std::string known;
      for (const auto& [name, member] : fields) known += (known.empty() ? "" : ", ") + name;
      throw InputError("run: unknown option " + k + " (known: " + known + ")");
    }
    if (!value.is_none()) req.backend_options.*(f->second) = py::str(value).cast<std::string>();
  }
  return req;
}

bool two_d_of(const RunRequest& req) { return req.fixture ? req.fixture->two_d : load_fixture(req.fixture_dir).two_d; }

py::object run(const std::string& kernel, const py::object& fixture, const std::string& backend, const py::object& gates,
               const py::dict& params, bool allow_mismatch, bool allow_fallback, const py::dict& options, bool keep_outputs) {
  const RunRequest req = run_request(kernel, fixture, backend, gates, params, allow_mismatch, allow_fallback, options);
  const RunOutcome out = interruptible([&] { return execute_run(req); });
  // No device ran (auto fell back to the model): never a pass, so never a quiet return, as the
  // CLI's exit 3; allow_fallback=True returns the report (its pass None, not_run saying why).
  if (out.exit_code == kExitNoDevice)
    throw DeviceError("run: " + out.report.value("not_run", std::string("no device ran")) +
                      "; allow_fallback=True returns the report with pass None");
  py::object report = to_python(out.report);
  if (keep_outputs) report["arrays"] = run_arrays(out, two_d_of(req));
  return report;
}

// diff's tolerances as `attncheck diff` checks them (--tolerance, --rel-tolerance, --tolerance-for).
DiffTolerance tolerance_from(double absolute, double relative, const py::dict& by_metric) {
  if (!std::isfinite(absolute) || absolute < 0) throw InputError("tolerance: must be a finite number >= 0");
  if (!std::isfinite(relative) || relative < 0) throw InputError("rel_tolerance: must be a finite number >= 0");
  DiffTolerance tol(absolute);
  tol.relative = relative;
  for (const auto& [k, v] : by_metric) {
    const std::string name = py::str(k).cast<std::string>();
    const auto& names = diff_metric_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw InputError("tolerance_for: unknown metric " + name + " (known: " + known + ")");
    }
    if (py::isinstance<py::bool_>(v) || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)))
      throw InputError("tolerance_for[\"" + name + "\"]: expected a number, got " + std::string(py::repr(v)));
    const double t = v.cast<double>();
    if (!std::isfinite(t) || t < 0) throw InputError("tolerance_for[\"" + name + "\"]: must be a finite number >= 0");
    tol.by_metric[name] = t;
  }
  return tol;
}

// One side of diff(): a report dict (its kept arrays, from run(keep_outputs=True), passed
// apart) or the path of a report or suite aggregate file (its kept .npy files loaded).
std::pair<nlohmann::json, std::optional<KeptOutputs>> diff_side(const py::object& r, const py::object& arrays, const std::string& name) {
  if (py::isinstance<py::str>(r) || py::hasattr(r, "__fspath__")) {
    const std::string path = py::str(py::isinstance<py::str>(r) ? r : r.attr("__fspath__")()).cast<std::string>();
    nlohmann::json j = read_report_file(path, true);
    std::optional<KeptOutputs> k;
    if (j.value("schema", "") != kSuiteSchemaId) k = load_outputs(j, path);
    return {std::move(j), std::move(k)};
  }
  if (!py::isinstance<py::dict>(r)) throw InputError(name + ": expected a report (a dict from run()) or the path of a report file");
  nlohmann::json j = from_python(r, name);
  const std::string schema = j.value("schema", "");
  if (schema != kReportSchemaId && schema != kSuiteSchemaId)
    throw InputError(name + ": not a report (its \"schema\" is neither " + std::string(kReportSchemaId) + " nor " + kSuiteSchemaId + ")");
  std::optional<KeptOutputs> k;
  if (!arrays.is_none()) {
    const py::dict a = py::reinterpret_borrow<py::dict>(arrays);
    KeptOutputs o;
    o.device = double_input(a["device"], name + "[\"arrays\"][\"device\"]");
    o.golden = double_input(a["golden"], name + "[\"arrays\"][\"golden\"]");
    k = std::move(o);
  }
  return {std::move(j), std::move(k)};
}

py::object diff(const py::object& a, const py::object& a_arrays, const py::object& b, const py::object& b_arrays, double tolerance,
                double rel_tolerance, const py::dict& tolerance_for, bool allow_shape_change) {
  const DiffTolerance tol = tolerance_from(tolerance, rel_tolerance, tolerance_for);
  auto [ja, ka] = diff_side(a, a_arrays, "a");
  auto [jb, kb] = diff_side(b, b_arrays, "b");
  const std::string an = py::isinstance<py::dict>(a) ? "a" : py::str(a).cast<std::string>();
  const std::string bn = py::isinstance<py::dict>(b) ? "b" : py::str(b).cast<std::string>();
  DiffResult d;
  {
    py::gil_scoped_release release;
    d = diff_two_reports(ja, an, ka, jb, bn, kb, tol, allow_shape_change);
  }
  return to_python(d.json);
}

// `attncheck diff --kernel A --kernel B --fixture F`: both run here on the same fixture and backend.
py::object diff_kernels(const std::string& kernel_a, const std::string& kernel_b, const py::object& fixture, const std::string& backend,
                        const py::dict& params_a, const py::dict& params_b, double tolerance, double rel_tolerance,
                        const py::dict& tolerance_for, const py::dict& options) {
  const DiffTolerance tol = tolerance_from(tolerance, rel_tolerance, tolerance_for);
  const RunRequest ra = run_request(kernel_a, fixture, backend, py::none(), params_a, false, false, options);
  const RunRequest rb = run_request(kernel_b, fixture, backend, py::none(), params_b, false, false, options);
  DiffResult d;
  {
    py::gil_scoped_release release;
    const RunOutcome oa = execute_run(ra), ob = execute_run(rb);
    d = diff_reports(oa.report, "kernel " + kernel_a, ob.report, "kernel " + kernel_b, tol,
                     count_changes(to_double(oa.device), to_double(ob.device)));
  }
  d.json["schema"] = "attncheck.diff/1";
  d.json["tool"] = tool_json();
  return to_python(d.json);
}

py::dict fixture(const std::string& recipe, int64_t seed, const std::vector<int64_t>& shape, int64_t heads, int low, int high,
                 double logit_std) {
  if (shape.size() != 2 || shape[0] < 1 || shape[1] < 1) throw InputError("shape: expected (S, D) with positive sizes");
  if (seed < 0 || seed > 4294967295LL) throw InputError("seed " + std::to_string(seed) + ": must be in 0..2^32-1");
  if (heads < 0) throw InputError("heads " + std::to_string(heads) + ": must be positive");
  {
    // As `fixture make` estimates it: three int8 tensors and their .npy images, three doubles while drawing.
    const uint64_t n = mul_sat(mul_sat(static_cast<uint64_t>(std::max<int64_t>(heads, 1)), static_cast<uint64_t>(shape[0])),
                               static_cast<uint64_t>(shape[1]));
    require_memory(mul_sat(n, recipe == "realistic" ? 3 * (1 + 1 + 8) : 3 * (1 + 1)),
                   "fixture of shape (" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ") x " + std::to_string(heads) + " heads");
  }
  AttentionInputs in;
  nlohmann::json meta;
  {
    py::gil_scoped_release release;
    if (recipe == "realistic") {
      RealisticRecipe r;
      r.seed = static_cast<uint32_t>(seed), r.heads = heads, r.seq = shape[0], r.dim = shape[1], r.logit_std = logit_std;
      RealisticFixture f = make_realistic(r);
      in = std::move(f.inputs);
      meta = f.meta;
    } else if (recipe == "numpy-randint") {
      if (low < -128 || high > 128 || low >= high)
        throw InputError("low " + std::to_string(low) + " high " + std::to_string(high) + ": need -128 <= low < high <= 128");
      RandintRecipe r;
      r.seed = static_cast<uint32_t>(seed), r.heads = heads, r.seq = shape[0], r.dim = shape[1], r.low = low, r.high = high;
      in = make_numpy_randint(r);
      meta = randint_meta(r);
    } else {
      throw InputError("recipe " + recipe + ": expected numpy-randint or realistic");
    }
  }
  const bool two_d = heads == 0;
  py::dict d;
  d["q"] = to_array(in.q.data, in.q.shape, two_d);
  d["k"] = to_array(in.k.data, in.k.shape, two_d);
  d["v"] = to_array(in.v.data, in.v.shape, two_d);
  d["scales"] = meta.contains("scales") ? to_python(meta["scales"]) : py::none();
  d["seed"] = seed;
  d["recipe"] = recipe;
  return d;
}

py::list kernels() {
  py::list out;
  for (const auto& r : revisions()) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& p : r.params) params[p.name] = {{"default", p.default_value}, {"min", p.min}, {"max", p.max}};
    out.append(to_python({{"name", r.name}, {"summary", r.summary}, {"params", params},
                          {"layout", layout_name(r.package->layout)}, {"model", r.package->model}}));
  }
  return out;
}

}  // namespace

// The array simulator behind attncheck.xrt: one configured npu1 array, kept across calls as one
// hardware context keeps the device's state (cores go on running their loops between calls).
class ArraySimulator {
 public:
  explicit ArraySimulator(const std::string& image) {
    const bool pdi = image.size() >= 4 && image.compare(image.size() - 4, 4, ".pdi") == 0;
    prog_ = aie2::array::load_array_program(pdi ? "" : image, pdi ? image : "");
    aie2::array::ArrayOptions opt;
    opt.poll = [] { throw_if_interrupted(); };
    array_ = aie2::array::make_array(prog_, opt);
  }
  // One XRT call: the instruction buffer's bytes and the buffers by kernel argument number.
  // The buffers' bytes are copied in and every one is copied back (the device may write any).
  py::dict call(const py::bytes& insts, const py::dict& buffers) {
    const std::string raw = insts;
    const aie2::InstructionStream s = aie2::parse_instruction_bytes(raw, "instruction buffer");
    std::map<int, std::vector<uint8_t>> bytes;
    for (const auto& [k, v] : buffers) {
      const std::string b = v.cast<py::bytes>();
      bytes[k.cast<int>()].assign(b.begin(), b.end());
    }
    std::map<int, std::vector<uint8_t>*> args;
    for (auto& [k, v] : bytes) args[k] = &v;
    {
      py::gil_scoped_release release;
      try {
        array_->call(s, args);
      } catch (const aie2::SimError& e) {
        throw InputError(e.what());
      }
    }
    py::dict out;
    for (auto& [k, v] : bytes) out[py::int_(k)] = py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
    ++calls_;
    return out;
  }
  py::object report() const {
    nlohmann::json j = array_->report();
    j["program"] = {{"kind", prog_.kind}, {"path", prog_.path}, {"sha256", prog_.sha256}};
    j["calls"] = calls_;
    j["backend"] = "sim (the npu1 array simulator; not a device)";
    return to_python(j);
  }

 private:
  aie2::array::ArrayProgram prog_;
  std::unique_ptr<aie2::array::Array> array_;
  size_t calls_ = 0;
};

PYBIND11_MODULE(_core, m) {
  m.doc() = "attncheck's C++ core; use the attncheck package (python/attncheck/__init__.py), which documents each function.";
  // Bad input is a ValueError with the CLI's one-line message; a device that fails, a RuntimeError.
  static PyObject* input_error = py::register_exception<InputError>(m, "InputError", PyExc_ValueError).ptr();
  static PyObject* device_error = py::register_exception<DeviceError>(m, "DeviceError", PyExc_RuntimeError).ptr();
  // A package's kernel faulted or hung in its worker process (exit 4 in the CLI); Python lives on.
  static PyObject* kernel_fault = py::register_exception<KernelFault>(m, "KernelFault", PyExc_RuntimeError).ptr();
  // Registered last, so tried first: messages as the CLI prints them, capped (a 1 MB kernel name made
  // a 1,000,115-character message) with control characters and NUL shown (issue 26.8).
  py::register_exception_translator([](std::exception_ptr p) {
    auto set = [](PyObject* type, const std::string& what) {
      std::string line = terminal_text(what);
      if (line.size() > 512) line = line.substr(0, 512) + "... (" + std::to_string(line.size()) + " characters)";
      PyErr_SetString(type, line.c_str());
    };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      set(input_error, e.what());
    } catch (const DeviceError& e) {
      set(device_error, e.what());
    } catch (const KernelFault& e) {
      set(kernel_fault, e.what());
    } catch (const Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "out of memory: the input is larger than this machine can hold");
    }
  });
  m.attr("__version__") = ATTNCHECK_VERSION;
  py::class_<ArraySimulator>(m, "ArraySimulator")
      .def(py::init<const std::string&>(), py::arg("image"))
      .def("call", &ArraySimulator::call, py::arg("insts"), py::arg("buffers"))
      .def("report", &ArraySimulator::report);
  // The words XRT would be handed for an instruction file of any form (insts.bin/.txt, npu_insts.mlir, .seq).
  m.def("instruction_words", [](const std::string& path) {
    const aie2::InstructionStream s = aie2::read_instruction_stream(path);
    return py::bytes(reinterpret_cast<const char*>(s.words.data()), 4 * s.words.size());
  }, py::arg("path"));
  m.def("golden", &golden, py::arg("q"), py::arg("k"), py::arg("v"), py::arg("scales") = py::none(),
        py::arg("scale") = py::none(), py::arg("precision") = "fp32");
  m.def("emulate", &emulate, py::arg("kernel"), py::arg("q"), py::arg("k"), py::arg("v"), py::arg("scales") = py::none(),
        py::arg("params") = py::dict());
  m.def("compare", &compare, py::arg("golden"), py::arg("dut"), py::arg("model") = py::none());
  m.def("check_bit_exact", &check_bit_exact, py::arg("dut"), py::arg("model"));
  m.def("evaluate_gates", &evaluate, py::arg("report"), py::arg("gates"));
  m.def("run", &run, py::arg("kernel"), py::arg("fixture"), py::arg("backend") = "model", py::arg("gates") = py::none(),
        py::arg("params") = py::dict(), py::arg("allow_mismatch") = false, py::arg("allow_fallback") = false,
        py::arg("options") = py::dict(), py::arg("keep_outputs") = false);
  m.def("diff", &diff, py::arg("a"), py::arg("a_arrays"), py::arg("b"), py::arg("b_arrays"), py::arg("tolerance"),
        py::arg("rel_tolerance"), py::arg("tolerance_for"), py::arg("allow_shape_change"));
  m.def("diff_kernels", &diff_kernels, py::arg("kernel_a"), py::arg("kernel_b"), py::arg("fixture"), py::arg("backend"),
        py::arg("params_a"), py::arg("params_b"), py::arg("tolerance"), py::arg("rel_tolerance"), py::arg("tolerance_for"),
        py::arg("options"));
  m.def("fixture", &fixture, py::arg("recipe") = "numpy-randint", py::arg("seed") = 42,
        py::arg("shape") = std::vector<int64_t>{64, 64}, py::arg("heads") = 0, py::arg("low") = -64, py::arg("high") = 64,
        py::arg("logit_std") = 3.0);
  m.def("kernels", &kernels);
}
