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

// Exit codes of the CLI, one place so tests and docs agree.
enum ExitCode : int { kExitOk = 0, kExitGateFailed = 1, kExitBadInput = 2, kExitNoDevice = 3 };

}  // namespace attncheck
