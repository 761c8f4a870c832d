// Test helpers for kernel packages built from the user's INT32 source (issue 15's package), edited per test.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"

namespace attncheck::testing {

// The compile cache of one test: fresh (mode 0700, as the cache requires), so a test sees its own compiles.
struct PackageCache {
  TempDir dir;
  std::string path;
  PackageCache() : path(dir.file("cache")) {
    std::filesystem::create_directories(path);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    setenv("ATTNCHECK_CACHE_DIR", path.c_str(), 1);
  }
};

inline std::string repo_fixture() { return source_dir() + "/fixtures/realistic_s11_64x64"; }

// The user's original source and header, copied into `dir`, with issue 15's kernel.json; `edit_json`
// and `edit_source` applied. Returns dir.
inline std::string write_user_package(const std::string& dir, const std::function<void(nlohmann::json&)>& edit_json = {},
                                      const std::function<void(std::string&)>& edit_source = {}) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const std::string user = shared_dir() + "/aie2/int32-2025-11-03";
  fs::copy_file(user + "/exp_lut_int8.h", dir + "/exp_lut_int8.h", fs::copy_options::overwrite_existing);
  std::string src = read_text(user + "/attention_int8_64x64_tiled.c");
  if (edit_source) edit_source(src);
  write_bytes(dir + "/attention_int8_64x64_tiled.c", src);
  nlohmann::json j = nlohmann::json::parse(R"({
    "name": "my-int32-lut",
    "sources": ["attention_int8_64x64_tiled.c"],
    "include_dirs": ["."],
    "entry": "attention_64x64",
    "tile": {"seq": 64, "dim": 64},
    "args": [
      {"input": ["q", "k", "v"]},
      {"output": "out"},
      {"param": "scale_shift", "type": "uint32", "default": 4, "min": 0, "max": 31}
    ],
    "model": "uc-int32-lut"
  })");
  if (edit_json) edit_json(j);
  write_bytes(dir + "/kernel.json", j.dump(2));
  return dir;
}

// `body` at the start of attention_64x64's work (Q, output and scale_shift in scope), `top` at the file's start.
inline void insert_in_kernel(std::string& src, const std::string& body, const std::string& top = "") {
  const std::string at = "    // Process first 32 rows of Q (rows 0-31)";
  const auto pos = src.find(at);
  REQUIRE(pos != std::string::npos);
  src.insert(pos, body + "\n");
  src.insert(0, top + "\n");
}

}  // namespace attncheck::testing
