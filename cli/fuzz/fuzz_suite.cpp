// libFuzzer target: any bytes as a suite file of `attncheck suite`.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli/suite_file.hpp"
#include "ref/errors.hpp"

using namespace attncheck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const SuiteFile s = parse_suite_text(std::string(reinterpret_cast<const char*>(data), size), "suites/fuzz.json");
    // An accepted suite has a matrix to run: an empty axis would make a vacuous PASS.
    if (s.fixtures.empty() || s.revisions.empty() || s.backends.empty()) std::abort();
    // suite_cmd reads the name this way when it writes the aggregate.
    (void)s.raw.value("name", std::string());
  } catch (const InputError&) {
  }
  return 0;
}
