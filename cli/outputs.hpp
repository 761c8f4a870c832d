// `run --keep-outputs`: the device, golden and model arrays saved as .npy beside the report, and read back.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"
#include "compare/validation_report.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// Writes STEM.device.npy (int8), STEM.golden.npy (float64, output LSB) and STEM.model.npy (int8,
// only when the backend is not the model) beside `json_path` (STEM: the path without ".json"),
// and returns the report's `outputs` object: file names relative to the report's directory and
// their SHA-256, so a reader can tell a kept array from one replaced since.
nlohmann::json save_outputs(const std::string& json_path, const RunOutcome& r);

using KeptOutputs = OutputArrays;

// The arrays named by report["outputs"], resolved against the directory of `report_path`;
// nullopt when the report kept none. InputError when a file is missing or its hash changed.
std::optional<KeptOutputs> load_outputs(const nlohmann::json& report, const std::string& report_path);

// A report file read back: InputError naming the file when it is missing, not JSON, or not an
// "attncheck.report/1" (`allow_suite`: an "attncheck.suite/1" aggregate is accepted too).
nlohmann::json read_report_file(const std::string& path, bool allow_suite = false);

}  // namespace attncheck
