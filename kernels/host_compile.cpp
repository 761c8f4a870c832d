// Compiles a kernel package's C sources at run time under the device dialect, with bounded compiler processes, into a verified cache.
#include "kernels/host_compile.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

extern char** environ;

namespace attncheck {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;     // exit code, or -1 when it did not start or died of a signal
  std::string output;  // stdout and stderr together, the first kOutputCap bytes
  std::string limit;   // which bound stopped it: "" or a sentence
};

// Every compiler process is bounded: a source of macro errors printed 251 MB, `#include "/dev/zero"`
// grew cc1 until allocation failed, a FIFO blocked it forever (issue 26.4).
constexpr size_t kOutputCap = 64 * 1024;
constexpr rlim_t kCompilerMemory = rlim_t(2) << 30;  // address space of cc, cc1, as, ld each
constexpr rlim_t kCompilerFileSize = rlim_t(256) << 20;  // any file one writes (a .i, a .so)

double compile_timeout() {
  if (const char* t = std::getenv("ATTNCHECK_COMPILE_TIMEOUT"); t && *t) {
    char* end = nullptr;
    const double v = std::strtod(t, &end);
    if (end && *end == 0 && v > 0 && v <= 86400) return v;
    throw InputError(std::string("ATTNCHECK_COMPILE_TIMEOUT: ") + t + " is not a number of seconds in 0..86400");
  }
  return 300;
}

// argv[0] through PATH, no shell: the user's paths are arguments, never shell text. The child gets
// its own process group (a timeout or a signal kills cc and cc1 together) and the limits above.
Ran run_capture(const std::vector<std::string>& argv, size_t cap = kOutputCap) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw InputError(std::string("host compile: pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    throw InputError(std::string("host compile: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    setpgid(0, 0);
    const int in = open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    const rlimit as{kCompilerMemory, kCompilerMemory}, fsz{kCompilerFileSize, kCompilerFileSize};
    setrlimit(RLIMIT_AS, &as);
    setrlimit(RLIMIT_FSIZE, &fsz);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execvp(args[0], args.data());
    const char msg[] = ": cannot start the compiler\n";
    (void)!write(2, args[0], std::strlen(args[0]));
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever runs first, the group exists before a kill
  close(fds[1]);
  Ran r;
  size_t total = 0;
  const double limit = compile_timeout();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
  bool open_pipe = true;
  int status = 0;
  for (;;) {
    if (const int sig = g_interrupt_signal.load()) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      close(fds[0]);
      throw Interrupted(sig);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      char t[32];
      std::snprintf(t, sizeof t, "%g", limit);
      r.limit = std::string("did not finish within ") + t + " s (ATTNCHECK_COMPILE_TIMEOUT) and was killed";
      break;
    }
    if (!open_pipe) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      usleep(2000);
      continue;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[16384];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open_pipe = false;
      continue;
    }
    total += static_cast<size_t>(n);
    if (r.output.size() < cap) r.output.append(buf, std::min(static_cast<size_t>(n), cap - r.output.size()));
  }
  close(fds[0]);
  if (!r.limit.empty()) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    kill(-pid, SIGKILL);  // whatever of the group is left
    return r;
  }
  kill(-pid, SIGKILL);  // a grandchild (cc1) that outlived cc
  if (WIFEXITED(status)) {
    r.status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.limit = WTERMSIG(status) == SIGXFSZ ? "wrote a file over 256 MB and was stopped"
                                          : std::string("died of signal ") + std::to_string(WTERMSIG(status));
  }
  if (total > cap) r.output += "\n[attncheck: " + std::to_string(total - cap) + " more bytes of compiler output dropped]";
  return r;
}

