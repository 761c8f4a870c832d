// Writing a file so that a reader, a crash or an interrupt never sees half of it.
#pragma once
#include <string>

namespace attncheck {

// Writes `bytes` to a temporary file in the same directory and renames it over `path`; on any
// failure (or an interrupt before the rename) the temporary file is removed and InputError
// "PATH: cannot write: reason" is thrown. Every output attncheck writes goes through here.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace attncheck
