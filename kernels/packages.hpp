// Resolves `--kernel`: a built-in revision's name, or a kernel package on disk (DIR or DIR/kernel.json).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ref/registry.hpp"

namespace attncheck {

// A built-in name first; else a path to kernel.json or to a directory holding one, loaded once per
// process (the reference stays valid). InputError "PATH: PROBLEM" for a package that does not parse
// or whose files are missing, "--kernel X: unknown revision ..." for neither.
const Revision& resolve_kernel(const std::string& spec);

// The report's "kernel" object: revision, params and where the package came from.
nlohmann::json kernel_json(const Revision& rev, const Params& params);

// True when `spec` names a package on disk rather than a built-in.
bool is_package_path(const std::string& spec);

}  // namespace attncheck
