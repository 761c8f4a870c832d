// What the host says about the NPU without XRT: the accel device node and the amdxdna kernel module.
#pragma once
#include <string>
#include <sys/stat.h>

namespace attncheck {

// The amdxdna driver creates /dev/accel/accel<N> for the NPU; XRT's xdna shim opens it.
inline bool accel_node_present(unsigned index = 0) {
  struct stat st;
  return ::stat(("/dev/accel/accel" + std::to_string(index)).c_str(), &st) == 0;
}

// Loaded modules (and built-in ones with parameters) appear under /sys/module.
inline bool amdxdna_loaded() {
  struct stat st;
  return ::stat("/sys/module/amdxdna", &st) == 0;
}

}  // namespace attncheck
