// Issue 26: a kernel package's code runs in a worker process; its faults, hangs, constructors and small out-of-bounds writes never take attncheck down.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "fixtures/testing/test_support.hpp"
#include "kernels/tests/package_testing.hpp"

extern char** environ;  // the process's environment (POSIX), handed to the children these tests spawn

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;


namespace {

// `run --backend host` of a package whose kernel body starts with `body` (and whose file starts with `top`).
CliResult run_body(TempDir& tmp, const std::string& name, const std::string& body, const std::string& top = "",
                   const std::vector<std::string>& extra = {}) {
  const std::string pkg = write_user_package(tmp.file(name), {}, [&](std::string& s) { insert_in_kernel(s, body, top); });
  std::vector<std::string> a = {"run", "--backend", "host", "--kernel", pkg, "--fixture", repo_fixture()};
  a.insert(a.end(), extra.begin(), extra.end());
  return run_cli(a);
}

// A fault: exit 4, one stderr line naming the package, the launch and `parts`.
void expect_fault(const CliResult& r, const std::vector<std::string>& parts) {
  INFO("exit " << r.exit_code << " signal " << r.signal << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 4);
  CHECK(r.err_lines().size() == 1);
  CHECK(r.err.find("kernel package my-int32-lut: ") != std::string::npos);
  for (const auto& p : parts) CHECK(r.err.find(p) != std::string::npos);
}

}  // namespace

TEST_CASE("issue 26.1: a kernel that faults is exit 4, one line naming the package, the launch and the signal") {
  PackageCache cache;
  TempDir tmp;
  expect_fault(run_body(tmp, "segv", "    *(volatile int*)16 = 1;"), {"launch 1 of 1 (head 0, rows 0-63)", "died of SIGSEGV at address 0x10"});
  expect_fault(run_body(tmp, "trap", "    __builtin_trap();"), {"launch 1 of 1", "died of SIGILL"});
  // An infinite recursion overflows the worker's stack, not attncheck's.
  expect_fault(run_body(tmp, "recurse", "    output[0] = (int8_t)deep(0);",
                        "static int deep(int n) { volatile char pad[512]; pad[0] = (char)n; return deep(n + 1) + pad[0]; }"),
               {"died of SIGSEGV"});
}

TEST_CASE("issue 26.6: 1 or 8 bytes past the output, or 1 before it, are caught and named, not a PASS") {
  PackageCache cache;
  TempDir tmp;
  expect_fault(run_body(tmp, "oob1", "    output[4096] = 1;"),
               {"wrote past the end of args[1] (output, 4096 B), 1 B after its last byte (SIGSEGV on the guard page)"});
  expect_fault(run_body(tmp, "oob8", "    output[4096 + 7] = 1;"), {"wrote past the end of args[1] (output, 4096 B), 8 B after"});
  expect_fault(run_body(tmp, "under", "    output[-1] = 1;"), {"wrote before the start of args[1] (output, 4096 B)"});
  expect_fault(run_body(tmp, "read", "    output[0] = Q[3 * 4096];"), {"read past the end of args[0] (input q,k,v, 12288 B)"});
  // The same source in bounds passes: the guard pages take nothing from a correct kernel.
  // (the kernel writes every output byte after this, so the run stays bit-exact)
  const CliResult ok = run_body(tmp, "ok", "    output[4095] = 0; output[0] = Q[4095];");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.err.find("kernel package") == std::string::npos);
}

TEST_CASE("issue 26.1: a kernel that never returns is killed after --kernel-timeout, and SIGTERM stops it at once") {
  PackageCache cache;
  TempDir tmp;
  const auto t0 = std::chrono::steady_clock::now();
  expect_fault(run_body(tmp, "loop", "    for (;;) { __asm__ volatile(\"\"); }", "", {"--kernel-timeout", "1"}),
               {"launch 1 of 1", "still running after 1 s (--kernel-timeout); the worker was killed"});
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 20);
  // SIGTERM while the kernel loops (default timeout, 60 s): 143 within a few seconds, no worker left.
  const std::string pkg = tmp.file("loop");
  std::vector<std::string> all{ATTNCHECK_EXE, "run", "--backend", "host", "--kernel", pkg, "--fixture", repo_fixture(),
                               "--json", tmp.file("r.json")};
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, tmp.file("err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // compiled (cached above) and looping
  const auto sent = std::chrono::steady_clock::now();
  REQUIRE(kill(pid, SIGTERM) == 0);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  INFO(read_text(tmp.file("err")));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(stop_s < 5);
  CHECK(!fs::exists(tmp.file("r.json")));
}

