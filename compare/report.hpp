// The JSON report ("attncheck.report/1"): its schema id and atomic writing.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ref/atomic_file.hpp"

namespace attncheck {

constexpr const char* kReportSchemaId = "attncheck.report/1";

// A report's file text: indented JSON and a newline; invalid UTF-8 replaced, not thrown.
std::string report_json_text(const nlohmann::json& j);
// The report as indented JSON, through write_file_atomic.
void write_json_atomic(const std::string& path, const nlohmann::json& j);

}  // namespace attncheck
