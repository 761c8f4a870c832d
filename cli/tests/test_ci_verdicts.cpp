// Issue 14's findings as CLI tests: verdicts a broken kernel cannot pass by default, options that must apply, diff on identical outputs, output paths, fixture.json strictness, honest rounding, JUnit.
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compare/gates.hpp"
#include "compare/report_types.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

const std::string kSeed42 = source_dir() + "/fixtures/seed42";

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(read_text(p)); }

// An int8 (64, 64) output for seed42: the model's, or one value everywhere.
std::string model_output(TempDir& t) {
  const std::string p = t.file("model.npy");
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--out", p}).exit_code == 0);
  return p;
}

std::string constant_output(TempDir& t, const std::string& name, uint8_t value) {
  NpyArray a;
  a.dtype = DType::Int8;
  a.shape = {64, 64};
  a.bytes.assign(4096, value);
  write_npy(t.file(name), a);
  return t.file(name);
}

CliResult replay(const std::string& device_output, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--backend", "replay",
                                   "--device-output", device_output};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

}  // namespace

TEST_CASE("issue 14.1: a zero, a never-written or a mismatching output fails without any gates file", "[cli][verdict]") {
  TempDir t;
  // All zeros: the seeds' "working" kernel. Constant and not the model: FAIL, exit 1.
  CliResult r = replay(constant_output(t, "zeros.npy", 0), {"--json", t.file("z.json")});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("FAIL  output_not_constant") != std::string::npos);
  CHECK(r.out.find("FAIL  bit_exact_with_model") != std::string::npos);
  CHECK(r.out.find("verdict   FAIL") != std::string::npos);
  CHECK(r.out.find("PASS (no gates given)") == std::string::npos);
  const auto z = read_json(t.file("z.json"));
  CHECK(z["pass"] == false);
  // All 0x5A: the npu runner's sentinel, never written: every row counted.
  r = replay(constant_output(t, "sentinel.npy", 0x5A), {"--json", t.file("s.json")});
  CHECK(r.exit_code == 1);
  const auto s = read_json(t.file("s.json"));
  bool saw = false;
  for (const auto& g : s["gates"])
    if (g["name"] == "no_unwritten_rows") {
      saw = true;
      CHECK(g["value"] == 64);
      CHECK(g["pass"] == false);
    }
  CHECK(saw);
  // --allow-mismatch relaxes bit-exactness only: a constant output still fails.
  r = replay(t.file("zeros.npy"), {"--allow-mismatch"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("PASS  bit_exact_with_model") != std::string::npos);
  CHECK(r.out.find("FAIL  output_not_constant") != std::string::npos);
  // Some rows never written among real ones fails even when mismatches are allowed.
  NpyArray a = read_npy(model_output(t));
  for (size_t i = 10 * 64; i < 13 * 64; ++i) a.bytes[i] = 0x5A;
  write_npy(t.file("partial.npy"), a);
  r = replay(t.file("partial.npy"), {"--allow-mismatch", "--json", t.file("p.json")});
  CHECK(r.exit_code == 1);
  const nlohmann::json partial = read_json(t.file("p.json"));  // named: a range-for over a temporary's member dangles
  for (const auto& g : partial["gates"])
    if (g["name"] == "no_unwritten_rows") CHECK(g["value"] == 3);
  // The model's own output passes every default check, with nothing relaxed.
  r = replay(t.file("model.npy"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("PASS  bit_exact_with_model") != std::string::npos);
  // A gates file that sets require_bit_exact: false decides for itself.
  write_bytes(t.file("g.json"), R"({"require_bit_exact": false})");
  r = replay(t.file("partial.npy"), {"--gates", t.file("g.json")});
  CHECK(r.out.find("bit_exact_with_model") == std::string::npos);
  CHECK(r.exit_code == 1);  // the never-written rows still fail
}

TEST_CASE("issue 14.2: an option the chosen backend does not read is exit 2, naming it", "[cli][verdict]") {
  TempDir t;
  for (const auto& [args, words] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--device-output", t.file("missing.npy")}, "--device-output: applies to --backend replay only, not --backend model"},
           {{"--xclbin", t.file("x.xclbin")}, "--xclbin: applies to --backend npu or auto or sim only"},
           {{"--elf", t.file("x.elf")}, "--elf: applies to --backend sim only"},
           {{"--sim-chain"}, "--sim-chain: applies to --backend sim only"},
           {{"--timeout-ms", "5"}, "--timeout-ms: applies to --backend npu or auto only"},
           {{"--allow-fallback"}, "--allow-fallback: applies to --backend auto only"},
       }) {
    std::vector<std::string> a = {"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42};
    a.insert(a.end(), args.begin(), args.end());
    const CliResult r = run_cli(a);
    CAPTURE(args);
    CHECK(r.exit_code == 2);
    REQUIRE(r.err_lines().size() == 1);
    CHECK(r.err_lines()[0].find(words) != std::string::npos);
  }
}

TEST_CASE("issue 14.4: diff of identical kernel outputs is no change, whatever the golden side did", "[cli][diff]") {
  TempDir t;
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", t.file("a.json")}).exit_code == 0);
  // B: the same output, with the golden-side metrics nudged as another CPU's FP32 rounding would.
  nlohmann::json b = read_json(t.file("a.json"));
  b["metrics"]["vs_golden"]["mae"] = b["metrics"]["vs_golden"]["mae"].get<double>() + 0.01;
  b["metrics"]["vs_golden"]["rmse"] = b["metrics"]["vs_golden"]["rmse"].get<double>() + 0.01;
  write_bytes(t.file("b.json"), b.dump());
  CliResult r = run_cli({"diff", t.file("a.json"), t.file("b.json")});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("NO CHANGE: the kernel outputs are identical") != std::string::npos);
  // Another output is judged on its metrics as before.
  b["output_sha256"] = std::string(64, 'a');
  write_bytes(t.file("c.json"), b.dump());
  r = run_cli({"diff", t.file("a.json"), t.file("c.json")});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("REGRESSED: mae, rmse") != std::string::npos);
}

