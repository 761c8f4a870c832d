// The CLI end to end: fixture make equals numpy, run writes a valid report, bad input exits 2 with one line.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

// Exit 2, exactly one line on stderr that mentions `needle`, and no report left behind.
void require_bad_input(const std::vector<std::string>& args, const std::string& needle, const std::string& report) {
  const CliResult r = run_cli(args);
  INFO("stderr: " << r.err);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 2);
  REQUIRE(r.err_lines().size() == 1);
  CHECK(r.err.find(needle) != std::string::npos);
  if (!report.empty()) CHECK_FALSE(file_exists(report));
}

void copy_fixture(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const char* f : {"q.npy", "k.npy", "v.npy"}) fs::copy_file(from + "/" + f, to + "/" + f);
}

}  // namespace

TEST_CASE("fixture make reproduces the shared numpy vectors byte for byte", "[cli][fixture]") {
  TempDir tmp;
  SECTION("seed 42, 64x64, [-64, 64)") {
    const auto r = run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "42", "--low", "-64", "--high",
                            "64", "--shape", "64x64", "--out", tmp.file("f")});
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"q.npy", "k.npy", "v.npy"})
      CHECK(read_text(tmp.file("f/") + f) == read_text(shared_dir() + "/vectors/seed42/" + f));
  }
  SECTION("seed 7, 2 heads of 200x64, [-128, 128)") {
    const auto r = run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "7", "--low", "-128", "--high",
                            "128", "--heads", "2", "--shape", "200x64", "--out", tmp.file("f")});
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"q.npy", "k.npy", "v.npy"})
      CHECK(read_text(tmp.file("f/") + f) == read_text(shared_dir() + "/vectors/seed7_h2_s200/" + f));
  }
  SECTION("the shipped fixtures/seed42 is what the command makes") {
    for (const char* f : {"q.npy", "k.npy", "v.npy"})
      CHECK(read_text(source_dir() + "/fixtures/seed42/" + f) == read_text(shared_dir() + "/vectors/seed42/" + f));
    const auto meta = nlohmann::json::parse(read_text(source_dir() + "/fixtures/seed42/fixture.json"));
    CHECK(meta.at("seed") == 42);
    CHECK(meta.at("recipe") == "numpy-randint");
  }
}

TEST_CASE("run writes a report with fixture provenance, params and the backend's name", "[cli][run]") {
  TempDir tmp;
  const auto r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", source_dir() + "/fixtures/seed42", "--json",
                          tmp.file("r.json")});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("backend   model") != std::string::npos);
  const auto rep = nlohmann::json::parse(read_text(tmp.file("r.json")));
  CHECK(rep.at("schema") == "attncheck.report/1");
  CHECK(rep.at("seed") == 42);
  CHECK(rep.at("fixture").at("shape") == nlohmann::json::array({1, 64, 64}));
  CHECK(rep.at("fixture").at("sha256").at("q.npy").get<std::string>().size() == 64);
  CHECK(rep.at("kernel").at("params").at("scale_shift") == 4);
  CHECK(rep.at("backend").at("name") == "model");
  CHECK_FALSE(rep.at("metrics").contains("vs_model"));  // the model is the output: nothing to diff
  CHECK(rep.at("metrics").at("vs_golden").at("count") == 4096);
  // --param reaches the model: a different shift changes the output.
  const auto r2 = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", source_dir() + "/fixtures/seed42",
                           "--param", "scale_shift=3", "--json", tmp.file("r2.json")});
  REQUIRE(r2.exit_code == 0);
  const auto rep2 = nlohmann::json::parse(read_text(tmp.file("r2.json")));
  CHECK(rep2.at("kernel").at("params").at("scale_shift") == 3);
  CHECK(rep2.at("metrics").at("vs_golden").at("mae") != rep.at("metrics").at("vs_golden").at("mae"));
}

TEST_CASE("compare on arrays from any tool, with a model: bit-exact and not", "[cli][compare]") {
  TempDir tmp;
  const std::string fx = source_dir() + "/fixtures/seed42";
  REQUIRE(run_cli({"golden", "--fixture", fx, "--out", tmp.file("g.npy")}).exit_code == 0);
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", fx, "--out", tmp.file("m.npy")}).exit_code == 0);
  auto r = run_cli({"compare", "--golden", tmp.file("g.npy"), "--dut", tmp.file("m.npy"), "--model", tmp.file("m.npy"),
                    "--json", tmp.file("c.json")});
  REQUIRE(r.exit_code == 0);
  auto rep = nlohmann::json::parse(read_text(tmp.file("c.json")));
  CHECK(rep.at("metrics").at("vs_model").at("bit_exact") == true);
  // Alter one element of a copy: exactly one mismatch in row [0, 3].
  NpyArray dut = read_npy(tmp.file("m.npy"));
  dut.bytes[3 * 64 + 5] = static_cast<uint8_t>(dut.bytes[3 * 64 + 5] + 1);
  write_npy(tmp.file("d.npy"), dut);
  r = run_cli({"compare", "--golden", tmp.file("g.npy"), "--dut", tmp.file("d.npy"), "--model", tmp.file("m.npy"),
               "--json", tmp.file("c2.json")});
  REQUIRE(r.exit_code == 0);
  rep = nlohmann::json::parse(read_text(tmp.file("c2.json")));
  CHECK(rep.at("metrics").at("vs_model").at("bit_exact") == false);
  CHECK(rep.at("metrics").at("vs_model").at("mismatches") == 1);
  CHECK(rep.at("metrics").at("vs_model").at("mismatch_rows") == nlohmann::json::parse("[[0, 3]]"));
  CHECK(r.out.find("NOT bit-exact: 1 of 4096") != std::string::npos);
}

