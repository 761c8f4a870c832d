// Compiles a kernel package's C sources at run time under the device dialect, caches the shared object, and loads its entries.
#include "kernels/host_compile.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

extern char** environ;

namespace attncheck {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;  // exit code, or -1 when it did not start or died of a signal
  std::string output;  // stdout and stderr together
};

// argv[0] through PATH, no shell: the user's paths are arguments, never shell text.
Ran run_capture(const std::vector<std::string>& argv) {
  char out_path[] = "/tmp/attncheck-cc-XXXXXX";
  const int fd = mkstemp(out_path);
  if (fd < 0) throw InputError(std::string("host compile: cannot create a temporary file: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fd, 1);
  posix_spawn_file_actions_adddup2(&fa, fd, 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  Ran r;
  if (rc == 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    r.output = argv[0] + ": cannot start: " + std::strerror(rc);
  }
  close(fd);
  std::ifstream in(out_path);
  std::stringstream s;
  s << in.rdbuf();
  r.output += s.str();
  unlink(out_path);
  return r;
}

std::string compiler() {
  const char* cc = std::getenv("ATTNCHECK_CC");
  return cc && *cc ? cc : "cc";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string cache_root() {
  if (const char* d = std::getenv("ATTNCHECK_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/attncheck";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/attncheck";
  return (fs::temp_directory_path() / "attncheck-cache").string();
}

// The line a user fixes: the first "error:" (or the linker's "undefined reference"), else the
// first line of the output.
std::string compile_error_line(const std::string& output) {
  std::istringstream in(output);
  std::string line, linker;
  while (std::getline(in, line)) {
    if (line.rfind("collect2:", 0) == 0) continue;  // "ld returned 1": the linker's own line said why
    if (line.find(": error:") != std::string::npos || line.find(": fatal error:") != std::string::npos) return line;
    if (linker.empty() && line.find("undefined reference to") != std::string::npos) linker = line;
  }
  if (!linker.empty()) {
    static const std::regex sym("undefined reference to `([^']+)'");
    std::smatch m;
    if (std::regex_search(linker, m, sym))
      return linker + " (a core has no libc: " + m[1].str() + " must be defined by the package's sources)";
    return linker;
  }
  return first_line(output);
}

std::vector<std::string> warning_lines(const std::string& output) {
  std::vector<std::string> w;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (line.find(": warning:") != std::string::npos) w.push_back(line);
  return w;
}

// A 64-bit divide has no AIE2 instruction (Peano calls a runtime helper the kernel cannot link);
// x86-64 divides natively, so the host object is searched for it: div/idiv on a 64-bit register or
// a quadword operand. Returns "function" of the first one, or "".
std::string first_64bit_division(const std::string& library) {
  const Ran r = run_capture({"objdump", "-d", "--no-show-raw-insn", library});
  if (r.status != 0) return "";
  static const std::regex fn(R"(^[0-9a-f]+ <([^>]+)>:)");
  static const std::regex div64(R"(\s(i?div)(q\s|\s+%r([a-z]{2}|[0-9]{1,2})(\s|$)))");
  std::istringstream in(r.output);
  std::string line, current;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, fn)) current = m[1].str();
    else if (std::regex_search(line, div64)) return current.empty() ? "?" : current;
  }
  return "";
}

// What the user's line means in the device dialect.
std::string explained(std::string line, const KernelPackage& pkg) {
  if (line.find("conflicting types for") != std::string::npos)
    line += " [" + pkg.path + " declares " + (pkg.layout == PackageLayout::head_tile ? pkg.prototype() : "the layout's entries") + "]";
  else if (line.find("SSE") != std::string::npos || line.find("x87") != std::string::npos)
    line += " [floating point: an AIE2 core kernel is integer-only]";
  return line;
}

std::mutex g_mu;

}  // namespace

std::vector<std::string> package_compile_flags() {
  std::vector<std::string> f = {"-std=c99", "-Wall", "-Wextra", "-ffreestanding", "-O2", "-fPIC"};
#if defined(__x86_64__)
  f.push_back("-mgeneral-regs-only");
#endif
  // GCC turns copy and fill loops into memcpy/memset calls, which a core without libc lacks.
  f.push_back("-fno-tree-loop-distribute-patterns");
  return f;
}

nlohmann::json CompiledPackage::json() const {
  return {{"compiler", compiler}, {"flags", flags}, {"library", library}, {"cached", cached}, {"warnings", warnings}};
}

CompiledPackage compile_package(const KernelPackage& pkg) {
  std::lock_guard<std::mutex> lock(g_mu);
  const std::string cc = compiler();
  const std::string where = pkg.path;
  for (const auto& src : pkg.sources) {
    std::error_code ec;
    if (!fs::is_regular_file(src, ec)) throw InputError(where + ": source " + src + " is not a file");
  }
  for (const auto& dir : pkg.include_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError(where + ": include_dirs " + dir + " is not a directory");
  }
  const Ran version = run_capture({cc, "--version"});
  if (version.status != 0)
    throw InputError(where + ": --backend host needs a C compiler to build the package: " + cc + " does not run (" +
                     first_line(version.output) + "); set ATTNCHECK_CC");

  CompiledPackage out;
  out.compiler = first_line(version.output);
  out.flags = package_compile_flags();
  const std::string root = cache_root() + "/kernels";
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw InputError(root + ": cannot create the kernel cache: " + ec.message() + " (set ATTNCHECK_CACHE_DIR)");

  // The declarations, hashed by content, sit in the cache so the key below covers them.
  const std::string decl_text = entry_declarations(pkg);
  const std::string decl = root + "/entries-" +
                           sha256_hex(reinterpret_cast<const uint8_t*>(decl_text.data()), decl_text.size()).substr(0, 16) + ".h";
  if (!fs::exists(decl)) {
    const std::string tmp = decl + ".tmp" + std::to_string(getpid());
    std::ofstream(tmp) << decl_text;
    fs::rename(tmp, decl, ec);
  }
  std::vector<std::string> base = {cc};
  base.insert(base.end(), out.flags.begin(), out.flags.end());
  for (const auto& d : pkg.include_dirs) base.push_back("-I" + d);
  base.push_back("-include");
  base.push_back(decl);

  // Key: what the compiler sees (each source preprocessed: headers included), who compiles, how.
  std::string key_text = out.compiler + "\n" + decl_text;
  for (const auto& f : out.flags) key_text += f + " ";
  for (const auto& src : pkg.sources) {
    std::vector<std::string> e = base;
    e.insert(e.end(), {"-E", "-P", src});
    const Ran pre = run_capture(e);
    if (pre.status != 0) throw InputError(explained(compile_error_line(pre.output), pkg));
    key_text += "\n--- " + fs::path(src).filename().string() + "\n" + pre.output;
  }
  const std::string key = sha256_hex(reinterpret_cast<const uint8_t*>(key_text.data()), key_text.size()).substr(0, 32);
  out.library = root + "/" + pkg.name + "-" + key + ".so";
  const std::string warn_file = out.library + ".warnings";

  if (fs::is_regular_file(out.library, ec)) {
    out.cached = true;
    std::ifstream w(warn_file);
    std::string line;
    while (std::getline(w, line)) out.warnings.push_back(line);
  } else {
    const std::string tmp = out.library + ".tmp" + std::to_string(getpid());
    std::vector<std::string> c = base;
    c.insert(c.end(), {"-shared", "-nostdlib", "-Wl,-z,defs", "-o", tmp});
    c.insert(c.end(), pkg.sources.begin(), pkg.sources.end());
    const Ran built = run_capture(c);
    if (built.status != 0) {
      fs::remove(tmp, ec);
      throw InputError(explained(compile_error_line(built.output), pkg));
    }
    const std::string div = first_64bit_division(tmp);
    if (!div.empty()) {
      fs::remove(tmp, ec);
      throw InputError(where + ": function " + div + " divides 64-bit integers, which an AIE2 core cannot (no 64-bit divide)");
    }
    out.warnings = warning_lines(built.output);
    {
      std::ofstream w(warn_file);
      for (const auto& l : out.warnings) w << l << "\n";
    }
    fs::rename(tmp, out.library, ec);
    if (ec) throw InputError(out.library + ": cannot store the compiled kernel: " + ec.message());
  }

  void* h = dlopen(out.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw InputError(out.library + ": cannot load the compiled kernel: " + first_line(dlerror()));
  std::string files;
  for (const auto& s : pkg.sources) files += (files.empty() ? "" : ", ") + fs::path(s).filename().string();
  for (const auto& sym : pkg.entry_symbols()) {
    void* p = dlsym(h, sym.c_str());
    if (!p) throw InputError(where + ": entry " + sym + " is not defined by " + files);
    out.symbols[sym] = p;
  }
  return out;
}

KernelFacts measure_package_stack(const KernelPackage& pkg) {
  KernelFacts f;
  f.revision = pkg.name;
  f.entries = pkg.entry_symbols();
  f.sources = pkg.sources;
  f.design_file = pkg.design;
  if (!pkg.design.empty()) {
    std::ifstream in(pkg.design, std::ios::binary);
    if (!in) throw InputError(pkg.path + ": design " + pkg.design + " cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      const DesignStack d = parse_design_stack(ss.str(), pkg.design);
      f.stack_reserved = d.bytes;
      f.reserved_by_default = d.by_default;
    } catch (const std::runtime_error& e) {
      throw InputError(e.what());
    }
  } else {
    f.stack_reserved = kDefaultCoreStack;
    f.reserved_by_default = true;
  }
  const std::string cc = compiler();
  // The built-ins' measuring flags: the device dialect, no shared-object code, and on x86-64 no red
  // zone (frames below SP would hide from the measure).
  std::vector<std::string> flags = {"-std=c99", "-ffreestanding", "-O2", "-fno-tree-loop-distribute-patterns", "-w"};
#if defined(__x86_64__)
  flags.insert(flags.end(), {"-mgeneral-regs-only", "-mno-red-zone"});
#endif
  flags.push_back("-fcallgraph-info=su");
  f.measured_with = first_line(run_capture({cc, "--version"}).output);
  for (const auto& fl : flags) f.measured_with += " " + fl;

  std::error_code ec;
  const fs::path dir = fs::path(cache_root()) / ("stack-" + std::to_string(getpid()) + "-" + pkg.name);
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir.string() + ": cannot create a directory for the stack measure: " + ec.message());
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(d, e);
    }
  } cleanup{dir};
  const std::string decl = (dir / "entries.h").string();
  std::ofstream(decl) << entry_declarations(pkg);
  CallGraph g;
  for (size_t i = 0; i < pkg.sources.size(); ++i) {
    std::vector<std::string> c = {cc};
    c.insert(c.end(), flags.begin(), flags.end());
    for (const auto& d : pkg.include_dirs) c.push_back("-I" + d);
    const std::string obj = (dir / ("s" + std::to_string(i) + ".o")).string();
    c.insert(c.end(), {"-include", decl, "-c", pkg.sources[i], "-o", obj});
    const Ran r = run_capture(c);
    const std::string ci = (dir / ("s" + std::to_string(i) + ".ci")).string();
    if (r.status != 0 || !fs::is_regular_file(ci, ec)) {
      if (r.output.find("callgraph-info") != std::string::npos || r.status == 0) {
        f.need_bounded = false;
        f.notes.push_back("not measured: " + first_line(f.measured_with) + " has no -fcallgraph-info (GCC 10 or later measures)");
        return f;
      }
      throw InputError(explained(compile_error_line(r.output), pkg));
    }
    std::ifstream in(ci);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      parse_callgraph_info(ss.str(), ci, &g);
    } catch (const std::runtime_error& e) {
      throw InputError(pkg.path + ": the stack measure's call graph: " + e.what());
    }
  }
  // As for the built-ins: the deepest of the entries' chains; unbounded if any of them is.
  bool first = true;
  for (const auto& entry : f.entries) {
    ChainResult c;
    try {
      c = deepest_chain(g, entry);
    } catch (const std::runtime_error& e) {
      throw InputError(pkg.path + ": entry " + entry + ": " + e.what());
    }
    f.need_bounded = f.need_bounded && c.bounded;
    for (const auto& n : c.notes) f.notes.push_back(entry + ": " + n);
    if (first || c.bytes > f.stack_need) {
      f.entry = entry;
      f.stack_need = c.bytes;
      f.chain = c.chain;
    }
    first = false;
  }
  return f;
}

}  // namespace attncheck
