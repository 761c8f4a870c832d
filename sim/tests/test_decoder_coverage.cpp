// Decoder coverage of every compiled core program the project reads: the user's Peano ELFs in ../shared/aie2 and the Chess-compiled core images of AMD's xclbins in ../shared/npu1; no bundle may be left undecoded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fixtures/testing/test_support.hpp"
#include "sim/load/elf.hpp"
#include "sim/inspect.hpp"
#include "sim/load/pdi.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck::aie2;
namespace fs = std::filesystem;

namespace {

// Undecoded bundles of one program, with the first few named for the failure message.
size_t undecoded(const Elf& elf, std::string* first, size_t* total) {
  const Program p = decode_program(elf);
  *total = p.bundles.size();
  size_t n = 0;
  for (const auto& b : p.bundles)
    if (!b.ok() && n++ < 3) *first += " 0x" + std::to_string(b.address) + ": " + b.bytes_hex() + " (" + format_bundle(b) + ")";
  return n;
}

std::vector<std::string> files_under(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind(prefix, 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("decoder: every bundle of every core ELF of the user's builds decodes") {
  // 19 ELFs in 13 builds; matmul-bf16-vectorized had 5 undecoded vec-slot bundles before the vec slot was in the table.
  const auto elfs = files_under(attncheck::testing::shared_dir() + "/aie2", "main_core_", ".elf");
  CHECK(elfs.size() >= 19);
  for (const auto& f : elfs) {
    std::string first;
    size_t total = 0;
    const size_t bad = undecoded(read_elf(f), &first, &total);
    INFO(f << ": " << bad << " of " << total << " bundles undecoded:" << first);
    CHECK(total > 0);
    CHECK(bad == 0);
  }
}

TEST_CASE("decoder: every bundle of every core image of AMD's npu1 xclbins decodes") {
  // Riallto's four 720p designs and RyzenAI-SW's 16-core int8 GEMM: Chess-compiled core programs,
  // read from the PDI each xclbin carries (sim/load/pdi.hpp).
  auto xclbins = files_under(attncheck::testing::shared_dir() + "/npu1", "", ".xclbin");
  CHECK(xclbins.size() >= 5);
  size_t tiles = 0;
  for (const auto& f : xclbins) {
    const DeviceImage img = read_device_image(f);
    CHECK_FALSE(img.tiles.empty());
    for (const auto& [cr, tile] : img.tiles) {
      (void)tile;
      std::string first;
      size_t total = 0;
      const size_t bad = undecoded(core_program(img, cr.first, cr.second), &first, &total);
      INFO(f << " tile (" << cr.first << "," << cr.second << "): " << bad << " of " << total << " bundles undecoded:" << first);
      CHECK(total > 0);
      CHECK(bad == 0);
      ++tiles;
    }
  }
  CHECK(tiles >= 29);  // 4 + 1 + 4 + 4 Riallto cores, 16 GEMM cores
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
