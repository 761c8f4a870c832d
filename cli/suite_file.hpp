// Suite files of `attncheck suite`: fixtures x revisions x backends (docs/suite.schema.json), read and checked.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

}  // namespace attncheck
