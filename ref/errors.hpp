// The error kinds every component throws, each mapped to one CLI exit code.
#pragma once
#include <stdexcept>
#include <string>

namespace attncheck {

// Bad input or usage: the CLI prints the message as one line and exits 2.
// Messages name the file (or option) first, then the problem: "q.npy: dtype <f4, expected int8".
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// No device could be opened or the device failed: exit 3.
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A kernel package's code failed while attncheck ran it in its worker process (a fault, a signal, a
// hang past --kernel-timeout): exit 4, one line naming the package, the launch and the signal. Not an
// attncheck bug, but not bad input either: the user's kernel is broken (kernels/kernel_worker.hpp).
struct KernelFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `s` made safe for a terminal: control characters other than newline and tab (ESC, CR, BEL,
// DEL, and the C1 controls U+0080..U+009F in UTF-8) become visible "\\xHH" text, so a file name or
// a report value cannot move the cursor, retitle the window or hide the line it is printed in.
inline std::string terminal_text(const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || c1) {
      const auto b = c1 ? static_cast<unsigned char>(s[++i]) : c;
      o += "\\x";
      o += hex[b >> 4];
      o += hex[b & 15];
    } else {
      o += static_cast<char>(c);
    }
  }
  return o;
}

// Exit codes of the CLI, one place so tests and docs agree.
enum ExitCode : int { kExitOk = 0, kExitGateFailed = 1, kExitBadInput = 2, kExitNoDevice = 3, kExitKernelFault = 4 };

}  // namespace attncheck
