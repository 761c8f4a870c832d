// Writing a file so that a reader, a crash or an interrupt never sees half of it.
#pragma once
#include <string>
#include <vector>

namespace attncheck {

// Writes `bytes` to a temporary file in the same directory and renames it over `path`; on any
// failure (or an interrupt before the rename) the temporary file is removed and InputError
// "PATH: cannot write: reason" is thrown. Every output attncheck writes goes through here.
// What is not a plain file name is honoured, not replaced: "-" is stdout; a symlink is written
// through (its target replaced atomically, the link kept); a FIFO, character device or
// /dev/stdout is written in place.
void write_file_atomic(const std::string& path, const std::string& bytes);

// The rules above, for callers that check outputs before writing: whether `path` is written in
// place ("-", or an existing FIFO, device or /dev/stdout, after links), and the file a path that is
// a symlink chain names (InputError "PATH: cannot write: ..." on a loop or an unreadable link).
bool written_in_place(const std::string& path);
std::string resolve_write_target(const std::string& path);

// Several files replaced as a unit: stage() writes each to a temporary file beside its target at
// once (so a full disk or a missing directory fails before anything is replaced), commit() renames
// them all into place; a target's missing parent directories are created by stage() and removed
// again when the set is not committed. When a rename fails the files already replaced get their previous contents
// back (kept as hard links until the end), so a reader sees the old set or the new set, never a
// mix. An object destroyed before commit() (an error, an interrupt) removes its temporary files
// and leaves every target as it was. Targets written in place ("-", FIFOs, devices, appends)
// cannot be taken back: they are written last, after every rename succeeded.
class FileTransaction {
 public:
  FileTransaction() = default;
  FileTransaction(const FileTransaction&) = delete;
  FileTransaction& operator=(const FileTransaction&) = delete;
  ~FileTransaction();
  void stage(const std::string& path, const std::string& bytes);
  void stage_append(const std::string& path, const std::string& bytes);
  // InputError "PATH: cannot write: reason" naming the first target that failed.
  void commit();
  bool empty() const { return staged_.empty(); }

 private:
  struct Staged {
    std::string given, target, tmp, bytes;  // bytes kept only for what is written in place
    bool in_place = false, append = false;
  };
  std::vector<Staged> staged_;
  // Directories stage() created for a target (`--json r/v2.json` without r/), innermost last:
  // removed again, if still empty, unless commit() published the set.
  std::vector<std::string> created_dirs_;
  bool committed_ = false;
};

// Appends `bytes` to `path` (created if absent): for job-summary files such as
// $GITHUB_STEP_SUMMARY, which earlier steps have written to. "-" is stdout.
void append_file(const std::string& path, const std::string& bytes);

}  // namespace attncheck
