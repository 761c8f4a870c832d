// How the simulator's messages print addresses, words and register values: 0x and upper-case hex digits.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace attncheck::aie2 {

// An address or value of any width, as it is (no sign extension: pass unsigned).
inline std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llX", static_cast<unsigned long long>(v));
  return b;
}

// A 32-bit word as the core holds it: a negative int prints as its 32 bits, not as 64.
inline std::string hex32(uint32_t v) { return hex(v); }

}  // namespace attncheck::aie2
