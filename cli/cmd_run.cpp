// `attncheck run`: one revision on one fixture through a backend, compared against golden and model.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/run.hpp"
#include "compare/report.hpp"

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
  cmd->callback([req, json_path, &exit_code] {
    RunOutcome r = execute_run(*req);
    if (!json_path->empty()) write_json_atomic(*json_path, r.report);
    print(r.summary);
    if (!json_path->empty()) print("  report    " + *json_path + "\n");
    exit_code = r.exit_code;
  });
}

}  // namespace attncheck
