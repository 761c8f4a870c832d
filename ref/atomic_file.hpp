// Writing a file so that a reader, a crash or an interrupt never sees half of it.
#pragma once
#include <string>

namespace attncheck {

// Writes `bytes` to a temporary file in the same directory and renames it over `path`; on any
// failure (or an interrupt before the rename) the temporary file is removed and InputError
// "PATH: cannot write: reason" is thrown. Every output attncheck writes goes through here.
// What is not a plain file name is honoured, not replaced: "-" is stdout; a symlink is written
// through (its target replaced atomically, the link kept); a FIFO, character device or
// /dev/stdout is written in place.
void write_file_atomic(const std::string& path, const std::string& bytes);

// Appends `bytes` to `path` (created if absent): for job-summary files such as
// $GITHUB_STEP_SUMMARY, which earlier steps have written to. "-" is stdout.
void append_file(const std::string& path, const std::string& bytes);

}  // namespace attncheck
