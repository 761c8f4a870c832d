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
  std::string skipped;    // non-empty: the check was skipped, this is why
  double seconds = 0;     // its share of the run's wall time
};

// One case per gate of `report`; a report without gates gives one case "FIXTURE: run" (it ran).
// Names are stable across checkouts: FIXTURE is `fixture.id` (fixture.json's "id"), else the path
// as given when relative, else its last component. The class is attncheck.REVISION.BACKEND with
// the backend asked for (`auto` stays `auto` when it fell back). Skipped gates are <skipped/>;
// each case gets an equal share of the report's `duration_s`.
std::vector<JunitCase> junit_cases(const nlohmann::json& report);
// A case that could not run at all (suite): one errored test case.
JunitCase junit_error_case(const std::string& revision, const std::string& backend, const std::string& fixture,
                           const std::string& message);

// <testsuites><testsuite name=...> with counts, XML-escaped.
std::string junit_xml(const std::string& suite_name, const std::vector<JunitCase>& cases);

}  // namespace attncheck
