// The bad-input matrix: every subcommand refuses broken input with exit 2, one stderr line naming it, and no file left behind.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

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

// Every file under `dir` with its size and modification time: "unchanged" means no file was
// added, removed or rewritten, temp files included.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> s;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_symlink()) {
      s[rel] = "link to " + fs::read_symlink(e.path()).string();
    } else if (e.is_directory()) {
      s[rel] = "dir";
    } else {
      s[rel] = std::to_string(e.file_size()) + "@" +
               std::to_string(e.last_write_time().time_since_epoch().count());
    }
  }
  return s;
}

void copy_fixture(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const char* f : {"q.npy", "k.npy", "v.npy", "fixture.json"})
    if (fs::exists(from + "/" + f)) fs::copy_file(from + "/" + f, to + "/" + f);
}

// Sets an environment variable for one case and restores it after.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& v) : name(n) { setenv(n.c_str(), v.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

struct Case {
  // Prepares inputs under `in` (the case's directory) and returns the command line; outputs are
  // pointed into `out`, which exists and is empty.
  using Setup = std::function<std::vector<std::string>(const std::string& in, const std::string& out)>;
  Case(std::string n, Setup s, std::string nd, int code = 2, std::string e = "")
      : name(std::move(n)), setup(std::move(s)), needle(std::move(nd)), exit_code(code), env(std::move(e)) {}
  std::string name;
  Setup setup;
  std::string needle;  // what the one stderr line must name (file, option or problem)
  int exit_code;
  std::string env;  // "NAME=VALUE" for this case only
};

std::string write_json(const std::string& path, const std::string& text) {
  write_bytes(path, text);
  return path;
}

// A run report of the shipped fixture, made once, for the diff and report cases.
const std::string& good_report() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.file("good.json");
    const auto r = run_cli({"run", "--kernel", "uc-int32-lut", "--fixture", source_dir() + "/fixtures/seed42", "--json", p});
    if (r.exit_code != 0) throw std::runtime_error("cannot make the sample report: " + r.err);
    return p;
  }();
  return path;
}