std::string compiler() {
  const char* cc = std::getenv("ATTNCHECK_CC");
  return cc && *cc ? cc : "cc";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string mode_text(mode_t m) {
  char b[8];
  std::snprintf(b, sizeof b, "%04o", static_cast<unsigned>(m & 07777));
  return b;
}

// Where entries live. A cache is code attncheck runs, so only a directory of the user's own that no
// one else can write is trusted: never a shared /tmp fallback (issue 26.3). "" when there is no home
// to cache in: then every build goes to a private temporary directory.
std::string cache_root() {
  if (const char* d = std::getenv("ATTNCHECK_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/attncheck";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/attncheck";
  return "";
}

// Creates `dir` (mode 0700 when it creates it) and refuses, in one line, one it cannot trust: not a
// directory, another owner, or writable by group or others (`strict`: any group/other access).
void trusted_dir(const std::string& dir, bool strict) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw InputError(dir + ": cannot create the kernel cache: " + std::strerror(errno) + " (set ATTNCHECK_CACHE_DIR)");
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) throw InputError(dir + ": the kernel cache: " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) throw InputError(dir + ": the kernel cache is not a directory (set ATTNCHECK_CACHE_DIR)");
  if (st.st_uid != geteuid())
    throw InputError(dir + ": the kernel cache belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
                     std::to_string(geteuid()) + "): attncheck loads no code another user could have planted (set ATTNCHECK_CACHE_DIR)");
  if ((st.st_mode & (strict ? 077 : 022)) != 0)
    throw InputError(dir + ": the kernel cache has mode " + mode_text(st.st_mode) + "; it must be " + (strict ? "0700" : "writable by you alone") +
                     " (chmod 700 " + dir + ")");
}

// Writes `text` to `path` through a temporary file and a rename, checking every step: a full disk
// or a read-only directory is an error, never an empty or partial file left for the next run.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp" + std::to_string(getpid()) + "." + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()) % 100000);
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw InputError(fs::path(path).parent_path().string() + ": cannot write the kernel cache: " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      close(fd);
      unlink(tmp.c_str());
      throw InputError(path + ": cannot write the kernel cache: " + std::strerror(n < 0 ? e : ENOSPC));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    throw InputError(path + ": cannot write the kernel cache: " + std::strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw InputError(path + ": cannot write the kernel cache: " + std::strerror(e));
  }
}

std::string read_small(const std::string& path, size_t cap = 1 << 20) {
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  std::string out;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= cap) {
    out.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = read(fd, &out[got], out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out.resize(got);
  }
  close(fd);
  return out;
}

// The line a user fixes: the first "error:" (or the linker's own words: an undefined reference, a
// multiple definition), else the first line of the output; a bound that stopped the compiler first.
std::string compile_error_line(const Ran& ran) {
  const std::string& output = ran.output;
  std::istringstream in(output);
  std::string line, linker, first;
  while (std::getline(in, line)) {
    if (first.empty() && !line.empty() && line.find(": In function") == std::string::npos) first = line;
    if (line.rfind("collect2:", 0) == 0) continue;  // "ld returned 1": the linker's own line said why
    if (line.find(": error:") != std::string::npos || line.find(": fatal error:") != std::string::npos) return line;
    if (linker.empty() && (line.find("undefined reference to") != std::string::npos ||
                           line.find("multiple definition of") != std::string::npos))
      linker = line;
  }
  if (!linker.empty()) {
    static const std::regex sym("undefined reference to `([^']+)'");
    std::smatch m;
    if (std::regex_search(linker, m, sym))
      return linker + " (a core has no libc: " + m[1].str() + " must be defined by the package's sources)";
    return linker;
  }
  if (!ran.limit.empty()) return "the compiler " + ran.limit + (first.empty() ? "" : ": " + first);
  if (first.empty()) return "the compiler failed (exit status " + std::to_string(ran.status) + ") and printed nothing";
  return first;
}

std::vector<std::string> warning_lines(const std::string& output) {
  std::vector<std::string> w;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (line.find(": warning:") != std::string::npos) w.push_back(line);
  return w;
}

// What the object must not hold, from its disassembly; "" when it is clean. A 64-bit divide has no
// AIE2 instruction (Peano calls a runtime helper the kernel cannot link); x86-64 divides natively,
// so div/idiv on a 64-bit register or a quadword operand is searched for. Floating point is refused
// by -mgeneral-regs-only, but `#pragma GCC target("sse2")` or `__attribute__((target("sse2")))`
// switch it back on for a function (issue 26.5), so the object is searched for it too: an x87
// instruction (mnemonic f...), an SSE/AVX register (%xmm, %ymm, %zmm), MMX (%mm), or the FP control
// register (ldmxcsr, stmxcsr).
std::string forbidden_instruction(const std::string& library, const std::string& where) {
  const Ran r = run_capture({"objdump", "-d", "--no-show-raw-insn", library}, size_t(256) << 20);
  if (r.status != 0 || !r.limit.empty())
    throw InputError(where + ": cannot check the compiled object: objdump " + (r.limit.empty() ? "failed: " + first_line(r.output) : r.limit));
  static const std::regex fn(R"(^[0-9a-f]+ <([^>]+)>:)");
  static const std::regex insn(R"(^\s*[0-9a-f]+:\s+(\S+)(.*)$)");
  static const std::regex div64(R"(\s(i?div)(q\s|\s+%r([a-z]{2}|[0-9]{1,2})(\s|$)))");
  static const std::regex fp_reg(R"(%(x|y|z)mm[0-9]|%st\b|%st\(|%mm[0-7])");
  std::istringstream in(r.output);
  std::string line, current;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, fn)) {
      current = m[1].str();
      continue;
    }
    if (std::regex_search(line, div64))
      return "function " + (current.empty() ? "?" : current) + " divides 64-bit integers, which an AIE2 core cannot (no 64-bit divide)";