TEST_CASE("issue 14.5: -, symlinks, FIFOs, /dev/stdout and --append are honoured, not replaced", "[cli][outputs]") {
  TempDir t;
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", t.file("r.json")}).exit_code == 0);
  // "-" is stdout; no file named "-" appears.
  CliResult r = run_cli({"report", t.file("r.json"), "--md", "-"}, t.path());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("| metric |") != std::string::npos);
  CHECK_FALSE(fs::exists(t.file("-")));
  // /dev/stdout stays what it is (as root, it used to become a regular file).
  struct stat before {};
  REQUIRE(::lstat("/dev/stdout", &before) == 0);
  r = run_cli({"report", t.file("r.json"), "--md", "/dev/stdout"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("| metric |") != std::string::npos);
  struct stat after {};
  REQUIRE(::lstat("/dev/stdout", &after) == 0);
  CHECK(S_ISLNK(after.st_mode) == S_ISLNK(before.st_mode));
  CHECK_FALSE(S_ISREG(after.st_mode));
  // A symlink is written through: the link stays, its target gets the report.
  write_bytes(t.file("target.md"), "old\n");
  fs::create_symlink("target.md", t.file("link.md"));
  REQUIRE(run_cli({"report", t.file("r.json"), "--md", t.file("link.md")}).exit_code == 0);
  CHECK(fs::is_symlink(t.file("link.md")));
  CHECK(read_text(t.file("target.md")).find("| metric |") != std::string::npos);
  // A FIFO is written in place.
  REQUIRE(::mkfifo(t.file("pipe").c_str(), 0600) == 0);
  std::string got;
  std::thread reader([&] {
    std::ifstream in(t.file("pipe"));
    got.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  });
  r = run_cli({"report", t.file("r.json"), "--md", t.file("pipe")});
  reader.join();
  CHECK(r.exit_code == 0);
  CHECK(got.find("| metric |") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(t.file("pipe").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  // --append keeps what earlier steps wrote to a job summary.
  write_bytes(t.file("summary.md"), "earlier step\n");
  REQUIRE(run_cli({"report", t.file("r.json"), "--append", "--md", t.file("summary.md")}).exit_code == 0);
  const std::string sum = read_text(t.file("summary.md"));
  CHECK(sum.rfind("earlier step\n", 0) == 0);
  CHECK(sum.find("| metric |") != std::string::npos);
}

TEST_CASE("issue 14.6: fixture.json with 'scale' or partial scales is exit 2 naming the key, and the header shows the scales", "[cli][fixture]") {
  TempDir t;
  fs::create_directories(t.file("f"));
  for (const char* n : {"q.npy", "k.npy", "v.npy"}) fs::copy_file(kSeed42 + "/" + n, t.file("f/") + n);
  auto run = [&] { return run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", t.file("f")}); };
  write_bytes(t.file("f/fixture.json"), R"({"scale": {"q": 0.5, "k": 0.5, "v": 0.5, "out": 0.5}})");
  CliResult r = run();
  CHECK(r.exit_code == 2);
  REQUIRE(r.err_lines().size() == 1);
  CHECK(r.err.find("fixture.json: unknown key 'scale'") != std::string::npos);
  write_bytes(t.file("f/fixture.json"), R"({"scales": {"q": 0.5}})");
  r = run();
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("fixture.json: scales lacks k, v, out") != std::string::npos);
  write_bytes(t.file("f/fixture.json"), R"({"scales": {"q": 0.5, "k": 0.25, "v": 0.125, "out": 2}})");
  r = run();
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("scales    q 0.500000  k 0.250000  v 0.125000  out 2.000000 (fixture.json)") != std::string::npos);
}

TEST_CASE("issue 14.7: a share just under a gate's threshold never displays as meeting it", "[cli][verdict]") {
  TempDir t;
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", t.file("r.json")}).exit_code == 0);
  // 4095 of 4096 within 1 LSB: 0.999756. Shown as 99.9%, and against a gate of 1 with the digits to see it fail.
  nlohmann::json j = read_json(t.file("r.json"));
  j["metrics"]["vs_golden"]["within"]["1"] = 4095.0 / 4096.0;
  j["gates"] = {{{"name", "min_within.1"}, {"metric", "vs_golden.within.1"}, {"threshold", 1.0},
                 {"value", 4095.0 / 4096.0}, {"pass", false}}};
  j["pass"] = false;
  write_bytes(t.file("near.json"), j.dump());
  const CliResult r = run_cli({"report", t.file("near.json"), "--md", t.file("near.md")});
  REQUIRE(r.exit_code == 0);
  const std::string md = read_text(t.file("near.md"));
  CHECK(md.find("| within 1 LSB | 0.9997 | >= 1.0000 | FAIL |") != std::string::npos);
  CHECK(md.find("| 0.9998 |") == std::string::npos);  // rounded up, as before
  CHECK(md.find("| 62.0 | 0.9997 |") != std::string::npos);  // the summary table floors too
  // And the run's own table floors: the model's within-64 share is 100% only when it is exactly 1.
  const CliResult run = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42});
  const bool exact_one = read_json(t.file("r.json"))["metrics"]["vs_golden"]["within"]["64"] == 1.0;
  CHECK((run.out.find("100.0%") == std::string::npos || exact_one));
}

