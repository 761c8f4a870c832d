// Reliability end to end: mutated .npy files never crash compare, signals leave no partial report, the memory guard refuses early.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fixtures/npy.hpp"
#include "fixtures/testing/test_support.hpp"

extern char** environ;  // the process's environment (POSIX), handed to the children these tests spawn

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

// A .npy image with `header` as its dictionary text, padded as numpy pads it.
std::string npy_with_header(const std::string& header, const std::string& body, int major = 1) {
  const size_t len_bytes = major == 1 ? 2 : 4;
  std::string h = header;
  h += std::string(64 - (6 + 2 + len_bytes + h.size() + 1) % 64, ' ') + "\n";
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + body;
}

std::string bytes_of(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// The mutations of a valid (2, 8, 8) float32 golden-sized array: truncation at every byte of the
// header and a stride through the data, seeded bit flips and byte overwrites, and hand-written
// hostile headers (shapes, dtypes, order, versions, length fields).
std::vector<std::string> mutations(const std::string& valid, size_t header_end) {
  std::vector<std::string> out;
  for (size_t n = 0; n <= header_end + 8; ++n) out.push_back(valid.substr(0, n));
  for (size_t n = header_end + 8; n < valid.size(); n += 37) out.push_back(valid.substr(0, n));
  std::mt19937 rng(20240607);
  for (int i = 0; i < 650; ++i) {
    std::string m = valid;
    // Mostly the header, where the parser's decisions are; the data only changes values.
    const size_t limit = i % 4 == 0 ? m.size() : header_end;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) m[rng() % limit] ^= static_cast<char>(1u << (rng() % 8));
    out.push_back(m);
  }
  for (int i = 0; i < 250; ++i) {
    std::string m = valid;
    const size_t at = rng() % header_end;
    const size_t len = 1 + rng() % 6;
    for (size_t k = at; k < at + len && k < m.size(); ++k) m[k] = static_cast<char>(rng() % 256);
    out.push_back(m);
  }
  const std::string body(2 * 8 * 8 * 4, '\x01');
  const std::vector<std::string> shapes = {
      "(4611686018427387904, 4611686018427387904)", "(9223372036854775807,)", "(9223372036854775808,)",
      "(99999999999999999999999999, 2)", "(-1, 128)", "(0, 8)", "(2, 0, 8)", "()", "(128,)", "(2, 8, 8)",
      "(8, 2, 8)", "(1, 1, 2, 8, 8)", "(2, 8, 8, 1)", "(2.0, 8, 8)", "('2', 8, 8)", "(True, 8, 8)", "[2, 8, 8]",
      "(2, 8, 8", "(2,, 8)", "(2 8 8)", "None", "(" + std::string(200, '(') + "2" + std::string(200, ')') + ",)",
      "(" + [] {
        std::string s;
        for (int i = 0; i < 33; ++i) s += "1, ";
        return s;
      }() + ")",
      "(4294967296, 4294967296, 4294967296)", "(2L, 8L, 8L)"};
  const std::vector<std::string> descrs = {"<f4", "<c16", "|O", ">i4", ">f4", "V8", "|V8", "<f2", "<U4", "|b1", "|i1",
                                           "<i8", ">f8", "<M8[ns]", "", "f4", "=f4", "<f16", "[('a', '<f4')]",
                                           "[('a', [('b', '<f4')])]", "{'names': ['a'], 'formats': ['<f4']}", "'<f4'"};
  for (const auto& s : shapes)
    out.push_back(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': " + s + ", }", body));
  for (const auto& d : descrs) {
    const std::string lit = d.empty() || d[0] == '[' || d[0] == '{' || d[0] == '\'' ? (d.empty() ? "''" : d) : "'" + d + "'";
    out.push_back(npy_with_header("{'descr': " + lit + ", 'fortran_order': False, 'shape': (2, 8, 8), }", body));
  }
  for (const char* order : {"True", "False", "1", "None", "'yes'"})
    out.push_back(npy_with_header(std::string("{'descr': '<f4', 'fortran_order': ") + order + ", 'shape': (2, 8, 8), }", body));
  for (int major : {1, 2, 3}) {
    const std::string v = npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 8, 8), }", body, major);
    out.push_back(v);
    for (int minor : {1, 255}) {
      std::string m = v;
      m[7] = static_cast<char>(minor);
      out.push_back(m);
    }
  }
  for (int major : {0, 4, 255}) {
    std::string m = valid;
    m[6] = static_cast<char>(major);
    out.push_back(m);
  }
  // Header length fields that point past the file, to 0, and one byte short.
  for (uint16_t len : {uint16_t{0}, uint16_t{1}, uint16_t{0xffff}, static_cast<uint16_t>(header_end - 11)}) {
    std::string m = valid;
    m[8] = static_cast<char>(len & 0xff);
    m[9] = static_cast<char>(len >> 8);
    out.push_back(m);
  }
  out.push_back(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8), 'extra': 1, }", body));
  out.push_back(npy_with_header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8), }", body));
  out.push_back(npy_with_header("{'fortran_order': False, 'shape': (2, 8, 8), }", body));
  out.push_back(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8, 8), }", body + "extra"));
  out.push_back(npy_with_header("['descr', '<f4']", body));
  out.push_back(npy_with_header(std::string("{'descr': '<f4\n', 'fortran_order': False, 'shape': (2, 8, 8), }"), body));
  out.push_back(npy_with_header(std::string("{'descr': '<f4\0', 'fortran_order': False, 'shape': (2, 8, 8), }", 63), body));
  return out;
}