#if defined(__x86_64__)
    if (!std::regex_search(line, m, insn)) continue;
    const std::string mnemonic = m[1].str(), operands = m[2].str();
    if (mnemonic == "ldmxcsr" || mnemonic == "stmxcsr" || mnemonic == "vldmxcsr" || mnemonic == "vstmxcsr" ||
        mnemonic == "emms" || (mnemonic[0] == 'f' && mnemonic != "fs") || std::regex_search(operands, fp_reg))
      return "function " + (current.empty() ? "?" : current) + " uses floating point or vector registers (" + mnemonic +
             operands.substr(0, 40) + "), which an AIE2 core kernel cannot: it is integer-only (a target pragma or attribute "
             "does not lift -mgeneral-regs-only)";
#endif
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

namespace {

// A file the build read, as it was: the next call reuses the build while every one is unchanged.
struct Dep {
  std::string path;
  dev_t dev;
  ino_t ino;
  off_t size;
  int64_t mtime_ns, ctime_ns;
};

bool stat_of(const std::string& path, Dep* d) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return false;
  *d = {path, st.st_dev, st.st_ino, st.st_size, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
        int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
  return true;
}

bool unchanged(const Dep& d) {
  Dep now;
  return stat_of(d.path, &now) && now.dev == d.dev && now.ino == d.ino && now.size == d.size && now.mtime_ns == d.mtime_ns &&
         now.ctime_ns == d.ctime_ns;
}

// Per process: a compiler's --version (once per compiler, not once per case) and each package's last
// build with the files it read, so 1,000 cases of one package stat their files instead of running
// cc -E 1,000 times (issue 26.8).
std::map<std::string, std::string> g_versions;
struct Memo {
  std::vector<Dep> deps;
  std::string library, sha256;
  std::vector<std::string> warnings;
};
std::map<std::string, Memo> g_memo;

std::string sha_text(const std::string& s) { return sha256_hex(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

const char* kind_of(mode_t m) {
  return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket"
         : S_ISDIR(m) ? "a directory" : "not a regular file";
}

// The #include lines of the package's own files, followed before the compiler runs: a FIFO blocks the
// preprocessor forever and /dev/zero grows it without end, so both are refused here, in one line.
// An include built by a macro escapes this scan; the compiler's limits stop it.
void check_includes(const std::string& file, const KernelPackage& pkg, std::set<std::string>& seen, int depth) {
  if (depth > 64 || !seen.insert(file).second) return;
  static const std::regex inc(R"(^\s*#\s*include\s*([<"])([^>"]*)[>"])");
  const std::string text = read_small(file, 16 << 20);
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!std::regex_search(line, m, inc)) continue;
    const std::string name = m[2].str();
    std::vector<std::string> candidates;
    if (!name.empty() && name[0] == '/') {
      candidates.push_back(name);
    } else {
      if (m[1].str() == "\"") candidates.push_back((fs::path(file).parent_path() / name).string());
      for (const auto& d : pkg.include_dirs) candidates.push_back((fs::path(d) / name).string());
    }
    for (const auto& c : candidates) {
      struct stat st {};
      if (stat(c.c_str(), &st) != 0) continue;
      if (!S_ISREG(st.st_mode))
        throw InputError(file + ": #include " + m[1].str() + name + (m[1].str() == "<" ? ">" : "\"") + " is " + kind_of(st.st_mode) +
                         ", not a header: refused before the compiler reads it");
      check_includes(fs::path(c).lexically_normal().string(), pkg, seen, depth + 1);
      break;
    }
  }
}

