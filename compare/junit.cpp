// JUnit XML from reports: one test case per fixture, revision and gate.
#include "compare/junit.hpp"

#include <sstream>

namespace attncheck {
namespace {

std::string xml_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      case '\n': case '\t': case '\r': o += static_cast<char>(c); break;
      default:
        // Control characters are not allowed in XML 1.0 at all, escaped or not.
        if (c >= 0x20) o += static_cast<char>(c);
    }
  }
  return o;
}

std::string str_or(const nlohmann::json& j, const std::string& fallback) {
  return j.is_string() ? j.get<std::string>() : fallback;
}

std::string classname(const std::string& revision, const std::string& backend) {
  return "attncheck." + revision + "." + backend;
}

}  // namespace

std::vector<JunitCase> junit_cases(const nlohmann::json& report) {
  const std::string revision = str_or(report.at("kernel").at("revision"), "unknown");
  const std::string backend = str_or(report.at("backend").at("name"), "unknown");
  const std::string fixture = str_or(report.at("fixture").at("path"), "arrays");
  std::vector<JunitCase> out;
  for (const auto& g : report.at("gates")) {
    JunitCase c;
    c.classname = classname(revision, backend);
    c.name = fixture + ": " + g.at("name").get<std::string>();
    c.output = "value " + g.at("value").dump() + ", threshold " + g.at("threshold").dump() + " (" +
               g.value("metric", std::string("")) + ")";
    if (!g.at("pass").get<bool>()) c.failure = g.at("name").get<std::string>() + " failed: " + c.output;
    out.push_back(c);
  }
  if (out.empty()) out.push_back({classname(revision, backend), fixture + ": run", "", "", "no gates given"});
  return out;
}

JunitCase junit_error_case(const std::string& revision, const std::string& backend, const std::string& fixture,
                           const std::string& message) {
  return {classname(revision, backend), fixture + ": run", "", message, ""};
}

std::string junit_xml(const std::string& suite_name, const std::vector<JunitCase>& cases) {
  size_t failures = 0, errors = 0;
  for (const auto& c : cases) {
    failures += !c.failure.empty();
    errors += !c.error.empty();
  }
  std::ostringstream o;
  const std::string counts = " tests=\"" + std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"" + std::to_string(errors) + "\"";
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<testsuites name=\"" << xml_escape(suite_name) << "\"" << counts << ">\n";
  o << "  <testsuite name=\"" << xml_escape(suite_name) << "\"" << counts << " skipped=\"0\">\n";
  for (const auto& c : cases) {
    o << "    <testcase classname=\"" << xml_escape(c.classname) << "\" name=\"" << xml_escape(c.name)
      << "\" time=\"0\">\n";
    if (!c.failure.empty())
      o << "      <failure message=\"" << xml_escape(c.failure) << "\" type=\"gate\">" << xml_escape(c.failure)
        << "</failure>\n";
    if (!c.error.empty())
      o << "      <error message=\"" << xml_escape(c.error) << "\" type=\"error\">" << xml_escape(c.error)
        << "</error>\n";
    if (!c.output.empty()) o << "      <system-out>" << xml_escape(c.output) << "</system-out>\n";
    o << "    </testcase>\n";
  }
  o << "  </testsuite>\n</testsuites>\n";
  return o.str();
}

}  // namespace attncheck
