// `attncheck report`: run and suite reports rendered as the Markdown and HTML validation report.
#include <cstddef>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "compare/diff.hpp"
#include "compare/report.hpp"
#include "compare/validation_report.hpp"
#include "fixtures/input_file.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string md, html;
  bool append = false;
};

void add_entries(const std::string& path, std::vector<ReportEntry>& out) {
  add_report_entries(read_report_file(path, true), path, out);
}

}  // namespace

// A suite aggregate contributes one entry per case; kept outputs resolve against the aggregate's directory.
namespace {

std::string text_of(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : j.is_null() ? "" : j.dump(); }

// The kept arrays, or, when the report names some that are gone or changed, none and a note: the
// report still renders from its JSON (metrics, gates, localization), and says which plots it left out.
void attach_arrays(ReportEntry& e, const std::string& path) {
  try {
    e.arrays = load_outputs(e.report, path);
  } catch (const InputError& err) {
    e.arrays.reset();
    e.arrays_note = err.what();
  }
}

// The report into types (a field of the wrong type is an InputError naming it), and its names.
void read_run(ReportEntry& e, const std::string& path) {
  e.run = run_report_from_json(e.report, path);
  e.revision = e.run->revision;
  e.fixture = e.run->fixture_path;
  e.backend = e.run->backend;
}

}  // namespace

void add_report_entries(const nlohmann::json& j, const std::string& path, std::vector<ReportEntry>& out) {
  if (j.at("schema") == kSuiteSchemaId) {
    for (const auto& c : j.at("cases")) {
      ReportEntry e;
      e.source = path + "#" + c.at("id").get<std::string>();
      e.revision = text_of(c.value("revision", nlohmann::json()));
      e.fixture = text_of(c.value("fixture", nlohmann::json()));
      e.backend = text_of(c.value("backend", nlohmann::json()));
      if (c.at("status") == "skipped") {
        // A hole in the suite's matrix (revision not defined for the shape): shown in the grid.
        e.skipped = c.value("reason", std::string("skipped"));
      } else if (c.at("status") == "error") {
        e.error = c.value("error", std::string("did not run"));
        e.report = nullptr;
      } else {
        e.report = c.at("report");
        read_run(e, e.source);
        attach_arrays(e, path);
      }
      out.push_back(std::move(e));
    }
    return;
  }
  ReportEntry e;
  e.source = path;
  e.report = j;
  read_run(e, path);
  attach_arrays(e, path);
  out.push_back(std::move(e));
}

