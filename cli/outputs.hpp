// `run --keep-outputs`: the device, golden and model arrays saved as .npy beside the report, and read back.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/run.hpp"
#include "compare/diff.hpp"
#include "compare/validation_report.hpp"
#include "fixtures/npy.hpp"
#include "ref/atomic_file.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// The files one command writes, as a whole: each write is staged (written to a temporary file
// beside its target) and commit() publishes them together (ref/atomic_file.hpp FileTransaction),
// so a command that fails or is interrupted before commit() leaves every previous file as it was,
// and one whose commit fails midway puts the previous set back.
class OutputSet {
 public:
  // Up front, before any work: InputError "OPTION PATH: ..." when the file's directory is missing
  // or not writable, or PATH is a directory. Empty paths (option not given), "-" (stdout) and
  // existing FIFOs or devices (written in place) are skipped; a symlink is checked at its target.
  static void check(const std::string& option, const std::string& path);
  void write(const std::string& path, const std::string& bytes) { tx_.stage(path, bytes); }
  void write_json(const std::string& path, const nlohmann::json& j);
  void write_npy(const std::string& path, const NpyArray& a);
  // Appended at commit(), after the replaced files (a job summary cannot be taken back).
  void append(const std::string& path, const std::string& bytes) { tx_.stage_append(path, bytes); }
  void commit() { tx_.commit(); }

 private:
  FileTransaction tx_;
};

// One file a command reads or writes, with the option that named it, for check_distinct_paths.
struct PathRole {
  std::string option;  // "--json", "--fixture fx (q.npy)"
  std::string path;
};

// Up front: InputError when an output is the same file as an input (after links, "." and "..":
// `run --json fx/q.npy`, `report r.json --md r.json`) or as another output (`--md X --html X`,
// a kept array named by --save-device-output). Empty paths, "-" and outputs written in place
// (FIFOs, devices) are not compared: two of them do not replace each other.
void check_distinct_paths(const std::vector<PathRole>& inputs, const std::vector<PathRole>& outputs);

// The names save_outputs gives the kept arrays of a report at `json_path` (model only when asked).
std::vector<std::string> kept_output_paths(const std::string& json_path, bool with_model);

// Writes STEM.device.npy (int8), STEM.golden.npy (float64, output LSB) and STEM.model.npy (int8,
// only when the backend is not the model) beside `json_path` (STEM: the path without ".json"),
// and returns the report's `outputs` object: file names relative to the report's directory and
// their SHA-256, so a reader can tell a kept array from one replaced since.
// The files are staged in `set` and published by its commit().
nlohmann::json save_outputs(const std::string& json_path, const RunOutcome& r, OutputSet& set);

using KeptOutputs = OutputArrays;

// The arrays named by report["outputs"], resolved against the directory of `report_path`;
// nullopt when the report kept none. InputError when a file is missing or its hash changed.
std::optional<KeptOutputs> load_outputs(const nlohmann::json& report, const std::string& report_path);

// `attncheck diff A.json B.json` on reports already read (`an`, `bn` name them in messages): two
// run reports (metric by metric; element by element when both kept outputs `ka`, `kb`) or two
// suite aggregates (case by case). The JSON is the attncheck.diff/1 document `diff --json` writes.
// Used by the CLI and by the Python module's diff().
DiffResult diff_two_reports(const nlohmann::json& ja, const std::string& an, const std::optional<KeptOutputs>& ka,
                            const nlohmann::json& jb, const std::string& bn, const std::optional<KeptOutputs>& kb,
                            const DiffTolerance& tol, bool allow_shape_change);

// A report file read back: InputError naming the file when it is missing, not JSON, or not an
// "attncheck.report/1" (`allow_suite`: an "attncheck.suite/1" aggregate is accepted too).
nlohmann::json read_report_file(const std::string& path, bool allow_suite = false);
// The same on the file's text, `path` naming it in errors: the entry point of the report fuzz target.
nlohmann::json parse_report_text(const std::string& text, const std::string& path, bool allow_suite = false);

// `report`'s reading of one input `j` read from `path`: one entry per run report or suite case,
// kept outputs loaded. nlohmann::json exceptions on a malformed report; the command names the file.
void add_report_entries(const nlohmann::json& j, const std::string& path, std::vector<ReportEntry>& out);

}  // namespace attncheck
