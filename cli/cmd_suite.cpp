// `attncheck suite`: every fixture x revision x backend of a suite file, run in parallel, as one aggregate report.
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

#include "kernels/packages.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "cli/suite_file.hpp"
#include "compare/junit.hpp"
#include "compare/report.hpp"
#include "compare/validation_report.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

namespace attncheck {
namespace {
namespace fs = std::filesystem;

struct SuiteArgs {
  std::string suite, gates, json, junit, shard;
  int jobs = 0;
  bool keep_outputs = false;
};

// --shard K/N: this job runs the cases whose index in suite order (0-based) is K-1 modulo N.
struct Shard {
  size_t index = 1, count = 1;
  bool owns(size_t case_index) const { return case_index % count == index - 1; }
};

Shard parse_shard(const std::string& text) {
  Shard s;
  if (text.empty()) return s;
  const size_t slash = text.find('/');
  auto number = [&](const std::string& t, size_t* out) {
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) return false;
    *out = std::stoul(t);
    return true;
  };
  if (slash == std::string::npos || !number(text.substr(0, slash), &s.index) || !number(text.substr(slash + 1), &s.count) ||
      s.count < 1 || s.index < 1 || s.index > s.count)
    throw InputError("--shard " + text.substr(0, 40) + ": expected K/N with 1 <= K <= N (e.g. 2/4: the second of four jobs)");
  return s;
}

std::vector<std::string> string_list(const nlohmann::json& j, const std::string& path, const std::string& key) {
  if (!j.is_array() || j.empty()) throw InputError(path + ": '" + key + "' must be a non-empty array of strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string() || v.get<std::string>().empty())
      throw InputError(path + ": '" + key + "' must be a non-empty array of strings, got " + v.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string resolve(const std::string& base_dir, const std::string& p);

// A built-in name as written; a kernel package is named relative to the suite file, like its fixtures.
std::string suite_revision(const std::string& dir, const std::string& r) {
  for (const auto& b : revisions())
    if (b.name == r) return r;
  std::error_code ec;
  return fs::exists(resolve(dir, r), ec) ? resolve(dir, r) : r;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

// The suite's "cases": per-case backend options, so npu, replay and sim cases (which need files
// per case) and per-case parameters fit in one suite.
std::vector<CaseOverride> parse_case_overrides(const SuiteFile& s, const std::string& dir, const std::string& path) {
  const nlohmann::json& list = s.raw["cases"];
  if (!list.is_array()) throw InputError(path + ": 'cases' must be an array of objects");
  // Each option and the backends that read it; an override setting one must name such a backend.
  static const std::vector<std::pair<const char*, std::vector<std::string>>> owners = {
      {"xclbin", {"npu", "auto", "sim"}}, {"insts", {"npu", "auto"}}, {"build_manifest", {"npu", "auto"}},
      {"elf", {"sim"}},   {"pdi", {"sim"}},   {"design", {"sim"}},
      {"device_output", {"replay"}},
  };
  std::vector<CaseOverride> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& c = list[i];
    const std::string where = path + ": cases[" + std::to_string(i) + "]";
    if (!c.is_object()) throw InputError(where + " must be an object");
    CaseOverride o;
    for (const auto& item : c.items()) {
      // Named copies: clang rejects structured bindings captured by a lambda before C++20.
      const std::string k = item.key();
      const nlohmann::json& v = item.value();
      const bool path_key = std::any_of(owners.begin(), owners.end(), [&k](const auto& e) { return k == e.first; });
      if (k == "revision" || k == "fixture" || k == "backend" || path_key) {
        if (!v.is_string() || v.get<std::string>().empty()) throw InputError(where + "." + k + " must be a non-empty string");
      } else if (k == "params") {
        o.params = string_list(v, path, "cases[" + std::to_string(i) + "].params");
      } else if (k == "allow_mismatch") {
        if (!v.is_boolean()) throw InputError(where + ".allow_mismatch must be true or false");
        o.allow_mismatch = v.get<bool>();
      } else {
        throw InputError(where + ": unknown key '" + k +
                         "' (known: revision, fixture, backend, params, allow_mismatch, xclbin, insts, build_manifest, "
                         "elf, pdi, design, device_output)");
      }
    }
    auto str = [&](const char* k) { return c.contains(k) ? c[k].get<std::string>() : std::string(); };
    o.revision = c.contains("revision") ? suite_revision(dir, str("revision")) : "";
    o.backend = str("backend");
    o.fixture = c.contains("fixture") ? resolve(dir, str("fixture")) : "";
    o.xclbin = c.contains("xclbin") ? resolve(dir, str("xclbin")) : "";
    o.insts = c.contains("insts") ? resolve(dir, str("insts")) : "";
    o.build_manifest = c.contains("build_manifest") ? resolve(dir, str("build_manifest")) : "";
    o.elf = c.contains("elf") ? resolve(dir, str("elf")) : "";
    o.pdi = c.contains("pdi") ? resolve(dir, str("pdi")) : "";
    o.design = c.contains("design") ? resolve(dir, str("design")) : "";
    o.device_output = c.contains("device_output") ? resolve(dir, str("device_output")) : "";
    for (const auto& owner : owners) {
      const char* k = owner.first;
      const std::vector<std::string>& backends = owner.second;
      if (!c.contains(k)) continue;
      if (o.backend.empty() || std::find(backends.begin(), backends.end(), o.backend) == backends.end())
        throw InputError(where + "." + k + ": needs \"backend\" set to one that reads it (" +
                         [&] {
                           std::string l;
                           for (const auto& b : backends) l += (l.empty() ? "" : ", ") + b;
                           return l;
                         }() +
                         ")");
    }
    auto listed = [](const std::vector<std::string>& v, const std::string& x) {
      return x.empty() || std::find(v.begin(), v.end(), x) != v.end();
    };
    if (!listed(s.revisions, o.revision)) throw InputError(where + ".revision '" + o.revision + "' is not in 'revisions'");
    if (!listed(s.backends, o.backend)) throw InputError(where + ".backend '" + o.backend + "' is not in 'backends'");
    if (!listed(s.fixtures, o.fixture)) throw InputError(where + ".fixture '" + o.fixture + "' is not in 'fixtures'");
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

SuiteFile load_suite(const std::string& path) {
  return parse_suite_text(read_text_file(path), path);
}

SuiteFile parse_suite_text(const std::string& text, const std::string& path) {
  SuiteFile s;
  check_json_input(text, path);
  try {
    s.raw = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw InputError(path + ": not valid JSON");
  }
  if (!s.raw.is_object()) throw InputError(path + ": a suite must be a JSON object");
  for (const auto& [k, v] : s.raw.items())
    if (k != "fixtures" && k != "revisions" && k != "backends" && k != "gates" && k != "name" && k != "cases")
      throw InputError(path + ": unknown key '" + k + "' (known: name, fixtures, revisions, backends, gates, cases)");
  if (!s.raw.contains("fixtures") || !s.raw.contains("revisions"))
    throw InputError(path + ": needs 'fixtures' and 'revisions'");
  if (s.raw.contains("name") && !s.raw["name"].is_string()) throw InputError(path + ": 'name' must be a string");
  const std::string dir = fs::path(path).parent_path().string();
  for (const auto& f : string_list(s.raw["fixtures"], path, "fixtures")) s.fixtures.push_back(resolve(dir, f));
  // "*" stands for every built-in revision, so a suite of all of them needs no edit for a new one.
  for (const auto& r : string_list(s.raw["revisions"], path, "revisions")) {
    if (r != "*") {
      s.revisions.push_back(r);
      continue;
    }
    for (const auto& b : revisions())
      if (std::find(s.revisions.begin(), s.revisions.end(), b.name) == s.revisions.end()) s.revisions.push_back(b.name);
  }
  if (s.raw.contains("backends")) s.backends = string_list(s.raw["backends"], path, "backends");
  if (s.raw.contains("gates")) {
    if (!s.raw["gates"].is_string()) throw InputError(path + ": 'gates' must be the path of a gates file");
    s.gates = resolve(dir, s.raw["gates"].get<std::string>());
  }
  for (auto& r : s.revisions) {
    r = suite_revision(dir, r);
    try {
      resolve_kernel(r);
    } catch (const InputError& e) {
      throw InputError(path + ": " + e.what());
    }
  }
  for (const auto& b : s.backends) {
    const auto all = backend_list();
    if (std::none_of(all.begin(), all.end(), [&](const BackendInfo& i) { return i.name == b; }))
      throw InputError(path + ": unknown backend '" + b + "'");
  }
  if (s.raw.contains("cases")) s.cases = parse_case_overrides(s, dir, path);
  return s;
}

namespace {

struct Case {
  std::string id, fixture, revision, backend;
  std::string status = "pending";  // ok, skipped, error
  std::string error;
  bool device_error = false;
  nlohmann::json report;
  std::optional<RunOutcome> outcome;
};

// A bar on stderr, redrawn in place; only called when stderr is a terminal.
void draw_progress(size_t done, size_t total, size_t failed) {
  const int width = 30;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r  [%s%s] %zu/%zu cases%s", std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total,
               failed ? (", " + std::to_string(failed) + " failing").c_str() : "");
  if (done == total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace

SuiteTally tally_suite_cases(const nlohmann::json& cases) {
  SuiteTally t;
  std::ostringstream text;
  for (const auto& c : cases) {
    const std::string status = c.at("status").get<std::string>(), id = c.at("id").get<std::string>();
    const std::string revision = c.at("revision").get<std::string>(), fixture = c.at("fixture").get<std::string>(),
                      backend = c.at("backend").get<std::string>();
    std::string verdict, detail;
    if (status == "ok") {
      const nlohmann::json& report = c.at("report");
      // pass null: an auto case with no device, never a pass (its device checks were skipped).
      const nlohmann::json& p = report.at("pass");
      (p.is_null() ? t.not_run : p.get<bool>() ? t.passed : t.failed)++;
      verdict = p.is_null() ? "NOTRUN" : p.get<bool>() ? "PASS" : "FAIL";
      for (auto& jcase : junit_cases(report)) t.junit.push_back(std::move(jcase));
      const VsGolden g = metrics_from_json(report.at("metrics"), id).vs_golden;
      char buf[160];
      std::snprintf(buf, sizeof buf, "corr %s  MAE %.4f  RMSE %.4f  within 1 %s  within 5 %s",
                    g.correlation.value ? std::to_string(*g.correlation.value).c_str() : "n/a", g.mae, g.rmse,
                    format_share_percent(*metric_value(g, "within.1")).c_str(),
                    format_share_percent(*metric_value(g, "within.5")).c_str());
      detail = buf;
    } else if (status == "skipped") {
      ++t.skipped;
      verdict = "skip";
      detail = c.at("reason").get<std::string>();
    } else {
      ++t.errors;
      verdict = "ERROR";
      detail = c.at("error").get<std::string>();
      t.junit.push_back(junit_error_case(revision, backend, fixture, detail));
    }
    char line[512];
    std::snprintf(line, sizeof line, "  %-5s  %-16s %-36s %-8s %s\n", verdict.c_str(), revision.c_str(), fixture.c_str(),
                  backend.c_str(), detail.c_str());
    text << line;
  }
  t.table = text.str();
  return t;
}

namespace {

int suite_cmd(const SuiteArgs& a) {
  if (a.jobs < 0) throw InputError("-j: must be >= 1 (0: one per hardware thread)");
  if (a.keep_outputs && a.json.empty()) throw InputError("--keep-outputs: needs --json (the arrays are saved beside it)");
  OutputSet::check("--json", a.json);
  OutputSet::check("--junit", a.junit);
  if (a.json == "-" || a.junit == "-") send_text_to_stderr();  // stdout carries the document alone
  check_distinct_paths({{"suite file", a.suite}, {"--gates", a.gates}}, {{"--json", a.json}, {"--junit", a.junit}});
  const SuiteFile suite = load_suite(a.suite);
  const std::string gates_path = !a.gates.empty() ? a.gates : suite.gates;
  std::optional<GatesFile> gates;
  if (!gates_path.empty()) gates = load_gates(gates_path);

  // Fixtures are checked once up front: a missing one is a broken suite, not a failed case.
  const Shard shard = parse_shard(a.shard);
  std::vector<Case> cases;
  size_t case_index = 0;  // in suite order, over all shards
  // Memory: every finished case keeps its arrays until the aggregate is assembled (int8 device
  // and model, double golden), and each worker holds one fixture and one run's peak at a time.
  uint64_t kept_bytes = 0, worker_peak = 0;
  for (const auto& f : suite.fixtures) {
    const Fixture fx = load_fixture(f);
    const uint64_t n = fx.shape().count();
    kept_bytes = add_sat(kept_bytes, mul_sat(mul_sat(n, 10), suite.revisions.size() * suite.backends.size()));
    worker_peak = std::max(worker_peak, add_sat(run_peak_bytes(fx.shape()), mul_sat(n, 3)));
    for (const auto& r : suite.revisions)
      for (const auto& b : suite.backends) {
        if (!shard.owns(case_index++)) continue;
        Case c;
        c.id = r + " | " + f + " | " + b;
        c.fixture = f;
        c.revision = r;
        c.backend = b;
        try {
          check_shape(resolve_kernel(r), fx.shape(), fx.path);
        } catch (const InputError& e) {
          // A revision not defined for this shape is a hole in the matrix, not a failure.
          c.status = "skipped";
          c.error = e.what();
        }
        cases.push_back(std::move(c));
      }
  }

  size_t jobs = a.jobs > 0 ? static_cast<size_t>(a.jobs) : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, std::max<size_t>(1, cases.size()));
  require_memory(add_sat(kept_bytes, mul_sat(worker_peak, jobs)),
                 a.suite + " (" + std::to_string(cases.size()) + " cases, -j " + std::to_string(jobs) + ")");
  const bool tty = isatty(STDERR_FILENO);
  std::atomic<size_t> next{0}, done{0}, failing{0};
  std::mutex progress_mu;
  const size_t total = cases.size();
  for (const auto& c : cases) done += c.status == "skipped";
  if (tty) draw_progress(done, total, 0);
  // What escaped a worker (an allocation that failed outside a case's own try, under ulimit -v):
  // rethrown by the main thread after the join, as one line; escaping a thread would abort.
  std::exception_ptr escaped;
  std::mutex escaped_mu;
  auto cases_loop = [&] {
    for (size_t i = next++; i < cases.size(); i = next++) {
      // SIGINT/SIGTERM: stop taking cases; the main thread reports the interruption after the join.
      if (interrupted()) return;
      Case& c = cases[i];
      if (c.status == "skipped") continue;
      try {
        RunRequest req;
        req.revision = c.revision;
        req.fixture_dir = c.fixture;
        req.backend = c.backend;
        req.gates = gates;
        for (const auto& o : suite.cases) {
          if ((!o.revision.empty() && o.revision != c.revision) || (!o.fixture.empty() && o.fixture != c.fixture) ||
              (!o.backend.empty() && o.backend != c.backend))
            continue;
          req.params.insert(req.params.end(), o.params.begin(), o.params.end());
          BackendOptions& b = req.backend_options;
          for (auto [dst, src] : {std::pair<std::string*, const std::string*>{&b.xclbin, &o.xclbin}, {&b.insts, &o.insts},
                                  {&b.build_manifest, &o.build_manifest}, {&b.elf, &o.elf}, {&b.pdi, &o.pdi},
                                  {&b.design, &o.design}, {&b.device_output, &o.device_output}})
            if (!src->empty()) *dst = *src;
          req.allow_mismatch = req.allow_mismatch || o.allow_mismatch;
        }
        c.outcome = execute_run(req);
        c.status = "ok";
      } catch (const DeviceError& e) {
        c.status = "error";
        c.error = e.what();
        c.device_error = true;
      } catch (const std::exception& e) {
        c.status = "error";
        c.error = e.what();
      }
      if (c.status != "ok" || c.outcome->exit_code != kExitOk) ++failing;
      ++done;
      std::lock_guard<std::mutex> lock(progress_mu);
      if (tty) {
        draw_progress(done, total, failing);
      } else {
        // CI logs are not terminals: one line per finished case on stdout (stderr keeps its
        // one-line errors), so a long suite shows it is alive.
        if (interrupted()) continue;
        const char* verdict = c.status != "ok" ? "ERROR" : c.outcome->exit_code == kExitOk ? "PASS"
                              : c.outcome->exit_code == kExitNoDevice ? "NOT RUN" : "FAIL";
        std::fprintf(text_stream(), "  [%zu/%zu] %s: %s\n", done.load(), total, terminal_text(c.id).c_str(), verdict);
        std::fflush(text_stream());
      }
    }
  };
  auto worker = [&] {
    try {
      cases_loop();
    } catch (...) {
      next = cases.size();  // the other threads take no more cases
      std::lock_guard<std::mutex> lock(escaped_mu);
      if (!escaped) escaped = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  // A thread that cannot start (ulimit -v: its stack does not map, std::system_error; or its state
  // cannot be allocated, std::bad_alloc) leaves its cases to the others; a joinable std::thread
  // destroyed by the exception would abort the process.
  try {
    for (size_t t = 0; t < jobs; ++t) pool.emplace_back(worker);
  } catch (...) {
  }
  if (pool.empty()) worker();
  for (auto& t : pool) t.join();
  if (escaped) std::rethrow_exception(escaped);
  // An interrupted suite writes no aggregate: a report missing cases would read as a result.
  throw_if_interrupted();

  // Assembly is sequential and in suite order, so the aggregate does not depend on -j.
  OutputSet outputs;  // everything is published together by commit(), or nothing
  nlohmann::json jcases = nlohmann::json::array();
  bool device_error = false;
  std::string json_stem = a.json;
  if (json_stem.size() > 5 && json_stem.compare(json_stem.size() - 5, 5, ".json") == 0) json_stem.resize(json_stem.size() - 5);
  for (size_t i = 0; i < cases.size(); ++i) {
    Case& c = cases[i];
    nlohmann::json jc = {{"id", c.id}, {"fixture", c.fixture}, {"revision", c.revision}, {"backend", c.backend},
                         {"status", c.status}};
    if (c.status == "ok") {
      if (a.keep_outputs)
        c.outcome->report["outputs"] = save_outputs(json_stem + ".case" + std::to_string(i) + ".json", *c.outcome, outputs);
      jc["report"] = c.outcome->report;
    } else if (c.status == "skipped") {
      jc["reason"] = c.error;
    } else {
      jc["error"] = c.error;
      device_error = device_error || c.device_error;
    }
    jcases.push_back(jc);
  }
  const SuiteTally tally = tally_suite_cases(jcases);
  const size_t passed = tally.passed, failed = tally.failed, errors = tally.errors, skipped = tally.skipped,
               not_run = tally.not_run;
  std::ostringstream text;
  text << "attncheck " << ATTNCHECK_VERSION << " suite " << a.suite << "  (" << cases.size() << " cases"
       << (shard.count > 1 ? " of " + std::to_string(case_index) + ": shard " + a.shard : std::string()) << ", -j " << jobs
       << (gates ? ", gates " + gates->path : std::string()) << ")\n\n"
       << tally.table;
  const bool pass = failed == 0 && errors == 0 && not_run == 0;
  nlohmann::json aggregate = {
      {"schema", kSuiteSchemaId},
      {"tool", tool_json()},
      {"command", "suite"},
      {"suite", {{"path", a.suite}, {"name", suite.raw.value("name", std::string())}, {"fixtures", suite.fixtures},
                 {"revisions", suite.revisions}, {"backends", suite.backends}}},
      {"gates_file", gates ? nlohmann::json(gates->path) : nlohmann::json(nullptr)},
      {"jobs", jobs},
      {"cases", jcases},
      {"summary", {{"cases", cases.size()}, {"passed", passed}, {"failed", failed}, {"errors", errors}, {"skipped", skipped}, {"not_run", not_run}}},
      {"pass", pass},
  };
  // A shard says which one it is and how many cases the whole suite has: `attncheck merge` checks both.
  if (shard.count > 1) aggregate["shard"] = {{"index", shard.index}, {"count", shard.count}, {"suite_cases", case_index}};
  if (!a.junit.empty())
    outputs.write(a.junit, junit_xml("attncheck suite " + a.suite + (shard.count > 1 ? " (shard " + a.shard + ")" : ""),
                                     tally.junit));
  if (!a.json.empty()) outputs.write_json(a.json, aggregate);
  outputs.commit();
  text << "\n  " << passed << " passed, " << failed << " failed gates, " << errors << " errors, " << skipped << " skipped"
       << (not_run ? ", " + std::to_string(not_run) + " not run (no device)" : std::string()) << "\n  verdict   "
       << (errors ? "ERROR" : failed ? "FAIL" : not_run ? "NOT RUN" : "PASS") << "\n";
  if (!a.json.empty()) text << "  report    " << a.json << "\n";
  print(text.str());
  if (errors) {
    // The table on stdout has every error; stderr gets the one line every exit 2 or 3 has.
    std::string first;
    for (const auto& c : cases)
      if (c.status == "error") {
        first = c.error;
        break;
      }
    std::fprintf(stderr, "attncheck: %s: %zu of %zu cases did not run; the first: %s\n", terminal_text(a.suite).c_str(),
                 errors, cases.size(), terminal_text(first.substr(0, 400)).c_str());
    return device_error ? kExitNoDevice : kExitBadInput;
  }
  return failed ? kExitGateFailed : not_run ? kExitNoDevice : kExitOk;
}

}  // namespace

void add_suite_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("suite", "Run every fixture x revision x backend of a suite file in parallel; one aggregate report");
  auto a = std::make_shared<SuiteArgs>();
  cmd->add_option("suite", a->suite, "Suite file (JSON: fixtures, revisions, backends, gates)")->required();
  cmd->add_option("--gates", a->gates, "Gates file; replaces the suite's own 'gates'");
  cmd->add_option("--json", a->json, "Write the aggregate report (attncheck.suite/1) here");
  cmd->add_option("--junit", a->junit, "Write JUnit XML here: one test case per fixture, revision and gate");
  cmd->add_option("-j,--jobs", a->jobs, "Cases run at once (0: one per hardware thread)")->capture_default_str();
  cmd->add_flag("--keep-outputs", a->keep_outputs, "Save each case's arrays as .npy beside the --json aggregate");
  add_kernel_timeout_option(cmd);
  cmd->add_option("--shard", a->shard, "K/N: run only the cases whose index in suite order is K-1 modulo N (one CI job of N; "
                                       "`attncheck merge` joins the N aggregates)");
  cmd->callback([a, &exit_code] { exit_code = suite_cmd(*a); });
}

}  // namespace attncheck