std::vector<Case> cases() {
  const std::string fx = source_dir() + "/fixtures/seed42";
  const std::string fx_h2 = shared_dir() + "/vectors/seed7_h2_s200";
  return {
      // run
      {"run: unknown revision",
       [=](auto, auto out) { return std::vector<std::string>{"run", "--kernel", "uc-int64-magic", "--fixture", fx, "--json", out + "/r.json"}; },
       "unknown revision"},
      {"run: gates file missing",
       [=](auto in, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--gates", in + "/nope.json",
                                         "--json", out + "/r.json", "--junit", out + "/j.xml"};
       },
       "nope.json"},
      {"run: gates file not JSON",
       [=](auto in, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--gates",
                                         write_json(in + "/g.json", "{\"max_mae\": 1,"), "--json", out + "/r.json"};
       },
       "g.json: not valid JSON"},
      {"run: --json under a file (not a directory), with --keep-outputs",
       [=](auto, auto) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--keep-outputs", "--json",
                                         fx + "/q.npy/r.json"};
       },
       "--json"},
      {"run: --junit under a file after the kept outputs would be written",
       [=](auto, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--keep-outputs", "--json",
                                         out + "/r.json", "--junit", fx + "/q.npy/j.xml"};
       },
       "--junit"},
      {"run: --keep-outputs without --json",
       [=](auto, auto) { return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--keep-outputs"}; },
       "--keep-outputs"},
      {"run: fixture.json not JSON",
       [=](auto in, auto out) {
         copy_fixture(fx, in + "/f");
         write_bytes(in + "/f/fixture.json", "{\"seed\": 42");
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", in + "/f", "--json", out + "/r.json"};
       },
       "fixture.json: invalid JSON"},
      {"run: a negative scale in fixture.json",
       [=](auto in, auto out) {
         copy_fixture(fx, in + "/f");
         write_bytes(in + "/f/fixture.json", R"({"scales": {"q": -0.5, "k": 1, "v": 1, "out": 1}})");
         return std::vector<std::string>{"run", "--kernel", "precise-v1", "--fixture", in + "/f", "--json", out + "/r.json"};
       },
       "scales.q"},
      {"run: replay of an output with the wrong shape",
       [=](auto in, auto out) {
         NpyArray a;
         a.shape = {64, 32};
         a.bytes.assign(64 * 32, 1);
         write_npy(in + "/dev.npy", a);
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--backend", "replay",
                                         "--device-output", in + "/dev.npy", "--json", out + "/r.json"};
       },
       "dev.npy"},
      {"run: a fixture too large for ATTNCHECK_MAX_MEMORY",
       [=](auto, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--json", out + "/r.json"};
       },
       "ATTNCHECK_MAX_MEMORY", 2, "ATTNCHECK_MAX_MEMORY=64K"},
      // golden
      {"golden: missing fixture directory",
       [=](auto in, auto out) { return std::vector<std::string>{"golden", "--fixture", in + "/nope", "--out", out + "/g.npy"}; },
       "nope: no such directory"},
      {"golden: unknown --precision",
       [=](auto, auto out) { return std::vector<std::string>{"golden", "--fixture", fx, "--precision", "fp16", "--out", out + "/g.npy"}; },
       "--precision"},
      {"golden: --out is a directory",
       [=](auto, auto out) { return std::vector<std::string>{"golden", "--fixture", fx, "--out", out}; },
       "is a directory"},
      // emulate
      {"emulate: unknown parameter",
       [=](auto, auto out) {
         return std::vector<std::string>{"emulate", "--kernel", "uc-int32-lut", "--fixture", fx, "--param", "bogus=1", "--out", out + "/m.npy"};
       },
       "bogus"},
      {"emulate: a tile-only revision on S=200",
       [=](auto, auto out) {
         return std::vector<std::string>{"emulate", "--kernel", "uc-legacy-int8", "--fixture", fx_h2, "--out", out + "/m.npy"};
       },
       "defined for 64x64"},
      // compare
      {"compare: --dut missing",
       [=](auto in, auto out) {
         return std::vector<std::string>{"compare", "--golden", fx + "/q.npy", "--dut", in + "/d.npy", "--json", out + "/c.json"};
       },
       "d.npy"},
      {"compare: shapes differ",
       [=](auto, auto out) {
         return std::vector<std::string>{"compare", "--golden", fx + "/q.npy", "--dut", fx_h2 + "/q.npy", "--json", out + "/c.json"};
       },
       "shape"},
      {"compare: a complex dtype",
       [=](auto in, auto out) {
         const std::string h = "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 2), }";
         std::string hdr = h + std::string(64 - (10 + h.size() + 1) % 64, ' ') + "\n";
         std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(hdr.size() & 0xff) +
                            static_cast<char>(hdr.size() >> 8) + hdr + std::string(64, '\0');
         write_bytes(in + "/c16.npy", file);
         return std::vector<std::string>{"compare", "--golden", in + "/c16.npy", "--dut", fx + "/q.npy", "--json", out + "/c.json"};
       },
       "c16.npy: unsupported dtype '<c16'"},
      {"compare: --model shape differs",
       [=](auto, auto out) {
         return std::vector<std::string>{"compare", "--golden", fx + "/q.npy", "--dut", fx + "/k.npy", "--model",
                                         fx_h2 + "/v.npy", "--json", out + "/c.json"};
       },
       "v.npy"},
      // fixture make
      {"fixture make: --shape without x",
       [=](auto, auto out) { return std::vector<std::string>{"fixture", "make", "--recipe", "numpy-randint", "--shape", "64", "--out", out + "/f"}; },
       "--shape 64"},
      {"fixture make: --seed out of range",
       [=](auto, auto out) { return std::vector<std::string>{"fixture", "make", "--recipe", "numpy-randint", "--seed", "-1", "--out", out + "/f"}; },
       "--seed"},
      {"fixture make: --low above --high",
       [=](auto, auto out) {
         return std::vector<std::string>{"fixture", "make", "--recipe", "numpy-randint", "--low", "10", "--high", "5", "--out", out + "/f"};
       },
       "--low 10 --high 5"},
      {"fixture make: unknown recipe",
       [=](auto, auto out) { return std::vector<std::string>{"fixture", "make", "--recipe", "uniform", "--out", out + "/f"}; },
       "--recipe"},
      {"fixture make: --out is a file",
       [=](auto in, auto) {
         write_bytes(in + "/file", "x");
         return std::vector<std::string>{"fixture", "make", "--recipe", "numpy-randint", "--out", in + "/file"};
       },
       "--out"},
      {"fixture make: a shape larger than ATTNCHECK_MAX_MEMORY",
       [=](auto, auto out) {
         return std::vector<std::string>{"fixture", "make", "--recipe", "realistic", "--heads", "8", "--shape", "1500x64", "--out", out + "/f"};
       },
       "--shape 1500x64", 2, "ATTNCHECK_MAX_MEMORY=1M"},
      // kernels, doctor
      {"kernels: unknown flag",
       [=](auto, auto) { return std::vector<std::string>{"kernels", "--bogus"}; }, "--bogus"},
      {"doctor: unexpected argument",
       [=](auto, auto) { return std::vector<std::string>{"doctor", "extra"}; }, "extra"},
      // suite
      {"suite: unknown key",
       [=](auto in, auto out) {
         return std::vector<std::string>{"suite", write_json(in + "/s.json", R"({"fixtures": ["x"], "revisions": ["precise-v1"], "kernels": []})"),
                                         "--json", out + "/a.json"};
       },
       "unknown key 'kernels'"},
      {"suite: a missing fixture",
       [=](auto in, auto out) {
         return std::vector<std::string>{"suite", write_json(in + "/s.json", R"({"fixtures": ["nofx"], "revisions": ["precise-v1"]})"),
                                         "--json", out + "/a.json", "--junit", out + "/j.xml"};
       },
       "nofx"},
      {"suite: a name that is not a string",
       [=](auto in, auto out) {
         return std::vector<std::string>{"suite", write_json(in + "/s.json", "{\"fixtures\": [\"" + fx + "\"], \"revisions\": [\"uc-int32-lut\"], \"name\": 7}"),
                                         "--json", out + "/a.json"};
       },
       "'name' must be a string"},
      {"suite: negative -j",
       [=](auto in, auto out) {
         return std::vector<std::string>{"suite", write_json(in + "/s.json", "{\"fixtures\": [\"" + fx + "\"], \"revisions\": [\"uc-int32-lut\"]}"),
                                         "-j", "-1", "--json", out + "/a.json"};
       },
       "-j"},
      {"suite: its gates file has an unknown key",
       [=](auto in, auto out) {
         write_json(in + "/g.json", R"({"max_mea": 1})");
         return std::vector<std::string>{"suite", write_json(in + "/s.json", "{\"fixtures\": [\"" + fx + "\"], \"revisions\": [\"uc-int32-lut\"], \"gates\": \"g.json\"}"),
                                         "--json", out + "/a.json"};
       },
       "unknown key 'max_mea'"},
      {"suite: --keep-outputs under a file",
       [=](auto in, auto) {
         return std::vector<std::string>{"suite", write_json(in + "/s.json", "{\"fixtures\": [\"" + fx + "\"], \"revisions\": [\"uc-int32-lut\"]}"),
                                         "--keep-outputs", "--json", fx + "/q.npy/a.json"};
       },
       "--json"},
      // gates files, through run
      {"gates: a bucket that is not measured",
       [=](auto in, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--gates",
                                         write_json(in + "/g.json", R"({"min_within": {"3": 0.5}})"), "--json", out + "/r.json"};
       },
       "bucket '3'"},
      {"gates: a share above 1",
       [=](auto in, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--gates",
                                         write_json(in + "/g.json", R"({"revisions": {"precise-v1": {"min_within": {"1": 1.5}}}})"),
                                         "--junit", out + "/j.xml"};
       },
       "min_within.1"},
      // diff
      {"diff: one report",
       [=](auto, auto) { return std::vector<std::string>{"diff", good_report()}; }, "two reports"},
      {"diff: a report missing its metrics",
       [=](auto in, auto) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j.erase("metrics");
         return std::vector<std::string>{"diff", good_report(), write_json(in + "/b.json", j.dump())};
       },
       "b.json: malformed report"},
      {"diff: a metric of the wrong type",
       [=](auto in, auto) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["metrics"]["vs_golden"]["mae"] = "small";
         return std::vector<std::string>{"diff", write_json(in + "/a.json", j.dump()), good_report()};
       },
       "metrics.vs_golden.mae"},
      {"diff: a schema that is not a string (fuzz_report_reader found it)",
       [=](auto in, auto) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["schema"] = 7;
         return std::vector<std::string>{"diff", write_json(in + "/a.json", j.dump()), good_report()};
       },
       "a.json: schema '', expected attncheck.report/1"},
      {"report: a schema that is not a string",
       [=](auto in, auto out) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["schema"] = nlohmann::json::array();
         return std::vector<std::string>{"report", write_json(in + "/a.json", j.dump()), "--md", out + "/r.md"};
       },
       "a.json: schema ''"},
      {"diff: kept outputs outside the report's directory",
       [=](auto in, auto) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["outputs"] = {{"device", "/dev/zero"}, {"golden", "/dev/zero"}, {"model", nullptr}};
         return std::vector<std::string>{"diff", write_json(in + "/a.json", j.dump()), write_json(in + "/b.json", j.dump())};
       },
       "not a file name beside the report"},
      {"diff: not a report",
       [=](auto in, auto) { return std::vector<std::string>{"diff", write_json(in + "/a.json", "{\"schema\": \"x\"}"), good_report()}; },
       "a.json: schema 'x'"},
      {"diff: negative tolerance",
       [=](auto, auto) { return std::vector<std::string>{"diff", good_report(), good_report(), "--tolerance", "-1"}; },
       "--tolerance"},
      // report
      {"report: neither --md nor --html",
       [=](auto, auto) { return std::vector<std::string>{"report", good_report()}; }, "--md"},
      {"report: a missing input",
       [=](auto in, auto out) { return std::vector<std::string>{"report", in + "/none.json", "--md", out + "/r.md", "--html", out + "/r.html"}; },
       "none.json"},
      {"report: --html under a file",
       [=](auto, auto out) { return std::vector<std::string>{"report", good_report(), "--md", out + "/r.md", "--html", fx + "/q.npy/r.html"}; },
       "--html"},
      {"report: --html of a report whose vs_model lacks mismatch_rows (found by fuzz_report_reader)",
       [=](auto in, auto out) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["metrics"]["vs_model"] = {{"bit_exact", true}, {"first_mismatches", nlohmann::json::array()}, {"mismatches", 0}};
         return std::vector<std::string>{"report", write_json(in + "/a.json", j.dump()), "--md", out + "/r.md", "--html", out + "/r.html"};
       },
       "a.json: malformed report"},
      {"report: a suite case without its report",
       [=](auto in, auto out) {
         return std::vector<std::string>{"report",
                                         write_json(in + "/s.json", R"({"schema": "attncheck.suite/1", "cases": [{"id": "a", "status": "ok"}]})"),
                                         "--md", out + "/r.md"};
       },
       "s.json: malformed report"},
      // Issue 17's reproducers, in the matrix's terms (each also has its own test case).
      {"golden: scales out of FP32 range in fixture.json (17.4)",
       [=](auto in, auto out) {
         copy_fixture(fx, in + "/f");
         write_bytes(in + "/f/fixture.json", R"({"scales": {"q": 1, "k": 1, "v": 1, "out": 1e-320}})");
         return std::vector<std::string>{"golden", "--fixture", in + "/f", "--out", out + "/g.npy"};
       },
       "fixture.json: scales.out"},
      {"run: --json onto the fixture's q.npy (17.5)",
       [=](auto in, auto) {
         copy_fixture(fx, in + "/f");
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", in + "/f", "--json", in + "/f/q.npy"};
       },
       "is the input --fixture"},
      {"report: --md and --html on one file (17.5)",
       [=](auto, auto out) {
         return std::vector<std::string>{"report", good_report(), "--md", out + "/x", "--html", out + "/x"};
       },
       "is also --md"},
      {"report: a string where the correlation belongs (17.6)",
       [=](auto in, auto out) {
         auto j = nlohmann::json::parse(read_text(good_report()));
         j["metrics"]["vs_golden"]["correlation"] = "<script>alert(1)</script>";
         return std::vector<std::string>{"report", write_json(in + "/a.json", j.dump()), "--html", out + "/r.html"};
       },
       "a.json: malformed report"},
      {"run: ATTNCHECK_MAX_MEMORY=0 (17.9)",
       [=](auto, auto out) { return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--json", out + "/r.json"}; },
       "ATTNCHECK_MAX_MEMORY=0", 2, "ATTNCHECK_MAX_MEMORY=0"},
      {"run: a gates file naming a key twice (17.10)",
       [=](auto in, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--gates",
                                         write_json(in + "/g.json", R"({"max_mae": 100, "max_mae": 1})"), "--json", out + "/r.json"};
       },
       "g.json: key \"max_mae\" appears twice"},
      {"run: a NUL byte in fixture.json (17.10)",
       [=](auto in, auto out) {
         copy_fixture(fx, in + "/f");
         write_bytes(in + "/f/fixture.json", std::string("{\"seed\": 1}\0{}", 14));
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", in + "/f", "--json", out + "/r.json"};
       },
       "fixture.json: NUL byte"},
      {"run: --junit given an empty value (17.10)",
       [=](auto, auto out) {
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", fx, "--json", out + "/r.json", "--junit", ""};
       },
       "--junit: empty value"},
      {"run: a dangling symlink as fixture.json",
       [=](auto in, auto out) {
         copy_fixture(fx, in + "/f");
         fs::remove(in + "/f/fixture.json");
         fs::create_symlink(in + "/nowhere.json", in + "/f/fixture.json");
         return std::vector<std::string>{"run", "--kernel", "uc-int32-lut", "--fixture", in + "/f", "--json", out + "/r.json"};
       },
       "fixture.json"},
  };
}

}  // namespace

TEST_CASE("bad-input matrix: exit 2, one stderr line naming the problem, directory unchanged", "[cli][bad-input][matrix]") {
  const std::vector<Case> all = cases();
  REQUIRE(all.size() >= 20);
  std::map<std::string, int> per_command;
  for (const Case& c : all) {
    TempDir tmp;
    fs::create_directories(tmp.file("out"));
    const std::vector<std::string> args = c.setup(tmp.path(), tmp.file("out"));
    per_command[args.at(0)]++;
    const auto before = snapshot(tmp.path());
    CliResult r;
    if (c.env.empty()) {
      r = run_cli(args);
    } else {
      const auto eq = c.env.find('=');
      ScopedEnv env(c.env.substr(0, eq), c.env.substr(eq + 1));
      r = run_cli(args);
    }
    INFO(c.name << "\n  stderr: " << r.err);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.err_lines().size() == 1);
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(snapshot(tmp.path()) == before);
  }
  // Every subcommand is in the matrix, not only the easy ones.
  for (const char* cmd : {"run", "golden", "emulate", "compare", "fixture", "kernels", "suite", "diff", "report", "doctor"})
    CHECK(per_command[cmd] > 0);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
