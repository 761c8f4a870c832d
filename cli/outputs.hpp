// `run --keep-outputs`: the device, golden and model arrays saved as .npy beside the report, and read back.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"
#include "compare/validation_report.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// The files one command writes, as a whole: each is written atomically (temp + rename), and when
// the command fails before commit() (bad input found late, a later write failing, SIGINT/SIGTERM)
// the ones already renamed into place are removed, so a failed command leaves no output behind.
class OutputSet {
 public:
  OutputSet() = default;
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;
  ~OutputSet();
  // Up front, before any work: InputError "OPTION PATH: ..." when the file's directory is missing
  // or not writable, or PATH is a directory. Empty paths (option not given), "-" (stdout) and
  // existing FIFOs or devices (written in place) are skipped; a symlink is checked at its target.
  static void check(const std::string& option, const std::string& path);
  // Only plain files are taken back on failure: stdout ("-"), a FIFO, a device or a symlink's
  // target were written in place or through, and removing them would remove what is not ours.
  void wrote(const std::string& path);
  void commit() { written_.clear(); }

 private:
  std::vector<std::string> written_;
};

// Writes STEM.device.npy (int8), STEM.golden.npy (float64, output LSB) and STEM.model.npy (int8,
// only when the backend is not the model) beside `json_path` (STEM: the path without ".json"),
// and returns the report's `outputs` object: file names relative to the report's directory and
// their SHA-256, so a reader can tell a kept array from one replaced since.
// Each file written is added to `set` when given.
nlohmann::json save_outputs(const std::string& json_path, const RunOutcome& r, OutputSet* set = nullptr);

using KeptOutputs = OutputArrays;

// The arrays named by report["outputs"], resolved against the directory of `report_path`;
// nullopt when the report kept none. InputError when a file is missing or its hash changed.
std::optional<KeptOutputs> load_outputs(const nlohmann::json& report, const std::string& report_path);

// A report file read back: InputError naming the file when it is missing, not JSON, or not an
// "attncheck.report/1" (`allow_suite`: an "attncheck.suite/1" aggregate is accepted too).
nlohmann::json read_report_file(const std::string& path, bool allow_suite = false);
// The same on the file's text, `path` naming it in errors: the entry point of the report fuzz target.
nlohmann::json parse_report_text(const std::string& text, const std::string& path, bool allow_suite = false);

// `report`'s reading of one input `j` read from `path`: one entry per run report or suite case,
// kept outputs loaded. nlohmann::json exceptions on a malformed report; the command names the file.
void add_report_entries(const nlohmann::json& j, const std::string& path, std::vector<ReportEntry>& out);

}  // namespace attncheck
