// The backends of `attncheck run`: what produces the device-under-test output, named in every report.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/fixture.hpp"
#include "ref/registry.hpp"

namespace attncheck {

struct BackendOptions {
  std::string device_output;  // replay: a captured output .npy
};

struct BackendResult {
  Int8Tensor output;
  nlohmann::json info;  // the report's `backend` object: name, description, and backend facts
  bool is_model = false;  // the output is the integer model itself: no vs_model section
};

struct BackendInfo {
  std::string name;
  std::string description;
  bool built;
};
// Every backend the CLI knows, built into this binary or not, for help and errors.
std::vector<BackendInfo> backend_list();

// Runs `name` on the fixture. InputError for an unknown backend or bad options; DeviceError
// when a device backend cannot run. Never falls back to another backend.
BackendResult run_backend(const std::string& name, const Revision& rev, const Params& params, const Fixture& fx,
                          const BackendOptions& opt);

}  // namespace attncheck
