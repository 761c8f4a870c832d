// The JSON report ("attncheck.report/1"): assembly, atomic writing, and the schema file's location.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace attncheck {

constexpr const char* kReportSchemaId = "attncheck.report/1";

// Writes `text` to a temporary file in the same directory and renames it over `path`, so a
// reader (or a crash) never sees a half-written file. InputError when the directory is missing.
void write_file_atomic(const std::string& path, const std::string& text);
void write_json_atomic(const std::string& path, const nlohmann::json& j);

}  // namespace attncheck