TEST_CASE("issue 14.8: JUnit has real durations, skipped cases and names free of absolute paths", "[cli][junit]") {
  TempDir t;
  const std::string abs_fixture = fs::absolute(kSeed42).string();
  REQUIRE(replay(model_output(t), {"--junit", t.file("r.xml")}).exit_code == 0);
  const std::string xml = read_text(t.file("r.xml"));
  CHECK(xml.find(abs_fixture) == std::string::npos);
  CHECK(xml.find("name=\"seed42: bit_exact_with_model\"") != std::string::npos);
  CHECK(xml.find("time=\"0\"") == std::string::npos);
  const size_t at = xml.find("<testsuite name=");
  REQUIRE(at != std::string::npos);
  const size_t time_at = xml.find("time=\"", at);
  REQUIRE(time_at != std::string::npos);
  CHECK(std::stod(xml.substr(time_at + 6)) > 0.0);
}

TEST_CASE("issue 14.10: a suite runs replay, sim and per-case parameters from files named per case, relative to it", "[cli][suite]") {
  TempDir t;
  fs::create_directories(t.file("s/out"));
  fs::copy(kSeed42, t.file("s/seed42"), fs::copy_options::recursive);
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--out", t.file("s/dev.npy")}).exit_code == 0);
  const std::string elf = shared_dir() + "/aie2/int32-2025-11-03/main_core_0_2.elf";
  const nlohmann::json suite = {
      {"fixtures", {"seed42"}},
      {"revisions", {"uc-int32-lut"}},
      {"backends", {"model", "replay", "sim"}},
      {"cases",
       {{{"backend", "replay"}, {"device_output", "dev.npy"}},
        {{"backend", "sim"}, {"elf", elf}, {"allow_mismatch", true}},  // its own stack corrupts Q: a known mismatch
        {{"backend", "model"}, {"params", {"scale_shift=3"}}}}},
  };
  write_bytes(t.file("s/suite.json"), suite.dump());
  const CliResult r = run_cli({"suite", t.file("s/suite.json"), "--json", t.file("s/out/agg.json")});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  // Progress, one line per case, on stdout when it is not a terminal (a CI log).
  CHECK(r.out.find("[3/3]") != std::string::npos);
  const auto agg = read_json(t.file("s/out/agg.json"));
  std::map<std::string, nlohmann::json> by_backend;
  for (const auto& c : agg["cases"]) by_backend[c["backend"]] = c;
  REQUIRE(by_backend.size() == 3);
  for (const auto& [b, c] : by_backend) CHECK(c["status"] == "ok");
  CHECK(by_backend["replay"]["report"]["metrics"]["vs_model"]["bit_exact"] == true);
  CHECK(by_backend["sim"]["report"]["metrics"]["vs_model"]["bit_exact"] == false);
  CHECK(by_backend["model"]["report"]["kernel"]["params"]["scale_shift"] == 3);
  // An option with no backend that reads it, a key it does not know, a fixture not in the list.
  for (const auto& [entry, words] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"device_output", "dev.npy"}}, "cases[0].device_output: needs \"backend\" set to one that reads it (replay)"},
           {{{"backend", "replay"}, {"device-output", "dev.npy"}}, "cases[0]: unknown key 'device-output'"},
           {{{"fixture", "other"}, {"params", {"scale_shift=3"}}}, "cases[0].fixture"},
       }) {
    nlohmann::json bad = suite;
    bad["cases"] = nlohmann::json::array({entry});
    write_bytes(t.file("s/bad.json"), bad.dump());
    const CliResult e = run_cli({"suite", t.file("s/bad.json")});
    CAPTURE(entry.dump());
    CHECK(e.exit_code == 2);
    REQUIRE(e.err_lines().size() == 1);
    CHECK(e.err.find(words) != std::string::npos);
  }
}