// Starts attncheck with `args`, stdout to /dev/null and stderr to `err_path`; returns the pid.
pid_t spawn_cli(const std::vector<std::string>& args, const std::string& err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all{ATTNCHECK_EXE};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("cannot spawn attncheck: ") + std::strerror(rc));
  return pid;
}

// Waits until the child has installed its handler for `sig` (the SigCgt mask in /proc/PID/status),
// so that a signal sent next lands in the child's work, not in its start-up under a loaded machine
// (where the default action would kill it before attncheck's handler exists). Gives up after 60 s.
void wait_for_handler(pid_t pid, int sig) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("SigCgt:", 0) == 0 && (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

// One realistic 8x1500x64 fixture per test binary: about a second per precise-v1 case.
const std::string& realistic_fixture() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = dir.file("fx");
    const auto r = run_cli({"fixture", "make", "--recipe", "realistic", "--heads", "8", "--shape", "1500x64", "--out", p});
    if (r.exit_code != 0) throw std::runtime_error("cannot make the realistic fixture: " + r.err);
    return p;
  }();
  return path;
}

}  // namespace

TEST_CASE("compare on >= 1000 mutated .npy files: exit 0 or 2, never a signal or internal error", "[cli][npy][mutation]") {
  TempDir tmp;
  NpyArray a;
  a.dtype = DType::Float32;
  a.shape = {2, 8, 8};
  a.bytes.resize(2 * 8 * 8 * 4);
  for (size_t i = 0; i < a.bytes.size(); i += 4) {
    const float v = static_cast<float>(i % 17) - 8.0f;
    std::memcpy(&a.bytes[i], &v, 4);
  }
  const std::string valid = bytes_of(encode_npy(a));
  const size_t header_end = valid.size() - a.bytes.size();
  write_bytes(tmp.file("good.npy"), valid);
  const std::vector<std::string> all = mutations(valid, header_end);
  REQUIRE(all.size() >= 1000);
  // The sanitizer build tries an even spread of them: each is a process start, ten times slower there.
  const size_t want = scaled(all.size(), 150);
  std::vector<std::string> muts;
  for (size_t i = 0; i < want; ++i) muts.push_back(all[i * all.size() / want]);

  // Two workers: the cost is process start-up, and the CI machine has two cores.
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  size_t refused = 0, accepted = 0;
  auto worker = [&] {
    for (size_t i = next++; i < muts.size(); i = next++) {
      const std::string path = tmp.file("m" + std::to_string(i) + ".npy");
      write_bytes(path, muts[i]);
      // Alternate the role: golden and dut are read by the same code, but errors name each.
      const bool as_dut = i % 2 == 0;
      const CliResult r = as_dut ? run_cli({"compare", "--golden", tmp.file("good.npy"), "--dut", path})
                                 : run_cli({"compare", "--golden", path, "--dut", tmp.file("good.npy")});
      std::lock_guard<std::mutex> lock(mu);
      const bool ok = r.signal == 0 && (r.exit_code == 0 || r.exit_code == 2) &&
                      (r.exit_code == 0 ? r.err.empty() : r.err_lines().size() == 1 && r.err.find(path) != std::string::npos);
      if (!ok)
        failures.push_back("mutation " + std::to_string(i) + " (" + (as_dut ? "--dut" : "--golden") + "): exit " +
                           std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) + " stderr " + r.err);
      (r.exit_code == 0 ? accepted : refused)++;
      fs::remove(path);
    }
  };
  std::thread t1(worker), t2(worker);
  t1.join();
  t2.join();
  INFO(failures.size() << " failures; first: " << (failures.empty() ? "" : failures.front()));
  CHECK(failures.empty());
  // The set exercises both outcomes: bit flips in the data still compare, broken headers refuse.
  // As shares, so the sanitizer build's spread is held to the same bar (whole set: 116 of 1126 accepted).
  INFO(accepted << " accepted, " << refused << " refused of " << muts.size());
  CHECK(accepted * 20 > muts.size());
  CHECK(refused * 2 > muts.size());
}

