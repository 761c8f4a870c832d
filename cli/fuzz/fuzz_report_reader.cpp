// libFuzzer target: any bytes as a report given to `diff` or `report`, read, diffed and rendered as they are.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/outputs.hpp"
#include "compare/diff.hpp"
#include "compare/report.hpp"
#include "compare/validation_report.hpp"
#include "ref/errors.hpp"

using namespace attncheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The directory does not exist, so kept outputs a report names are never opened.
  const std::string path = "/nonexistent-attncheck-fuzz/a.json";
  // A diff's JSON given to `report`: checked, then rendered as cmd_report does (twice: the check
  // render inside a handler, the output render outside any).
  try {
    const nlohmann::json d = nlohmann::json::parse(text);
    if (d.is_object() && d.value("schema", nlohmann::json()) == "attncheck.diff/1") {
      bool rendered = false;
      try {
        check_diff_json(d, path);
        (void)diff_markdown(d);
        (void)diff_html({d});
        rendered = true;
      } catch (const InputError&) {
      } catch (const nlohmann::json::exception&) {
      }
      if (rendered) (void)diff_markdown(d), (void)diff_html({d, d});
      return 0;
    }
  } catch (const nlohmann::json::exception&) {
  }
  nlohmann::json j;
  try {
    j = parse_report_text(text, path, true);
  } catch (const InputError&) {
    return 0;
  }
  // `diff A B` reads two reports and diffs them; only InputError may come out (exit 2).
  if (j.value("schema", std::string()) == kReportSchemaId) {
    try {
      (void)diff_reports(j, path, j, "b.json", 0.0, std::nullopt);
      (void)load_outputs(j, path);
    } catch (const InputError&) {
    }
  }
  // `report` reads entries and renders each input alone inside a handler that turns nlohmann
  // exceptions into InputError; what gets past that is rendered again, together with the other
  // inputs, outside any handler, so it must not throw then.
  std::vector<ReportEntry> entries;
  try {
    add_report_entries(j, path, entries);
    (void)render_markdown(entries);
    (void)render_html(entries);
  } catch (const InputError&) {
    return 0;
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  std::vector<ReportEntry> twice = entries;
  twice.insert(twice.end(), entries.begin(), entries.end());
  (void)render_markdown(twice);
  (void)render_html(twice);
  return 0;
}
