// Suite files of `attncheck suite`: fixtures x revisions x backends (docs/suite.schema.json), read and checked.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/junit.hpp"

namespace attncheck {

// One entry of the suite's "cases": options for the cases it matches (revision, fixture and backend;
// an absent matcher matches any). Paths are resolved against the suite file's directory.
struct CaseOverride {
  std::string revision, fixture, backend;  // matchers
  std::vector<std::string> params;         // "k=v", appended in file order
  std::string xclbin, insts, build_manifest, elf, pdi, design, device_output;
  bool allow_mismatch = false;
};

struct SuiteFile {
  std::vector<std::string> fixtures;  // resolved against the suite file's directory
  std::vector<std::string> revisions;
  std::vector<std::string> backends{"model"};
  std::string gates;  // resolved; "" when none
  std::vector<CaseOverride> cases;
  nlohmann::json raw;
};

// Every problem (not JSON, unknown key, wrong type, unknown revision or backend) is one
// InputError line starting with `path`. Fixtures and gates are only named here, not opened.
SuiteFile load_suite(const std::string& path);
// The same on the file's text: the entry point of the suite fuzz target.
SuiteFile parse_suite_text(const std::string& text, const std::string& path);

// An aggregate's "cases" (attncheck.suite/1) as `suite` prints and reports them: the JUnit cases
// (each run report's gates, one error case per case that did not run), the table a person reads
// and the counts of the summary. `suite` and `merge` both assemble from it, so a merged
// aggregate's JUnit and table are the whole run's.
struct SuiteTally {
  std::vector<JunitCase> junit;
  std::string table;
  size_t passed = 0, failed = 0, errors = 0, skipped = 0, not_run = 0;
};
SuiteTally tally_suite_cases(const nlohmann::json& cases);

}  // namespace attncheck
