// The mlir-aie designs and Peano Makefiles against the host entry points: symbols, object files, flags, params.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <regex>

#include "fixtures/testing/test_support.hpp"
#include "kernels/host_kernels.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using attncheck::testing::read_text;
using attncheck::testing::source_dir;

namespace {

// Python comments may name anything; only code is checked.
std::string strip_comments(const std::string& py) { return std::regex_replace(py, std::regex(R"(#[^\n]*)"), ""); }

}  // namespace

TEST_CASE("kernel designs: design.py, Makefile and device source agree with the host entry point") {
  for (const auto& rev : revisions()) {
    INFO("revision " << rev.name);
    const KernelFacts* f = find_kernel_facts(rev.name);
    const HostKernel* hk = find_host_kernel(rev.name);
    if (!f || !hk) {
      FAIL_CHECK(rev.name << " has no device source and host entry point in kernels/");
      continue;
    }
    const std::string dir = source_dir() + "/kernels/" + rev.name;
    INFO("design " << f->design_file);
    const std::string code = strip_comments(read_text(source_dir() + "/" + f->design_file));

    // Kernel("symbol", "object.o", [...]): every external function the core calls is an entry point
    // the stack check measured and the host backend calls; its object comes from the Makefile.
    static const std::regex kernel_re(R"re(Kernel\(\s*"(\w+)"\s*,\s*"([\w.]+)")re");
    std::vector<std::string> objects, symbols;
    for (auto it = std::sregex_iterator(code.begin(), code.end(), kernel_re); it != std::sregex_iterator(); ++it) {
      const std::string symbol = (*it)[1].str();
      INFO("Kernel " << symbol);
      CHECK(std::find(f->entries.begin(), f->entries.end(), symbol) != f->entries.end());
      CHECK(std::find(hk->entries.begin(), hk->entries.end(), symbol) != hk->entries.end());
      symbols.push_back(symbol);
      objects.push_back((*it)[2].str());
    }
    CHECK_FALSE(objects.empty());
    for (const auto& e : hk->entries) CHECK(std::find(symbols.begin(), symbols.end(), e) != symbols.end());

    // A constant the historical designs pass must be the registry's default for that param.
    std::smatch shift;
    if (std::regex_search(code, shift, std::regex(R"(\bSCALE_SHIFT\s*=\s*(\d+))"))) {
      bool found = false;
      for (const auto& p : rev.params) {
        if (p.name != "scale_shift") continue;
        found = true;
        CHECK(std::stoll(shift[1].str()) == p.default_value);
      }
      CHECK(found);
    }

    // The Makefile builds exactly that object from the device source with Peano, and the xclbin with aiecc.
    const std::string mk = read_text(dir + "/Makefile");
    INFO("Makefile " << dir << "/Makefile");
    for (const auto& object : objects)
      CHECK(std::regex_search(mk, std::regex("(^|\\n)(build/)?" + std::regex_replace(object, std::regex("\\."), "\\.") + ":")));
    for (const auto& src : f->sources) {
      const std::string base = src.substr(src.rfind('/') + 1);
      CHECK(mk.find(base) != std::string::npos);
    }
    CHECK(mk.find("$(PEANO_INSTALL_DIR)/bin/clang") != std::string::npos);
    CHECK(mk.find("--target=aie2-none-unknown-elf") != std::string::npos);
    for (const char* flag : {"--aie-generate-xclbin", "--aie-generate-npu-insts", "--no-xchesscc", "--no-xbridge",
                             "--xclbin-name=final.xclbin", "--npu-insts-name=insts.bin"})
      CHECK(mk.find(flag) != std::string::npos);

    // The device source defines every entry point the design calls, with external linkage.
    std::string c;
    for (const auto& src : f->sources) c += read_text(source_dir() + "/" + src);
    for (const auto& symbol : symbols) CHECK(std::regex_search(c, std::regex("\\nvoid\\s+" + symbol + "\\s*\\(")));
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