TEST_CASE("issue 14.4: diff writes JSON and Markdown, takes per-side parameters, refuses other shapes, diffs suites", "[cli][diff]") {
  TempDir t;
  // Per-side parameters: B alone gets scale_shift=3, so only B changes.
  CliResult r = run_cli({"diff", "--kernel", "uc-int32-lut", "--kernel", "uc-int32-lut", "--fixture", kSeed42,
                         "--param-b", "scale_shift=3", "--json", t.file("d.json"), "--md", t.file("d.md")});
  const auto d = read_json(t.file("d.json"));
  CHECK(d["schema"] == "attncheck.diff/1");
  CHECK(d["verdict"] != "NO CHANGE");
  CHECK(r.exit_code == (d["verdict"] == "REGRESSED" ? 1 : 0));
  CHECK(d["changes"]["changed"].get<size_t>() > 0);
  CHECK(d["metrics"].size() == 11);  // correlation, mae, rmse, max_abs_error, within 0/1/2/5/10, sqnr_db, cosine
  CHECK(read_text(t.file("d.md")).find("# attncheck diff: " + d["verdict"].get<std::string>()) != std::string::npos);
  // --param (both sides) makes the two runs identical again: no change.
  r = run_cli({"diff", "--kernel", "uc-int32-lut", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--param",
               "scale_shift=3"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("NO CHANGE") != std::string::npos);
  // A per-metric tolerance wide enough for B's losses lets it pass; an unknown metric is exit 2.
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", t.file("a.json")}).exit_code == 0);
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--param", "scale_shift=3", "--json",
                   t.file("b.json")}).exit_code == 0);
  // B against A the other way round: whatever got better for B is worse for A, and tolerated.
  r = run_cli({"diff", t.file("b.json"), t.file("a.json")});
  if (r.exit_code == 1) {
    std::vector<std::string> args = {"diff", t.file("b.json"), t.file("a.json")};
    for (const auto& m : d["metrics"])
      args.insert(args.end(), {"--tolerance-for", m["name"].get<std::string>() + "=100"});
    const CliResult tolerated = run_cli(args);
    INFO(tolerated.out << tolerated.err);
    CHECK(tolerated.exit_code == 0);
  }
  CHECK(run_cli({"diff", t.file("a.json"), t.file("b.json"), "--tolerance-for", "speed=1"}).exit_code == 2);
  // Another shape: refused unless asked.
  REQUIRE(run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "3", "--heads", "2", "--out", t.file("fx2")})
              .exit_code == 0);
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", t.file("fx2"), "--json", t.file("c.json")}).exit_code == 0);
  r = run_cli({"diff", t.file("a.json"), t.file("c.json")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--allow-shape-change") != std::string::npos);
  CHECK(run_cli({"diff", t.file("a.json"), t.file("c.json"), "--allow-shape-change"}).exit_code != 2);
  // Two suites, case by case; a suite against a run is refused.
  const nlohmann::json suite = {{"fixtures", {kSeed42}}, {"revisions", {"uc-int32-lut", "uc-legacy-int8"}}};
  write_bytes(t.file("s.json"), suite.dump());
  REQUIRE(run_cli({"suite", t.file("s.json"), "--json", t.file("sa.json")}).exit_code == 0);
  REQUIRE(run_cli({"suite", t.file("s.json"), "--json", t.file("sb.json")}).exit_code == 0);
  r = run_cli({"diff", t.file("sa.json"), t.file("sb.json"), "--json", t.file("sd.json")});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2 compared, 2 unchanged, 0 only in A, 0 only in B") != std::string::npos);
  CHECK(read_json(t.file("sd.json"))["cases"].size() == 2);
  r = run_cli({"diff", t.file("sa.json"), t.file("a.json")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is a suite aggregate and the other a run report") != std::string::npos);
}

TEST_CASE("issue 14.8: run shows progress on long work, and a document on stdout stays alone there", "[cli][progress]") {
  TempDir t;
  REQUIRE(run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "3", "--shape", "64x64", "--heads", "4", "--out",
                   t.file("fx")}).exit_code == 0);
  const std::string elf = shared_dir() + "/aie2/int32-2025-11-03/main_core_0_2.elf";
  // Interval 0: every stage and launch is a line (CI logs get one every 10 s by default).
  const CliResult r = run_program({"/usr/bin/env", "ATTNCHECK_PROGRESS_SECONDS=0", ATTNCHECK_EXE, "run", "--kernel", "uc-int32-lut",
                                   "--fixture", t.file("fx"), "--backend", "sim", "--elf", elf, "--sim-stack-at", "0x78800"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("  progress  run uc-int32-lut on " + t.file("fx") + ": 0/3, backend sim") != std::string::npos);
  CHECK(r.out.find("backend sim, launch 4/4") != std::string::npos);
  CHECK(r.out.find(": 1/3, golden model") != std::string::npos);
  CHECK(r.out.find(": 2/3, integer model and comparison") != std::string::npos);
  CHECK(r.err.empty());
  // By default a short run prints no progress at all.
  const CliResult quiet = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42});
  CHECK(quiet.out.find("progress") == std::string::npos);

  // --json - : stdout is the report and nothing else; the summary goes to stderr.
  const CliResult j = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", "-"});
  REQUIRE(j.exit_code == 0);
  CHECK(nlohmann::json::parse(j.out)["schema"] == "attncheck.report/1");
  CHECK(j.err.find("verdict   PASS") != std::string::npos);
  write_bytes(t.file("s.json"), "{\"fixtures\": [\"" + kSeed42 + "\"], \"revisions\": [\"uc-int32-lut\"], \"backends\": [\"model\", \"host\"]}");
  const CliResult s = run_cli({"suite", t.file("s.json"), "--json", "-"});
  REQUIRE(s.exit_code == 0);
  CHECK(nlohmann::json::parse(s.out)["schema"] == "attncheck.suite/1");
  CHECK(s.err.find("[2/2]") != std::string::npos);
}

