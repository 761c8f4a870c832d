// JUnit XML from reports: one test case per fixture, revision and gate.
#include "compare/junit.hpp"

#include <cstdio>
#include <sstream>

#include "compare/report_types.hpp"

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

std::string stable_fixture_name(const nlohmann::json& fixture) {
  if (fixture.contains("id") && fixture["id"].is_string()) return fixture["id"].get<std::string>();
  std::string p = str_or(fixture.value("path", nlohmann::json()), "arrays");
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (!p.empty() && p[0] == '/') p = p.substr(p.rfind('/') + 1);
  return p;
}

}  // namespace

std::vector<JunitCase> junit_cases(const nlohmann::json& report) {
  const std::string revision = str_or(report.at("kernel").at("revision"), "unknown");
  const nlohmann::json& b = report.at("backend");
  const std::string backend = str_or(b.contains("requested") ? b["requested"] : b.at("name"), "unknown");
  const std::string fixture = stable_fixture_name(report.at("fixture"));
  std::vector<JunitCase> out;
  for (const GateResult& g : gates_from_json(report.at("gates"), "report")) {
    JunitCase c;
    c.classname = classname(revision, backend);
    c.name = fixture + ": " + g.name;
    c.output = "value " + g.value.dump() + ", threshold " + g.threshold.dump() + " (" + g.metric + ")";
    if (g.skipped)
      c.skipped = g.reason.empty() ? "skipped" : g.reason;
    else if (!g.pass)
      c.failure = g.name + " failed: " + c.output;
    out.push_back(c);
  }
  if (out.empty()) out.push_back({classname(revision, backend), fixture + ": run", "", "", "no gates given", "", 0});
  const double seconds = report.value("duration_s", 0.0);
  for (auto& c : out) c.seconds = seconds / static_cast<double>(out.size());
  return out;
}

JunitCase junit_error_case(const std::string& revision, const std::string& backend, const std::string& fixture,
                           const std::string& message) {
  return {classname(revision, backend), fixture + ": run", "", message, "", "", 0};
}

std::string junit_xml(const std::string& suite_name, const std::vector<JunitCase>& cases) {
  size_t failures = 0, errors = 0, skipped = 0;
  double total = 0;
  for (const auto& c : cases) {
    failures += !c.failure.empty();
    errors += !c.error.empty();
    skipped += !c.skipped.empty();
    total += c.seconds;
  }
  // Microseconds: a replay of a 64x64 fixture takes under half a millisecond on a fast host, which
  // milliseconds printed as 0.000 (a real duration written as none).
  auto secs = [](double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", s);
    return std::string(buf);
  };
  std::ostringstream o;
  const std::string counts = " tests=\"" + std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"" + std::to_string(errors) + "\"";
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<testsuites name=\"" << xml_escape(suite_name) << "\"" << counts << ">\n";
  o << "  <testsuite name=\"" << xml_escape(suite_name) << "\"" << counts << " skipped=\"" << skipped << "\" time=\""
    << secs(total) << "\">\n";
  for (const auto& c : cases) {
    o << "    <testcase classname=\"" << xml_escape(c.classname) << "\" name=\"" << xml_escape(c.name)
      << "\" time=\"" << secs(c.seconds) << "\">\n";
    if (!c.skipped.empty()) o << "      <skipped message=\"" << xml_escape(c.skipped) << "\"/>\n";
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