namespace {

int report_cmd(const ReportArgs& a) {
  if (a.md.empty() && a.html.empty()) throw InputError("report: give --md FILE and/or --html FILE");
  if (a.append && a.md.empty()) throw InputError("--append: appends to --md, which is not given");
  if (a.md == "-" && a.html == "-") throw InputError("--md - and --html -: only one of them can be stdout");
  OutputSet::check("--md", a.md);
  OutputSet::check("--html", a.html);
  {
    std::vector<PathRole> inputs;
    for (const auto& p : a.inputs) inputs.push_back({"report input", p});
    // --append adds to a file on purpose; only replacing it could destroy an input.
    check_distinct_paths(inputs, {{"--md", a.append ? std::string() : a.md}, {"--html", a.html}});
    if (a.append && !a.html.empty()) check_distinct_paths({}, {{"--md", a.md}, {"--html", a.html}});
  }
  // A diff's JSON (attncheck.diff/1) renders as the diff; run and suite reports as the validation report.
  std::vector<nlohmann::json> diffs;
  std::string a_report;
  for (const auto& p : a.inputs) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text_file(p));
    } catch (const nlohmann::json::exception&) {
      continue;  // read_report_file below names the problem
    }
    if (j.is_object() && j.value("schema", nlohmann::json()) == "attncheck.diff/1") {
      check_diff_json(j, p);
      try {
        (void)diff_markdown(j);
        (void)diff_html({j});
      } catch (const nlohmann::json::exception& e) {
        throw InputError(p + ": malformed diff: " + e.what());
      }
      diffs.push_back(j);
    } else if (a_report.empty()) {
      a_report = p;
    }
  }
  if (!diffs.empty()) {
    if (!a_report.empty())
      throw InputError("report: " + a_report + " is a run or suite report and the others diffs (attncheck.diff/1); render them apart");
    std::string md;
    for (const auto& d : diffs) md += (md.empty() ? "" : "\n") + diff_markdown(d);
    OutputSet outputs;
    if (!a.md.empty()) {
      if (a.append) outputs.append(a.md, md);
      else outputs.write(a.md, md);
    }
    if (!a.html.empty()) outputs.write(a.html, diff_html(diffs));
    outputs.commit();
    std::string verdict = "NO CHANGE";
    for (const auto& d : diffs) {
      const std::string v = d.value("verdict", std::string());
      if (v == "REGRESSED" || (v == "OK" && verdict == "NO CHANGE")) verdict = v;
    }
    const std::string summary = "attncheck report: " + std::to_string(diffs.size()) + " diff(s), verdict " + verdict + "\n" +
                                (a.md.empty() ? "" : "  markdown  " + a.md + "\n") + (a.html.empty() ? "" : "  html      " + a.html + "\n");
    if (a.md == "-" || a.html == "-") std::fputs(terminal_text(summary).c_str(), stderr);
    else print(summary);
    return kExitOk;
  }
  std::vector<ReportEntry> entries;
  for (const auto& p : a.inputs) {
    const size_t first = entries.size();
    try {
      add_entries(p, entries);
      // Render each input's entries alone first, so a malformed report is named, not an internal error.
      // Both formats: the HTML plots read fields the Markdown does not (fuzz_report_reader found one).
      const std::vector<ReportEntry> mine(entries.begin() + static_cast<std::ptrdiff_t>(first), entries.end());
      render_markdown(mine);
      if (!a.html.empty()) render_html(mine);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(p + ": malformed report: " + e.what());
    }
  }
  // Render both before writing either, so a bad input leaves no half-set of outputs behind.
  const std::string md = a.md.empty() ? "" : render_markdown(entries);
  const std::string html = a.html.empty() ? "" : render_html(entries);
  OutputSet outputs;
  if (!a.md.empty()) {
    if (a.append) {
      outputs.append(a.md, md);  // a job summary keeps what earlier steps wrote
    } else {
      outputs.write(a.md, md);
    }
  }
  if (!a.html.empty()) outputs.write(a.html, html);
  outputs.commit();
  const std::string verdict = overall_verdict(entries);
  const std::string summary = "attncheck report: " + std::to_string(entries.size()) + " case(s), verdict " + verdict +
                              "\n" + (a.md.empty() ? "" : "  markdown  " + a.md + "\n") +
                              (a.html.empty() ? "" : "  html      " + a.html + "\n");
  // With a document on stdout the summary goes to stderr, so `--md -` pipes clean Markdown.
  if (a.md == "-" || a.html == "-") {
    std::fputs(terminal_text(summary).c_str(), stderr);
  } else {
    print(summary);
  }
  // Rendering a failing verdict is the job done; CI gates on `run`/`suite`, not on the report.
  return kExitOk;
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "Render run or suite reports as a validation report (Markdown, HTML)");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("inputs", a->inputs, "Reports (run --json, or suite --json aggregates), or diffs (diff --json)")->required();
  cmd->add_option("--md", a->md, "Write Markdown here (fits a CI job summary); - is stdout");
  cmd->add_flag("--append", a->append, "Append the Markdown to --md instead of replacing it ($GITHUB_STEP_SUMMARY)");
  cmd->add_option("--html", a->html, "Write one self-contained HTML file here (inline SVG plots, no script); - is stdout");
  cmd->callback([a, &exit_code] { exit_code = report_cmd(*a); });
}

}  // namespace attncheck