TEST_CASE("SIGTERM during a long suite: exit 143, one line, no report and no temp file", "[cli][signal]") {
  const std::string fx = realistic_fixture();
  TempDir tmp;
  fs::create_directories(tmp.file("out"));
  // 8 cases of about a second each at -j 1: the signal lands while cases are running.
  nlohmann::json suite = {{"fixtures", {fx, fx, fx, fx}}, {"revisions", {"precise-v1"}}, {"backends", {"model", "host"}}};
  write_bytes(tmp.file("s.json"), suite.dump());
  const pid_t pid = spawn_cli({"suite", tmp.file("s.json"), "-j", "1", "--keep-outputs", "--json", tmp.file("out/agg.json"),
                               "--junit", tmp.file("out/agg.xml")},
                              tmp.file("err.txt"));
  wait_for_handler(pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(kill(pid, SIGTERM) == 0);
  const int status = wait_status(pid);
  const double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  const std::string err = read_text(tmp.file("err.txt"));
  INFO("stderr: " << err << " stopped " << stop_s << " s after the signal");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(lines_of(err).size() == 1);
  CHECK(err.find("interrupted by SIGTERM") != std::string::npos);
  // Nothing at all: no aggregate, no JUnit, no kept .npy, no .tmp file.
  CHECK(list_dir(tmp.file("out")).empty());
  // It stops at the next check, within one case, not after the whole suite.
  CHECK(stop_s < 30);
}

TEST_CASE("SIGINT during run: exit 130, no report, kept outputs or JUnit", "[cli][signal]") {
  const std::string fx = realistic_fixture();
  TempDir tmp;
  fs::create_directories(tmp.file("out"));
  const pid_t pid = spawn_cli({"run", "--kernel", "precise-v1", "--fixture", fx, "--backend", "host", "--keep-outputs",
                               "--json", tmp.file("out/r.json"), "--junit", tmp.file("out/r.xml")},
                              tmp.file("err.txt"));
  wait_for_handler(pid, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(kill(pid, SIGINT) == 0);
  const int status = wait_status(pid);
  const std::string err = read_text(tmp.file("err.txt"));
  INFO("stderr: " << err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(lines_of(err).size() == 1);
  CHECK(err.find("interrupted by SIGINT") != std::string::npos);
  CHECK(list_dir(tmp.file("out")).empty());
}

TEST_CASE("memory guard: small files whose work would not fit are refused before allocating", "[cli][memory]") {
  TempDir tmp;
  SECTION("a long sequence: S x S scores of 128 TiB, refused against MemAvailable") {
    // 4 MiB files, but golden needs S x S x 8 bytes of scores per head.
    NpyArray a;
    a.shape = {int64_t{1} << 22, 1};
    a.bytes.assign(size_t{1} << 22, 1);
    fs::create_directories(tmp.file("f"));
    for (const char* f : {"q.npy", "k.npy", "v.npy"}) write_npy(tmp.file("f/") + f, a);
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_cli({"golden", "--fixture", tmp.file("f"), "--out", tmp.file("g.npy")});
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err_lines().size() == 1);
    CHECK(r.err.find("needs about") != std::string::npos);
    CHECK(r.err.find("MemAvailable") != std::string::npos);
    CHECK_FALSE(file_exists(tmp.file("g.npy")));
    CHECK(secs < 10);  // refused from the estimate, not after trying
  }
  SECTION("ATTNCHECK_MAX_MEMORY: a realistic run refused under 16 MiB, accepted without it") {
    const std::string fx = realistic_fixture();
    setenv("ATTNCHECK_MAX_MEMORY", "16M", 1);
    const auto r = run_cli({"run", "--kernel", "precise-v1", "--fixture", fx, "--json", tmp.file("r.json")});
    unsetenv("ATTNCHECK_MAX_MEMORY");
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err_lines().size() == 1);
    CHECK(r.err.find("8x1500x64") != std::string::npos);
    CHECK(r.err.find("ATTNCHECK_MAX_MEMORY") != std::string::npos);
    CHECK_FALSE(file_exists(tmp.file("r.json")));
    setenv("ATTNCHECK_MAX_MEMORY", "2G", 1);
    const auto ok = run_cli({"run", "--kernel", "precise-v1", "--fixture", fx, "--json", tmp.file("r.json")});
    unsetenv("ATTNCHECK_MAX_MEMORY");
    CHECK(ok.exit_code == 0);
    CHECK(file_exists(tmp.file("r.json")));
  }
  SECTION("a bad ATTNCHECK_MAX_MEMORY is an error, not a silently missing guard") {
    setenv("ATTNCHECK_MAX_MEMORY", "lots", 1);
    const auto r = run_cli({"golden", "--fixture", source_dir() + "/fixtures/seed42", "--out", tmp.file("g.npy")});
    unsetenv("ATTNCHECK_MAX_MEMORY");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("ATTNCHECK_MAX_MEMORY=lots") != std::string::npos);
    CHECK_FALSE(file_exists(tmp.file("g.npy")));
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