TEST_CASE("issue 14.9: reports carry the localization, the stack, per-head panels and the suite grid, and render without arrays", "[cli][report]") {
  TempDir t;
  REQUIRE(run_cli({"fixture", "make", "--recipe", "numpy-randint", "--seed", "3", "--shape", "64x64", "--heads", "4", "--out",
                   t.file("fx4")}).exit_code == 0);
  const std::string elf = shared_dir() + "/aie2/int32-2025-11-03/main_core_0_2.elf";
  // The binary's own stack corrupts Q of the heads at ObjectFIFO position 0: a known mismatch.
  REQUIRE(run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", t.file("fx4"), "--backend", "sim", "--elf", elf,
                   "--allow-mismatch", "--json", t.file("sim.json"), "--keep-outputs"}).exit_code == 0);
  REQUIRE(run_cli({"report", t.file("sim.json"), "--md", t.file("r.md"), "--html", t.file("r.html")}).exit_code == 0);
  const std::string md = read_text(t.file("r.md")), html = read_text(t.file("r.html"));
  for (const std::string& doc : {md, html}) {
    CHECK(doc.find("contiguous ranges: head 0 rows 22-27 = launch 0 qkv (group 3) bytes 1408..1791") != std::string::npos);
    CHECK(doc.find("stack frame stored at of") != std::string::npos);          // writes: the attribution
    CHECK(doc.find("1760 B into of") != std::string::npos);                    // the stack verdict
    CHECK(doc.find("the simulated SP reached 0x70AE0") != std::string::npos);
  }
  // Per head: the table in both, and one panel per head in the page.
  CHECK(md.find("| head | mismatches vs model | MAE vs golden | max abs error |") != std::string::npos);
  CHECK(md.find("| 1 | 0 |") != std::string::npos);
  size_t panels = 0;
  for (size_t p = html.find("<details class=\"head\""); p != std::string::npos; p = html.find("<details class=\"head\"", p + 1)) ++panels;
  CHECK(panels == 4);
  CHECK(html.find("count (log scale)") != std::string::npos);

  // Kept arrays gone: the report still renders from its JSON and says what it left out.
  fs::remove(t.file("sim.golden.npy"));
  const CliResult gone = run_cli({"report", t.file("sim.json"), "--md", t.file("g.md"), "--html", t.file("g.html")});
  REQUIRE(gone.exit_code == 0);
  const std::string gmd = read_text(t.file("g.md")), ghtml = read_text(t.file("g.html"));
  CHECK(gmd.find("left out: ") != std::string::npos);
  CHECK(gmd.find("sim.golden.npy is missing") != std::string::npos);
  CHECK(gmd.find("**where**") != std::string::npos);
  CHECK(ghtml.find("are left out") != std::string::npos);
  CHECK(ghtml.find("data-plot=\"scatter\"") == std::string::npos);

  // A suite renders as a revision x fixture grid with the skipped cells visible.
  write_bytes(t.file("s.json"), "{\"fixtures\": [\"" + t.file("fx4") + "\", \"" + source_dir() +
                                    "/fixtures/realistic_s11_h2_s200\"], \"revisions\": [\"uc-int32-lut\", \"precise-v1\"]}");
  REQUIRE(run_cli({"suite", t.file("s.json"), "--json", t.file("agg.json")}).exit_code == 0);
  REQUIRE(run_cli({"report", t.file("agg.json"), "--md", t.file("s.md"), "--html", t.file("s.html")}).exit_code == 0);
  const std::string smd = read_text(t.file("s.md")), shtml = read_text(t.file("s.html"));
  CHECK(smd.find("| revision \\ fixture |") != std::string::npos);
  CHECK(smd.find("| uc-int32-lut | model PASS |") != std::string::npos);
  CHECK(smd.find("model SKIP") != std::string::npos);
  CHECK(smd.find("1 skipped") != std::string::npos);
  CHECK(shtml.find("<h2>Revision x fixture</h2>") != std::string::npos);
  CHECK(shtml.find("<span class=\"SKIP\">SKIP</span>") != std::string::npos);
}

