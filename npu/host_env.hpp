// What the host says about the NPU without XRT: the accel device node and the amdxdna kernel module.
#pragma once
#include <fstream>
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

// The NPU firmware's version as amdxdna publishes it: /sys/bus/pci/devices/<bdf>/fw_version, four
// dot-separated numbers ("1.5.2.380"). "" when the file is absent or holds anything else. XRT
// reads the same value by ioctl, but no XRT release exposes it through xrt::info.
inline std::string read_fw_version(const std::string& bdf, const std::string& sys_root = "/sys") {
  if (bdf.empty() || bdf.find('/') != std::string::npos) return "";
  std::ifstream f(sys_root + "/bus/pci/devices/" + bdf + "/fw_version");
  std::string v;
  if (!f || !std::getline(f, v)) return "";
  int dots = 0;
  bool digit = false;
  for (char c : v) {
    if (c == '.') {
      if (!digit) return "";
      ++dots;
      digit = false;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return "";
    }
  }
  return dots == 3 && digit ? v : "";
}

}  // namespace attncheck