TEST_CASE("bad input: exit 2, one line naming the problem, no report", "[cli][bad-input]") {
  TempDir tmp;
  const std::string fx = source_dir() + "/fixtures/seed42";
  const std::string report = tmp.file("r.json");
  SECTION("a float array in a fixture") {
    copy_fixture(fx, tmp.file("f"));
    NpyArray a;
    a.dtype = DType::Float32;
    a.shape = {64, 64};
    a.bytes.assign(64 * 64 * 4, 0);
    write_npy(tmp.file("f/k.npy"), a);
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("f"), "--json", report},
                      "k.npy: dtype <f4, expected int8", report);
  }
  SECTION("a wrong-shape array in a fixture") {
    copy_fixture(fx, tmp.file("f"));
    NpyArray a;
    a.dtype = DType::Int8;
    a.shape = {64, 32};
    a.bytes.assign(64 * 32, 1);
    write_npy(tmp.file("f/v.npy"), a);
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("f"), "--json", report}, "v.npy",
                      report);
  }
  SECTION("a shape the revision is not defined for") {
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", shared_dir() + "/vectors/seed7_h2_s200",
                       "--json", report},
                      "defined for 64x64 tiles", report);
  }
  SECTION("a truncated .npy") {
    copy_fixture(fx, tmp.file("f"));
    const std::string q = read_text(tmp.file("f/q.npy"));
    write_bytes(tmp.file("f/q.npy"), q.substr(0, q.size() - 100));
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("f"), "--json", report}, "q.npy",
                      report);
  }
  SECTION("a garbage .npy") {
    copy_fixture(fx, tmp.file("f"));
    write_bytes(tmp.file("f/q.npy"), "this is not numpy at all");
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("f"), "--json", report}, "q.npy",
                      report);
  }
  SECTION("a missing file in a fixture") {
    copy_fixture(fx, tmp.file("f"));
    fs::remove(tmp.file("f/v.npy"));
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("f"), "--json", report}, "v.npy",
                      report);
  }
  SECTION("a missing fixture directory") {
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", tmp.file("nope"), "--json", report},
                      tmp.file("nope"), report);
  }
  SECTION("an unknown revision") {
    require_bad_input({"run", "--kernel", "uc-int64-magic", "--fixture", fx, "--json", report}, "unknown revision",
                      report);
  }
  SECTION("an unknown backend") {
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--backend", "gpu", "--json", report},
                      "unknown backend", report);
  }
  SECTION("a parameter out of range") {
    require_bad_input({"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--param", "scale_shift=40", "--json",
                       report},
                      "scale_shift=40", report);
  }
  SECTION("NaN in a golden array") {
    NpyArray g;
    g.dtype = DType::Float32;
    g.shape = {2, 3};
    const float vals[6] = {1, 2, 3, std::nanf(""), 5, 6};
    g.bytes.resize(sizeof vals);
    std::memcpy(g.bytes.data(), vals, sizeof vals);
    write_npy(tmp.file("g.npy"), g);
    g.dtype = DType::Float32;
    const float ok[6] = {1, 2, 3, 4, 5, 6};
    std::memcpy(g.bytes.data(), ok, sizeof ok);
    write_npy(tmp.file("d.npy"), g);
    require_bad_input({"compare", "--golden", tmp.file("g.npy"), "--dut", tmp.file("d.npy"), "--json", report},
                      "g.npy: NaN at [1, 0]", report);
  }
  SECTION("a usage error") {
    require_bad_input({"run", "--fixture", fx}, "--kernel", "");
    require_bad_input({"frobnicate"}, "frobnicate", "");
  }
}

TEST_CASE("--help everywhere, --version, kernels lists the registry", "[cli]") {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--help"}, {"run", "--help"}, {"golden", "--help"}, {"emulate", "--help"},
        {"compare", "--help"}, {"fixture", "--help"}, {"fixture", "make", "--help"}, {"kernels", "--help"}}) {
    const auto r = run_cli(args);
    INFO(args[0]);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage") != std::string::npos);
  }
  const auto v = run_cli({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("attncheck ", 0) == 0);
  const auto k = run_cli({"kernels"});
  CHECK(k.exit_code == 0);
  for (const char* rev : {"uc-legacy-int8", "uc-int32-lut", "precise-v1"}) CHECK(k.out.find(rev) != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
