// Issue 26.3-26.5: the host build of a package: a cache that verifies what it loads, bounded compiler processes, and a dialect no pragma lifts.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "fixtures/sha256.hpp"
#include "fixtures/testing/test_support.hpp"
#include "kernels/tests/package_testing.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::testing;
namespace fs = std::filesystem;

namespace {

CliResult run_host(const std::string& pkg, const std::string& json = "") {
  std::vector<std::string> a = {"run", "--backend", "host", "--kernel", pkg, "--fixture", repo_fixture()};
  if (!json.empty()) a.insert(a.end(), {"--json", json});
  return run_cli(a);
}

nlohmann::json build_of(const std::string& json) { return nlohmann::json::parse(read_text(json)).at("backend").at("build"); }

void expect_error(const CliResult& r, const std::vector<std::string>& parts) {
  INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err_lines().size() == 1);
  for (const auto& p : parts) CHECK(r.err.find(p) != std::string::npos);
}

// Sets an environment variable for one scope (the CLI runs inherit it), then puts it back.
struct Env {
  std::string name;
  std::optional<std::string> old;
  Env(const std::string& n, const char* value) : name(n) {
    if (const char* o = std::getenv(n.c_str())) old = o;
    if (value) setenv(n.c_str(), value, 1);
    else unsetenv(n.c_str());
  }
  ~Env() {
    if (old) setenv(name.c_str(), old->c_str(), 1);
    else unsetenv(name.c_str());
  }
};

std::string with_body(TempDir& tmp, const std::string& name, const std::string& body, const std::string& top = "") {
  return write_user_package(tmp.file(name), {}, [&](std::string& s) { insert_in_kernel(s, body, top); });
}

}  // namespace

TEST_CASE("issue 26.3: a library swapped into a cache entry is not loaded: its SHA-256 is checked and the entry rebuilt") {
  PackageCache cache;
  TempDir tmp;
  const std::string good = write_user_package(tmp.file("good"));
  REQUIRE(run_host(good, tmp.file("1.json")).exit_code == 0);
  const std::string lib = build_of(tmp.file("1.json")).at("library");
  const std::string recorded = sha256_file(lib);
  // Another package's library (it writes past its output) put in its place.
  const std::string evil = with_body(tmp, "evil", "    output[4096] = 1;");
  REQUIRE(run_host(evil, tmp.file("e.json")).exit_code == 4);
  const std::string evil_lib = lib.substr(0, lib.rfind('/')) + "/" ;
  std::string other;
  for (const auto& f : fs::directory_iterator(evil_lib))
    if (f.path().extension() == ".so" && f.path().string() != lib) other = f.path().string();
  REQUIRE(!other.empty());
  fs::copy_file(other, lib, fs::copy_options::overwrite_existing);
  const CliResult r = run_host(good, tmp.file("2.json"));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(build_of(tmp.file("2.json")).at("cached") == false);
  CHECK(sha256_file(lib) == recorded);
  // An unchanged entry is reused.
  REQUIRE(run_host(good, tmp.file("3.json")).exit_code == 0);
  CHECK(build_of(tmp.file("3.json")).at("cached") == true);
}

