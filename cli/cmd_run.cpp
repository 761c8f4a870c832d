// `attncheck run`: one revision on one fixture through a backend, compared against golden and model.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "compare/gates.hpp"
#include "compare/junit.hpp"
#include "compare/report.hpp"
#include "ref/errors.hpp"

namespace attncheck {

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Run a kernel revision on a fixture through a backend; compare with golden and model");
  auto req = std::make_shared<RunRequest>();
  auto json_path = std::make_shared<std::string>();
  cmd->add_option("--kernel", req->revision, "Kernel revision (see `attncheck kernels`)")->required();
  cmd->add_option("--fixture", req->fixture_dir, "Fixture directory holding q.npy, k.npy, v.npy")->required();
  std::string backends;
  for (const auto& b : backend_list()) backends += (backends.empty() ? "" : ", ") + b.name;
  cmd->add_option("--backend", req->backend, "What produces the output under test: " + backends)
      ->capture_default_str();
  cmd->add_option("--param", req->params, "Revision parameter override NAME=INTEGER (repeatable)");
  cmd->add_option("--json", *json_path, "Write the JSON report here");
  auto gates_path = std::make_shared<std::string>();
  auto junit_path = std::make_shared<std::string>();
  auto keep = std::make_shared<bool>(false);
  cmd->add_option("--gates", *gates_path, "Gates file (JSON thresholds, docs/gates-and-reports.md); exit 1 when one fails");
  cmd->add_option("--junit", *junit_path, "Write JUnit XML here: one test case per gate");
  cmd->add_flag("--keep-outputs", *keep, "Save the device, golden and model arrays as .npy beside the --json report");
  cmd->callback([req, json_path, gates_path, junit_path, keep, &exit_code] {
    if (*keep && json_path->empty()) throw InputError("--keep-outputs: needs --json (the arrays are saved beside the report)");
    if (!gates_path->empty()) req->gates = load_gates(*gates_path);
    RunOutcome r = execute_run(*req);
    // A failed gate is a result: the report and the JUnit file are written all the same.
    if (*keep) r.report["outputs"] = save_outputs(*json_path, r);
    if (!junit_path->empty()) write_file_atomic(*junit_path, junit_xml("attncheck run", junit_cases(r.report)));
    if (!json_path->empty()) write_json_atomic(*json_path, r.report);
    print(r.summary);
    if (!json_path->empty()) print("  report    " + *json_path + "\n");
    exit_code = r.exit_code;
  });
}

}  // namespace attncheck