TEST_CASE("issue 14 (typed results): every report the CLI writes reads back into types and out again unchanged", "[cli][report]") {
  TempDir t;
  REQUIRE(run_cli({"emulate", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--out", t.file("dev.npy")}).exit_code == 0);
  write_bytes(t.file("g.json"), R"({"min_correlation": 0.5, "max_mae": 100, "min_within": {"5": 0.1}, "require_bit_exact": true})");
  const std::string elf = shared_dir() + "/aie2/int32-2025-11-03/main_core_0_2.elf";
  const std::vector<std::vector<std::string>> runs = {
      {"--backend", "model"},
      {"--backend", "host", "--gates", t.file("g.json")},
      {"--backend", "replay", "--device-output", t.file("dev.npy")},
      {"--backend", "sim", "--elf", elf, "--allow-mismatch"},
  };
  for (const auto& extra : runs) {
    std::vector<std::string> args = {"run", "--kernel", "uc-int32-lut", "--fixture", kSeed42, "--json", t.file("r.json")};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_cli(args);
    INFO(extra[1] << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    const nlohmann::json j = nlohmann::json::parse(read_text(t.file("r.json")));
    const RunReport rep = run_report_from_json(j, "r.json");
    CHECK(to_json(rep.metrics.vs_golden) == j["metrics"]["vs_golden"]);
    if (rep.metrics.model_vs_golden) CHECK(to_json(*rep.metrics.model_vs_golden) == j["metrics"]["model_vs_golden"]);
    if (rep.metrics.vs_model) {
      const nlohmann::json back = to_json(*rep.metrics.vs_model);  // named: items() of a temporary dangles
      for (const auto& [k, v] : back.items()) CHECK(j["metrics"]["vs_model"][k] == v);
      CHECK(rep.metrics.mismatches_per_head.size() == 1);
    }
    CHECK(rep.gates.size() == j["gates"].size());
    // Gates evaluated on the typed metrics equal those the run wrote.
    if (extra[1] == "host") {
      const nlohmann::json typed = evaluate_gates(load_gates(t.file("g.json")).defaults, rep.metrics);
      REQUIRE(typed.size() == 4);
      for (const auto& g : typed) {
        bool found = false;
        for (const auto& w : j["gates"])
          if (w["name"] == g["name"]) found = w["pass"] == g["pass"] && w["value"] == g["value"] && w["threshold"] == g["threshold"];
        CHECK(found);
      }
    }
    CHECK(rep.pass == j["pass"].get<bool>());
    CHECK(rep.backend == extra[1]);
    if (extra[1] == "sim") {
      CHECK_FALSE(rep.metrics.where.empty());
      CHECK_FALSE(rep.metrics.writes.empty());
      CHECK(rep.metrics.vs_model->mismatches > 0);
    }
  }
  // A wrong type is named by its field.
  nlohmann::json j = nlohmann::json::parse(read_text(t.file("r.json")));
  j["metrics"]["vs_golden"]["within"]["5"] = "<script>";
  CHECK_THROWS_WITH(run_report_from_json(j, "r.json"),
                    "r.json: malformed report: metrics.vs_golden.within.5: expected a number, got \"<script>\"");
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