TEST_CASE("issue 26.3: a cache directory others can write, or another user's, is refused in one line, and no /tmp fallback") {
  TempDir tmp;
  const std::string pkg = write_user_package(tmp.file("pkg"));
  const std::string open_dir = tmp.file("open");
  fs::create_directories(open_dir);
  fs::permissions(open_dir, fs::perms::all, fs::perm_options::replace);
  {
    Env e("ATTNCHECK_CACHE_DIR", open_dir.c_str());
    expect_error(run_host(pkg), {open_dir + ": the kernel cache has mode 0777", "chmod 700"});
  }
  // The entries' own directory must be 0700.
  const std::string root = tmp.file("root");
  fs::create_directories(root + "/kernels");
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(root + "/kernels", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, fs::perm_options::replace);
  {
    Env e("ATTNCHECK_CACHE_DIR", root.c_str());
    expect_error(run_host(pkg), {root + "/kernels: the kernel cache has mode 0750; it must be 0700"});
  }
  if (geteuid() == 0) {
    const std::string theirs = tmp.file("theirs");
    fs::create_directories(theirs);
    fs::permissions(theirs, fs::perms::owner_all, fs::perm_options::replace);
    REQUIRE(chown(theirs.c_str(), 65534, 65534) == 0);
    Env e("ATTNCHECK_CACHE_DIR", theirs.c_str());
    expect_error(run_host(pkg), {theirs + ": the kernel cache belongs to uid 65534, not to you"});
  }
  // No HOME, no XDG_CACHE_HOME: built in a private directory under TMPDIR, nothing in a shared one.
  const std::string private_tmp = tmp.file("tmpdir");
  fs::create_directories(private_tmp);
  {
    Env a("ATTNCHECK_CACHE_DIR", nullptr), b("XDG_CACHE_HOME", nullptr), c("HOME", nullptr), d("TMPDIR", private_tmp.c_str());
    const CliResult r = run_host(pkg, tmp.file("nohome.json"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string lib = build_of(tmp.file("nohome.json")).at("library");
    CHECK(lib.rfind(private_tmp + "/attncheck-nocache-", 0) == 0);
    CHECK(!fs::exists(fs::temp_directory_path() / "attncheck-cache"));
  }
}

TEST_CASE("issue 26.3: an empty entries header (a full disk) is never reused: the prototype check still holds") {
  PackageCache cache;
  TempDir tmp;
  // kernel.json declares 4 arguments, the C function takes 3.
  const std::string pkg = write_user_package(tmp.file("four"), [](nlohmann::json& j) {
    j["args"].push_back({{"param", "extra"}, {"type", "uint32"}, {"default", 0}});
    j.erase("model");
  });
  expect_error(run_host(pkg), {"conflicting types for"});
  size_t emptied = 0;
  for (const auto& f : fs::directory_iterator(cache.path + "/kernels"))
    if (f.path().filename().string().rfind("entries-", 0) == 0) write_bytes(f.path().string(), ""), ++emptied;
  REQUIRE(emptied > 0);
  expect_error(run_host(pkg), {"conflicting types for"});
}

TEST_CASE("issue 26.3: what is compiled is what was hashed: a source edited after preprocessing does not get in") {
  PackageCache cache;
  TempDir tmp;
  const std::string pkg = write_user_package(tmp.file("pkg"));
  const std::string src = pkg + "/attention_int8_64x64_tiled.c";
  // A compiler that, after each preprocess, appends an error to the source: as an editor saving mid-build.
  write_bytes(tmp.file("cc.sh"), "#!/bin/sh\ncc \"$@\"; rc=$?\ncase \" $* \" in *\" -E \"*) echo '#error edited after preprocessing' >> " + src +
                                     ";; esac\nexit $rc\n");
  fs::permissions(tmp.file("cc.sh"), fs::perms::owner_all);
  {
    Env e("ATTNCHECK_CC", tmp.file("cc.sh").c_str());
    const CliResult r = run_host(pkg, tmp.file("1.json"));
    INFO(r.err);
    CHECK(r.exit_code == 0);  // built from the text that was preprocessed and hashed
  }
  // The edit is a new program: a new key, the error, not the earlier library.
  expect_error(run_host(pkg), {"attention_int8_64x64_tiled.c:", "#error edited after preprocessing"});
}

TEST_CASE("issue 26.4: a FIFO or a device as an include is refused before the compiler reads it, and a blocked compile is killed") {
  PackageCache cache;
  TempDir tmp;
  REQUIRE(mkfifo(tmp.file("fifo.h").c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  expect_error(run_host(with_body(tmp, "fifo", "", "#include \"" + tmp.file("fifo.h") + "\"")), {"fifo.h\" is a FIFO", "refused before the compiler"});
  expect_error(run_host(with_body(tmp, "zero", "", "#include \"/dev/zero\"")), {"#include \"/dev/zero\" is a character device"});
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 30);
  // A macro hides the name from the scan: the compiler's time limit stops it.
  {
    Env e("ATTNCHECK_COMPILE_TIMEOUT", "2");
    const auto t1 = std::chrono::steady_clock::now();
    expect_error(run_host(with_body(tmp, "hidden", "", "#define FIFO_H \"" + tmp.file("fifo.h") + "\"\n#include FIFO_H")),
                 {"did not finish within 2 s (ATTNCHECK_COMPILE_TIMEOUT) and was killed"});
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() < 20);
  }
  // A source that is a FIFO, or not C.
  REQUIRE(mkfifo(tmp.file("k.c").c_str(), 0600) == 0);
  const std::string as_fifo = write_user_package(tmp.file("srcfifo"), [&](nlohmann::json& j) { j["sources"] = {tmp.file("k.c")}; });
  expect_error(run_host(as_fifo), {"source " + tmp.file("k.c") + " is not a file"});
}

TEST_CASE("issue 26.4: compiler output is capped: 2^16 macro errors give one line, quickly, in bounded memory") {
  PackageCache cache;
  TempDir tmp;
  // Each E4 expands to 16 undeclared identifiers, 4 levels: 65,536 errors.
  const std::string flood = "#define E0 u_ndeclared++;\n#define E1 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0 E0\n"
                            "#define E2 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1 E1\n#define E3 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2 E2\n"
                            "#define E4 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3\n";
  const auto t0 = std::chrono::steady_clock::now();
  const CliResult r = run_host(with_body(tmp, "flood", "    E4", flood));
  expect_error(r, {"u_ndeclared"});
  CHECK(r.err.size() < 1000);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 120);
}

TEST_CASE("issue 26.5: only .c sources, and a target pragma or attribute cannot bring floating point back") {
  PackageCache cache;
  TempDir tmp;
  for (const char* ext : {".so", ".s", ".o", ""}) {
    const std::string name = std::string("/etc/passwd") + ext;
    const std::string pkg = write_user_package(tmp.file(std::string("src") + ext), [&](nlohmann::json& j) {
      j["sources"] = {"attention_int8_64x64_tiled.c", name};
    });
    expect_error(run_host(pkg), {"source " + name + " is not a .c file"});
  }
  const std::string fp_fn = "__attribute__((noinline)) static int scaled(int x) { volatile float f = (float)x * 0.5f; return (int)f; }\n";
  expect_error(run_host(with_body(tmp, "pragma", "    output[0] = (int8_t)scaled(Q[0]);",
                                  "#pragma GCC target(\"sse2\")\n" + fp_fn)),
               {"function scaled uses floating point or vector registers", "integer-only"});
  expect_error(run_host(with_body(tmp, "attr", "    output[0] = (int8_t)scaled(Q[0]);",
                                  "__attribute__((target(\"sse2\")))\n" + fp_fn)),
               {"function scaled uses floating point or vector registers"});
  // The FP control register (a constructor that changed MXCSR changed the golden model, issue 26.2).
  expect_error(run_host(with_body(tmp, "mxcsr", "",
                                  "__attribute__((constructor)) static void rz(void) { unsigned m = 0x7f80u; __asm__ volatile(\"ldmxcsr %0\" :: \"m\"(m)); }")),
               {"uses floating point or vector registers (ldmxcsr"});
}

TEST_CASE("issue 26.8: the compiler's own words are kept: a linker's multiple definition, and a read-only cache says so") {
  PackageCache cache;
  TempDir tmp;
  const std::string pkg = write_user_package(tmp.file("twice"), [](nlohmann::json& j) {
    j["sources"] = {"attention_int8_64x64_tiled.c", "again.c"};
  });
  write_bytes(pkg + "/again.c", "#include <stdint.h>\nvoid attention_64x64(const int8_t* a, int8_t* b, uint32_t c) { (void)a; (void)b; (void)c; }\n");
  expect_error(run_host(pkg), {"multiple definition of `attention_64x64'"});
  if (geteuid() != 0) {  // root writes through mode bits
    const std::string ro = tmp.file("ro");
    fs::create_directories(ro + "/kernels");
    fs::permissions(ro + "/kernels", fs::perms::owner_read | fs::perms::owner_exec, fs::perm_options::replace);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec, fs::perm_options::replace);
    Env e("ATTNCHECK_CACHE_DIR", ro.c_str());
    expect_error(run_host(write_user_package(tmp.file("pkg"))), {ro + "/kernels: cannot write the kernel cache: Permission denied"});
    fs::permissions(ro, fs::perms::owner_all, fs::perm_options::replace);
    fs::permissions(ro + "/kernels", fs::perms::owner_all, fs::perm_options::replace);
  }
}

TEST_CASE("issue 26.4: scratch files go under TMPDIR") {
  PackageCache cache;
  TempDir tmp;
  const std::string t = tmp.file("scratch");
  fs::create_directories(t);
  write_bytes(tmp.file("cc.sh"), "#!/bin/sh\necho \"$@\" >> " + tmp.file("args.txt") + "\nexec cc \"$@\"\n");
  fs::permissions(tmp.file("cc.sh"), fs::perms::owner_all);
  Env a("ATTNCHECK_CC", tmp.file("cc.sh").c_str()), b("TMPDIR", t.c_str());
  REQUIRE(run_host(write_user_package(tmp.file("pkg"))).exit_code == 0);
  const std::string args = read_text(tmp.file("args.txt"));
  INFO(args);
  CHECK(args.find(" -o " + t + "/attncheck-cc-") != std::string::npos);
  CHECK(args.find("/tmp/attncheck-cc-") == std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
