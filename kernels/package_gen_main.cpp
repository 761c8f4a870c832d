// Build-time generator: writes a built-in package's entry declarations (the header its sources are compiled with).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "ref/errors.hpp"
#include "ref/kernel_package.hpp"

int main(int argc, char** argv) {
  std::string package, out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--package") package = argv[i + 1];
    else if (a == "--declarations") out = argv[i + 1];
  }
  if (package.empty() || out.empty()) {
    std::cerr << "usage: attncheck_package_gen --package DIR/kernel.json --declarations OUT.h\n";
    return 2;
  }
  try {
    std::ifstream in(package);
    std::stringstream text;
    text << in.rdbuf();
    const auto pkg = attncheck::parse_kernel_package(nlohmann::json::parse(text.str()),
                                                     std::filesystem::path(package).parent_path().string(), package);
    std::ofstream o(out);
    o << attncheck::entry_declarations(pkg);
    return o.good() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
