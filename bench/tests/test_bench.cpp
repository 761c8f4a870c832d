// The torch peer is bit-exact with attncheck's precise-v1 model, and `attncheck bench` prints every field it promises.
#include <catch2/catch.hpp>

#include <fstream>

#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;

namespace {

std::string peer_script() { return source_dir() + "/bench/peer_torch.py"; }

}  // namespace

TEST_CASE("peer_torch.py's full-row int64 emulation of precise-v1 equals attncheck emulate bit for bit", "[bench][peer]") {
  REQUIRE(file_exists(python()));
  TempDir tmp;
  // Scales given (realistic, 1 and 2 heads, S across several key tiles) and absent (seed42: all 1).
  REQUIRE(run_cli({"fixture", "make", "--recipe", "realistic", "--seed", "5", "--heads", "3", "--shape", "333x64", "--out",
                   tmp.file("r5")}).exit_code == 0);
  for (const std::string& dir : {tmp.file("r5"), source_dir() + "/fixtures/realistic_s11_h2_s200", source_dir() + "/fixtures/seed42"}) {
    INFO(dir);
    const auto ours = run_cli({"emulate", "--kernel", "precise-v1", "--fixture", dir, "--out", tmp.file("ours.npy")});
    REQUIRE(ours.exit_code == 0);
    const auto peer = run_program({python(), peer_script(), "--fixture", dir, "--out", tmp.file("peer.npy")});
    INFO(peer.err);
    REQUIRE(peer.exit_code == 0);
    const NpyArray a = read_npy(tmp.file("ours.npy")), b = read_npy(tmp.file("peer.npy"));
    CHECK(a.dtype == b.dtype);
    CHECK(a.shape == b.shape);
    CHECK(a.bytes == b.bytes);
  }
}

TEST_CASE("peer_torch.py's emulation is not vacuous: a different fixture gives different bytes", "[bench][peer]") {
  TempDir tmp;
  REQUIRE(run_program({python(), peer_script(), "--fixture", source_dir() + "/fixtures/seed42", "--out", tmp.file("a.npy")})
              .exit_code == 0);
  REQUIRE(run_program({python(), peer_script(), "--fixture", source_dir() + "/fixtures/realistic_s11_64x64", "--out",
                       tmp.file("b.npy")}).exit_code == 0);
  CHECK(read_npy(tmp.file("a.npy")).bytes != read_npy(tmp.file("b.npy")).bytes);
}

TEST_CASE("attncheck bench runs both sides on a small fixture and reports times, ratio, rate, peak and memory", "[bench]") {
  TempDir tmp;
  REQUIRE(run_cli({"fixture", "make", "--recipe", "realistic", "--seed", "11", "--heads", "2", "--shape", "200x64", "--out",
                   tmp.file("f")}).exit_code == 0);
  const auto r = run_cli({"bench", "--fixture", tmp.file("f"), "--repeat", "1", "--out", tmp.file("b.json")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* field : {"attncheck   median", "peer_torch  median", "ratio", "GMAC/s", "int8 peak", "share",
                            "peak RSS", "% of the int8 peak"})
    CHECK(r.out.find(field) != std::string::npos);
  const auto j = nlohmann::json::parse(read_text(tmp.file("b.json")));
  CHECK(j["shape"] == nlohmann::json({2, 200, 64}));
  CHECK(j["work_gmac"].get<double>() == Approx(5.0 * 2 * 200 * 200 * 64 / 1e9));
  CHECK(j["attncheck"]["median_s"].get<double>() > 0);
  CHECK(j["peer"]["median_s"].get<double>() > 0);
  CHECK(j["attncheck"]["peak_rss_mib"].get<double>() > 0);
  CHECK(j["ratio"].get<double>() > 0);
  CHECK(j["machine"]["gmac_per_s"].get<double>() > 0);
  CHECK(j["share_of_int8_peak"].get<double>() > 0);
}

TEST_CASE("attncheck bench refuses a fixture precise-v1 cannot run", "[bench]") {
  TempDir tmp;
  REQUIRE(run_cli({"fixture", "make", "--recipe", "realistic", "--seed", "1", "--shape", "64x32", "--out", tmp.file("d32")})
              .exit_code == 0);
  const auto r = run_cli({"bench", "--fixture", tmp.file("d32"), "--repeat", "1"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("needs head dimension D=64") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
