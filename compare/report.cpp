// The JSON report: writing it so a reader or a crash never sees half a file.
#include "compare/report.hpp"

namespace attncheck {

std::string report_json_text(const nlohmann::json& j) {
  // Replace, not throw, on invalid UTF-8 (a path in a legacy encoding): a report with one odd
  // character beats losing the run's result.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_json_atomic(const std::string& path, const nlohmann::json& j) { write_file_atomic(path, report_json_text(j)); }

}  // namespace attncheck
