// The JSON report: writing it so a reader or a crash never sees half a file.
#include "compare/report.hpp"

namespace attncheck {

void write_json_atomic(const std::string& path, const nlohmann::json& j) {
  // Replace, not throw, on invalid UTF-8 (a path in a legacy encoding): a report with one odd
  // character beats losing the run's result.
  write_file_atomic(path, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace attncheck