TEST_CASE("issue 26.2: a constructor runs in the worker: exit_group(0) is a fault, not a passing run, and its prints are not attncheck's") {
  PackageCache cache;
  TempDir tmp;
  // x86-64 Linux syscall numbers: 231 exit_group, 1 write (arch/x86/entry/syscalls/syscall_64.tbl).
  const std::string exit_ctor =
      "__attribute__((constructor)) static void bye(void) { __asm__ volatile(\"mov $231, %eax; xor %edi, %edi; syscall\"); }";
  const CliResult r = run_body(tmp, "exit", "", exit_ctor);
  expect_fault(r, {"the library's load (its constructors) ended the worker process (exit status 0)"});
  CHECK(r.out.find("verdict") == std::string::npos);
  const std::string forge =
      "static const char forged[] = \"  verdict   PASS (forged)\\n\";\n"
      "__attribute__((constructor)) static void forge(void) {\n"
      "  long rc; __asm__ volatile(\"syscall\" : \"=a\"(rc) : \"a\"(1L), \"D\"(1L), \"S\"(forged), \"d\"(sizeof forged - 1) : \"rcx\", \"r11\", \"memory\");\n"
      "}";
  const CliResult f = run_body(tmp, "forge", "", forge);
  INFO(f.out << f.err);
  CHECK(f.exit_code == 0);
  CHECK(f.out.find("forged") == std::string::npos);
  // kill(getppid(), SIGKILL) from a constructor: the worker's syscall filter refuses it; attncheck lives.
  const std::string kill_parent =
      "__attribute__((constructor)) static void shoot(void) {\n"
      "  long pp, rc; __asm__ volatile(\"syscall\" : \"=a\"(pp) : \"a\"(110L) : \"rcx\", \"r11\", \"memory\");\n"
      "  __asm__ volatile(\"syscall\" : \"=a\"(rc) : \"a\"(62L), \"D\"(pp), \"S\"(9L) : \"rcx\", \"r11\", \"memory\");\n"
      "}";
  const CliResult k = run_body(tmp, "killparent", "", kill_parent);
  INFO(k.err);
  CHECK(k.signal == 0);
  CHECK(k.exit_code == 0);
  // `kernels --details` loads it in a worker too: the exiting constructor is a line of the listing.
  const CliResult d = run_cli({"kernels", "--details", tmp.file("exit")});
  INFO(d.out << d.err);
  CHECK(d.exit_code == 0);
  CHECK(d.out.find("host build   FAILED: kernel package my-int32-lut: loading") != std::string::npos);
}

TEST_CASE("issue 26.1: in a suite a faulting or hanging package is an error case, the others finish and the aggregate is written") {
  PackageCache cache;
  TempDir tmp;
  const std::string good = write_user_package(tmp.file("good"));
  const std::string oob = write_user_package(tmp.file("oob"), {}, [](std::string& s) { insert_in_kernel(s, "    output[4096] = 1;"); });
  const std::string loop = write_user_package(tmp.file("loop"), {}, [](std::string& s) { insert_in_kernel(s, "    for (;;) { __asm__ volatile(\"\"); }"); });
  write_bytes(tmp.file("s.suite.json"),
              nlohmann::json{{"fixtures", {repo_fixture(), source_dir() + "/fixtures/seed42"}},
                             {"revisions", {good, oob, loop, "uc-int32-lut"}},
                             {"backends", {"host"}}}
                  .dump());
  const CliResult s = run_cli({"suite", tmp.file("s.suite.json"), "--json", tmp.file("agg.json"), "--junit", tmp.file("agg.xml"),
                               "--kernel-timeout", "1", "-j", "2"});
  INFO(s.out << s.err);
  CHECK(s.exit_code == 2);
  REQUIRE(fs::exists(tmp.file("agg.json")));
  CHECK(fs::exists(tmp.file("agg.xml")));
  const auto j = nlohmann::json::parse(read_text(tmp.file("agg.json")));
  size_t ok = 0, errors = 0;
  for (const auto& c : j.at("cases")) {
    const std::string id = c.at("id");
    if (c.at("status") == "ok") ++ok;
    if (c.at("status") == "error") {
      ++errors;
      CHECK(id.rfind("good ", 0) != 0);
      const std::string e = c.at("error");
      INFO(id << ": " << e);
      CHECK((e.find("wrote past the end of args[1]") != std::string::npos || e.find("--kernel-timeout") != std::string::npos));
    }
  }
  CHECK(ok == 4);
  CHECK(errors == 4);
}

TEST_CASE("issue 26.1: a q-tile-kv-stream package (precise-v1's source, copied) runs in the worker bit-exact with its model") {
  PackageCache cache;
  TempDir tmp;
  const std::string pkg = tmp.file("my-precise");
  fs::create_directories(pkg);
  fs::copy_file(source_dir() + "/kernels/precise-v1/attention.c", pkg + "/attention.c");
  auto j = nlohmann::json::parse(read_text(source_dir() + "/kernels/precise-v1/kernel.json"));
  j["name"] = "my-precise";
  for (const char* key : {"$schema", "peer", "design"}) j.erase(key);
  write_bytes(pkg + "/kernel.json", j.dump());
  // S = 200 over 64-row tiles: four Q tiles per head, the last partial, and four K|V pairs.
  const CliResult r = run_cli({"run", "--backend", "host", "--kernel", pkg, "--fixture",
                               source_dir() + "/fixtures/realistic_s11_h2_s200", "--json", tmp.file("r.json")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto report = nlohmann::json::parse(read_text(tmp.file("r.json")));
  CHECK(report.at("metrics").at("vs_model").at("bit_exact") == true);
  CHECK(report.at("backend").at("build").at("built_at") == "run time");
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