// make's dependency syntax: "target: dep dep \<newline> dep", spaces in names as "\ ".
std::vector<std::string> parse_depfile(const std::string& text) {
  std::vector<std::string> deps;
  const size_t colon = text.find(": ");
  std::string cur;
  for (size_t i = colon == std::string::npos ? text.size() : colon + 2; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
    } else if (c == '\\' && i + 1 < text.size() && text[i + 1] == ' ') {
      cur += ' ', ++i;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      if (!cur.empty()) deps.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) deps.push_back(cur);
  return deps;
}

// A private scratch directory under TMPDIR, removed with everything in it.
struct Scratch {
  std::string path;
  Scratch() {
    std::string t = (fs::temp_directory_path() / "attncheck-cc-XXXXXX").string();
    if (!mkdtemp(t.data())) throw InputError(t + ": cannot create a temporary directory (TMPDIR): " + std::strerror(errno));
    path = t;
  }
  ~Scratch() {
    // remove_all allocates (paths, the directory walk) and may throw std::bad_alloc despite the
    // error_code; out of a destructor that would end the process. Out of memory, it stays behind.
    try {
      std::error_code ec;
      fs::remove_all(path, ec);
    } catch (...) {
    }
  }
};

// Without a home to cache in: one private directory per process, never shared.
std::string private_root() {
  static const std::string dir = [] {
    std::string t = (fs::temp_directory_path() / "attncheck-nocache-XXXXXX").string();
    if (!mkdtemp(t.data())) throw InputError(t + ": cannot create a temporary directory (TMPDIR): " + std::strerror(errno));
    return t;
  }();
  return dir;
}

}  // namespace

