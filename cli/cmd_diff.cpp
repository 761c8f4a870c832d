// `attncheck diff`: two reports (or two revisions run here) side by side; exit 1 when B regresses against A.
#include <cmath>
#include <memory>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "compare/diff.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct DiffArgs {
  std::vector<std::string> reports, kernels, params;
  std::string fixture, backend = "model";
  double tolerance = 1e-9;
};

int diff_cmd(const DiffArgs& a) {
  if (!std::isfinite(a.tolerance) || a.tolerance < 0) throw InputError("--tolerance: must be a finite number >= 0");
  DiffResult d;
  if (!a.kernels.empty() || !a.fixture.empty()) {
    if (!a.reports.empty()) throw InputError("diff: give either two reports or --kernel A --kernel B --fixture DIR, not both");
    if (a.kernels.size() != 2 || a.fixture.empty())
      throw InputError("diff: --kernel must be given exactly twice, with --fixture DIR");
    auto request = [&](const std::string& kernel) {
      RunRequest r;
      r.revision = kernel;
      r.fixture_dir = a.fixture;
      r.backend = a.backend;
      r.params = a.params;
      return r;
    };
    const RunOutcome oa = execute_run(request(a.kernels[0])), ob = execute_run(request(a.kernels[1]));
    d = diff_reports(oa.report, "--kernel " + a.kernels[0], ob.report, "--kernel " + a.kernels[1], a.tolerance,
                     count_changes(to_double(oa.device), to_double(ob.device)));
  } else {
    if (a.reports.size() != 2) throw InputError("diff: needs two reports A.json B.json (or --kernel A --kernel B --fixture DIR)");
    const nlohmann::json ja = read_report_file(a.reports[0]), jb = read_report_file(a.reports[1]);
    std::optional<ElementChanges> changes;
    const auto ka = load_outputs(ja, a.reports[0]), kb = load_outputs(jb, a.reports[1]);
    if (ka && kb && ka->device.shape == kb->device.shape) changes = count_changes(ka->device, kb->device);
    d = diff_reports(ja, a.reports[0], jb, a.reports[1], a.tolerance, changes);
    if (ka && kb && !changes) d.text += "  note: kept outputs have different shapes; elements not compared\n";
  }
  print(d.text);
  return d.regressions.empty() ? kExitOk : kExitGateFailed;
}

}  // namespace

void add_diff_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("diff", "Compare two reports (A then B) metric by metric; exit 1 when B regresses");
  auto a = std::make_shared<DiffArgs>();
  cmd->add_option("reports", a->reports, "A.json B.json: reports of `run --json` (with --keep-outputs, elements are compared too)");
  cmd->add_option("--kernel", a->kernels, "Run this revision first (give twice: A then B), on --fixture");
  cmd->add_option("--fixture", a->fixture, "Fixture directory for --kernel");
  cmd->add_option("--backend", a->backend, "Backend for --kernel runs")->capture_default_str();
  cmd->add_option("--param", a->params, "Revision parameter override NAME=INTEGER for --kernel runs (repeatable)");
  cmd->add_option("--tolerance", a->tolerance, "Worsening allowed before a metric counts as regressed (absolute)")
      ->capture_default_str();
  cmd->callback([a, &exit_code] { exit_code = diff_cmd(*a); });
}

}  // namespace attncheck
