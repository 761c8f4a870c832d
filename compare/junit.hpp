// JUnit XML from reports, so CI systems list each fixture x revision x gate as a test case.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attncheck {

struct JunitCase {
  std::string classname;  // "attncheck.REVISION.BACKEND"
  std::string name;       // "FIXTURE: GATE"
  std::string failure;    // non-empty: the gate failed, this is the message
  std::string error;      // non-empty: the case could not run
  std::string output;     // system-out: the measured value and threshold
};

// One case per gate of `report`; a report without gates gives one case "FIXTURE: run" (it ran).
std::vector<JunitCase> junit_cases(const nlohmann::json& report);
// A case that could not run at all (suite): one errored test case.
JunitCase junit_error_case(const std::string& revision, const std::string& backend, const std::string& fixture,
                           const std::string& message);

// <testsuites><testsuite name=...> with counts, XML-escaped.
std::string junit_xml(const std::string& suite_name, const std::vector<JunitCase>& cases);

}  // namespace attncheck