CompiledPackage compile_package(const KernelPackage& pkg) {
  std::lock_guard<std::mutex> lock(g_mu);
  const std::string cc = compiler();
  const std::string where = pkg.path;
  for (const auto& src : pkg.sources) {
    // Only C: a .so or .s given as a source went to the linker (libc linked, /etc/passwd read as a
    // linker script); headers come in through #include.
    if (fs::path(src).extension() != ".c")
      throw InputError(where + ": source " + src + " is not a .c file (sources are C files; headers come in through #include)");
    struct stat st {};
    if (stat(src.c_str(), &st) != 0) throw InputError(where + ": source " + src + " is not a file");
    if (!S_ISREG(st.st_mode)) throw InputError(where + ": source " + src + " is " + kind_of(st.st_mode) + ", not a file");
  }
  for (const auto& dir : pkg.include_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError(where + ": include_dirs " + dir + " is not a directory");
  }
  if (!g_versions.count(cc)) {
    const Ran version = run_capture({cc, "--version"});
    if (version.status != 0)
      throw InputError(where + ": --backend host needs a C compiler to build the package: " + cc + " does not run (" +
                       first_line(version.output) + "); set ATTNCHECK_CC");
    g_versions[cc] = first_line(version.output);
  }

  CompiledPackage out;
  out.compiler = g_versions[cc];
  out.flags = package_compile_flags();
  const std::string decl_text = entry_declarations(pkg);
  std::string root = cache_root();
  const bool caching = !root.empty();
  if (!caching) root = private_root();
  std::string memo_key = cc + "\n" + root + "\n" + decl_text;
  for (const auto& d : pkg.include_dirs) memo_key += "\nI" + d;
  for (const auto& src : pkg.sources) memo_key += "\nS" + src;
  if (auto it = g_memo.find(memo_key); it != g_memo.end()) {
    const Memo& m = it->second;
    bool same = true;
    for (const auto& d : m.deps) same = same && unchanged(d);
    std::error_code ec;
    if (same && fs::is_regular_file(m.library, ec) && sha256_file(m.library) == m.sha256) {
      out.library = m.library;
      out.warnings = m.warnings;
      out.cached = true;
      return out;
    }
    g_memo.erase(it);
  }

  std::set<std::string> seen;
  for (const auto& src : pkg.sources) check_includes(src, pkg, seen, 0);

  trusted_dir(root, false);
  const std::string kdir = root + "/kernels";
  trusted_dir(kdir, true);
  // The declarations sit in the cache under their hash, so the preprocessed text (which names the
  // file) is the same from run to run; one that is not exactly its text (a full disk left it empty)
  // is written again, never used.
  const std::string decl = kdir + "/entries-" + sha_text(decl_text).substr(0, 16) + ".h";
  if (read_small(decl) != decl_text) write_atomically(decl, decl_text);

  std::vector<std::string> flags = out.flags;
  Scratch scratch;
  std::string key_text = out.compiler + "\n" + decl_text;
  for (const auto& f : flags) key_text += f + " ";
  // Preprocess once; what is hashed is what is compiled (an edit between the two cannot slip in).
  std::vector<std::string> preprocessed;
  std::vector<Dep> deps;
  bool stable = true;
  const auto started = std::chrono::system_clock::now();
  const int64_t started_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count();
  for (size_t i = 0; i < pkg.sources.size(); ++i) {
    const std::string& src = pkg.sources[i];
    const std::string ifile = scratch.path + "/" + std::to_string(i) + ".i", dfile = scratch.path + "/" + std::to_string(i) + ".d";
    std::vector<std::string> e = {cc};
    for (const auto& d : pkg.include_dirs) e.push_back("-I" + d);
    e.insert(e.end(), {"-include", decl, "-E", "-MD", "-MF", dfile, "-o", ifile});
    // The dialect last, so nothing before it can change it.
    e.insert(e.end(), flags.begin(), flags.end());
    e.push_back(src);
    const Ran pre = run_capture(e);
    if (pre.status != 0) throw InputError(explained(compile_error_line(pre), pkg));
    for (const auto& dep : parse_depfile(read_small(dfile, 64 << 20))) {
      struct stat st {};
      if (stat(dep.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw InputError(src + ": includes " + dep + ", which is " + kind_of(st.st_mode) + ", not a header");
      Dep d;
      if (stat_of(dep, &d)) {
        // Changed while it was read: correct this time, but not proof for the next call.
        if (d.mtime_ns >= started_ns - 1000000000 || d.ctime_ns >= started_ns - 1000000000) stable = false;
        deps.push_back(d);
      }
    }
    preprocessed.push_back(read_small(ifile, size_t(256) << 20));
    key_text += "\n--- " + fs::path(src).filename().string() + "\n" + preprocessed.back();
  }
  const std::string key = sha_text(key_text).substr(0, 32);
  out.library = kdir + "/" + pkg.name + "-" + key + ".so";
  const std::string meta_file = kdir + "/" + pkg.name + "-" + key + ".json";

  // An entry is the library and, written after it, its record: the library's SHA-256 and the
  // warnings. A library that does not hash to its record (swapped, truncated) is rebuilt.
  std::string sha;
  {
    const std::string meta_text = read_small(meta_file);
    nlohmann::json meta;
    try {
      if (!meta_text.empty()) meta = nlohmann::json::parse(meta_text);
    } catch (const nlohmann::json::exception&) {
    }
    std::error_code ec;
    if (meta.is_object() && meta.contains("sha256") && meta["sha256"].is_string() && fs::is_regular_file(out.library, ec) &&
        sha256_file(out.library) == meta["sha256"].get<std::string>()) {
      out.cached = true;
      sha = meta["sha256"];
      if (meta.contains("warnings") && meta["warnings"].is_array())
        for (const auto& w : meta["warnings"])
          if (w.is_string()) out.warnings.push_back(w);
    }
  }
  if (!out.cached) {
    const std::string built_so = scratch.path + "/kernel.so";
    std::vector<std::string> c = {cc, "-shared", "-nostdlib", "-Wl,-z,defs", "-o", built_so};
    for (size_t i = 0; i < pkg.sources.size(); ++i) c.push_back(scratch.path + "/" + std::to_string(i) + ".i");
    c.insert(c.end(), flags.begin(), flags.end());
    const Ran built = run_capture(c);
    if (built.status != 0 || !built.limit.empty()) throw InputError(explained(compile_error_line(built), pkg));
    const std::string bad = forbidden_instruction(built_so, where);
    if (!bad.empty()) throw InputError(where + ": " + bad);
    out.warnings = warning_lines(built.output);
    const std::string bytes = read_small(built_so, size_t(256) << 20);
    sha = sha_text(bytes);
    write_atomically(out.library, bytes);
    write_atomically(meta_file, nlohmann::json{{"sha256", sha}, {"warnings", out.warnings}, {"compiler", out.compiler}}.dump(1) + "\n");
  }
  if (stable) g_memo[memo_key] = Memo{deps, out.library, sha, out.warnings};
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
      try {  // as ~Scratch: remove_all may throw std::bad_alloc
        std::error_code e;
        fs::remove_all(d, e);
      } catch (...) {
      }
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
      throw InputError(explained(compile_error_line(r), pkg));
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
