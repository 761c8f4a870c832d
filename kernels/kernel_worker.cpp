// The worker processes that run kernel packages' libraries: fork, load, run launches over a memfd with guard pages, report faults.
#include "kernels/kernel_worker.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

namespace attncheck {
namespace {

// Why a fork and not an exec: the worker needs no file of its own (the CLI, the tests and the Python
// module all carry this code), and the child only reads its socket, dlopens, maps and calls; glibc's
// fork keeps malloc usable in the child of a threaded process, and attncheck itself no longer
// dlopens packages, so no loader lock is held by another thread at the fork.

std::atomic<double> g_timeout{60.0};

constexpr uint32_t kMagic = 0x6b776f72;  // "rowk"
enum Op : uint32_t { op_load = 1, op_map = 2, op_run = 3 };
enum Status : uint32_t { st_ok = 0, st_dlopen = 1, st_missing = 2, st_fault = 3, st_bad = 4 };

struct Header {
  uint32_t magic, op;
  uint64_t len;  // payload bytes after the header
};
struct Reply {
  uint32_t magic, status;
  int32_t sig, write;  // write: 1 the faulting access was a write, 0 a read, -1 unknown
  uint64_t addr, index;  // fault address; missing symbol's index
  char text[200];        // dlerror()
};

long page_size() {
  static const long p = sysconf(_SC_PAGESIZE);
  return p;
}

// ---- the worker side (runs only in the forked child) -------------------------------------------------

int g_sock = -1;
pid_t g_parent = 0;

// Reports the fault on the socket (send is async-signal-safe), then returns: SA_RESETHAND restored the
// default action, so the faulting instruction runs again and the process dies of the signal, which
// the parent sees in waitpid.
extern "C" void worker_fault(int sig, siginfo_t* si, void* ctx) {
  Reply r{};
  r.magic = kMagic;
  r.status = st_fault;
  r.sig = sig;
  r.addr = reinterpret_cast<uint64_t>(si->si_addr);
  r.write = -1;
#if defined(__x86_64__)
  // The page-fault error code's bit 1 is set for a write (Intel SDM vol. 3, "Page-Fault Exception").
  if (sig == SIGSEGV && ctx) r.write = (static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#else
  (void)ctx;
#endif
  (void)!send(g_sock, &r, sizeof r, MSG_NOSIGNAL);
  // A signal not raised by the faulting instruction would not recur on return; the report is sent.
  if (sig == SIGABRT || si->si_code == SI_USER || si->si_code == SI_TKILL) _exit(128 + sig);
}

#if defined(__x86_64__)
// What the kernel's code must not do to attncheck from the worker: signal it (or anyone), trace or
// write its memory, or start programs. A denylist, so the loader and the kernel's own work run as
// before; x86-64 syscall numbers from arch/x86/entry/syscalls/syscall_64.tbl (Linux).
void deny_escape_syscalls() {
  static const uint32_t denied[] = {62 /* kill */,   200 /* tkill */,  234 /* tgkill */, 101 /* ptrace */,
                                    310 /* process_vm_readv */, 311 /* process_vm_writev */, 424 /* pidfd_send_signal */,
                                    434 /* pidfd_open */, 438 /* pidfd_getfd */, 59 /* execve */, 322 /* execveat */,
                                    57 /* fork */, 58 /* vfork */, 129 /* rt_sigqueueinfo */, 297 /* rt_tgsigqueueinfo */};
  std::vector<sock_filter> f;
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  // x32 numbers (bit 30) reach the same calls: refused outright.
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
  for (uint32_t nr : denied) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#else
void deny_escape_syscalls() {}
#endif

// Once a second: a worker whose attncheck died (its parent changed) ends itself, even inside a
// kernel that loops forever. PR_SET_PDEATHSIG would fire when the forking *thread* ends, which
// in a suite happens while other threads still use the worker.
extern "C" void worker_watchdog(int) {
  if (getppid() != g_parent) _exit(0);
}

bool read_all(int fd, void* p, size_t n) {
  auto* c = static_cast<char*>(p);
  while (n) {
    const ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r, n -= static_cast<size_t>(r);
  }
  return true;
}

bool write_all(int fd, const void* p, size_t n) {
  const auto* c = static_cast<const char*>(p);
  while (n) {
    const ssize_t r = send(fd, c, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r, n -= static_cast<size_t>(r);
  }
  return true;
}

using Word = uintptr_t;
// Entries take pointers and 32-bit scalars only (kernel.json's args, at most 8). Each is passed in a
// full integer register or stack slot, where the SysV x86-64 and AArch64 ABIs put a pointer or a
// 32-bit integer argument alike, and the callee reads only the low 32 bits of a scalar.
void call_entry(void* fn, const Word* a, uint32_t n) {
  switch (n) {
    case 0: reinterpret_cast<void (*)()>(fn)(); return;
    case 1: reinterpret_cast<void (*)(Word)>(fn)(a[0]); return;
    case 2: reinterpret_cast<void (*)(Word, Word)>(fn)(a[0], a[1]); return;
    case 3: reinterpret_cast<void (*)(Word, Word, Word)>(fn)(a[0], a[1], a[2]); return;
    case 4: reinterpret_cast<void (*)(Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3]); return;
    case 5: reinterpret_cast<void (*)(Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4]); return;
    case 6: reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5]); return;
    case 7:
      reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
      return;
    default:
      reinterpret_cast<void (*)(Word, Word, Word, Word, Word, Word, Word, Word)>(fn)(a[0], a[1], a[2], a[3], a[4], a[5],
                                                                                     a[6], a[7]);
      return;
  }
}

// Wire format of a run: per call u32 symbol, u32 n, then n x {u32 pointer, u32 buffer, u64 value}.
struct WireArg {
  uint32_t pointer, buffer;
  uint64_t value;
};

[[noreturn]] void worker_main(int sock, int out_fd) {
  g_sock = sock;
  // The kernel's prints are captured, never mixed into attncheck's output (a forged verdict).
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  // Everything else attncheck had open stays with attncheck (a report being written, a pipe a test reads).
  const long max_fd = sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); ++fd)
    if (fd != sock) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ctrl-C reaches the whole process group: attncheck decides, and kills the worker itself.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  static char alt_stack[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_sigaction = worker_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS}) sigaction(sig, &sa, nullptr);
  struct sigaction wd {};
  wd.sa_handler = worker_watchdog;
  wd.sa_flags = SA_RESTART;
  sigemptyset(&wd.sa_mask);
  sigaction(SIGALRM, &wd, nullptr);
  itimerval tv{};
  tv.it_interval.tv_sec = 1;
  tv.it_value.tv_sec = 1;
  setitimer(ITIMER_REAL, &tv, nullptr);
  // Before the library loads: its constructors run under the filter too.
  deny_escape_syscalls();

  void* lib = nullptr;
  std::vector<void*> syms;
  uint8_t* base = nullptr;
  size_t mapped = 0;
  std::vector<uint64_t> buffer_offsets;
  std::vector<char> payload;
  for (;;) {
    Header h{};
    if (!read_all(sock, &h, sizeof h) || h.magic != kMagic || h.len > (64u << 20)) _exit(0);
    payload.resize(h.len);
    int passed_fd = -1;
    if (h.op == op_map) {
      // The memfd arrives with the payload's first byte (SCM_RIGHTS).
      char cbuf[CMSG_SPACE(sizeof(int))];
      iovec iov{payload.data(), 1};
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = cbuf;
      m.msg_controllen = sizeof cbuf;
      ssize_t got;
      do got = recvmsg(sock, &m, 0);
      while (got < 0 && errno == EINTR);
      if (got != 1) _exit(0);
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&passed_fd, CMSG_DATA(c), sizeof(int));
      if (!read_all(sock, payload.data() + 1, h.len - 1)) _exit(0);
    } else if (!read_all(sock, payload.data(), h.len)) {
      _exit(0);
    }
    Reply r{};
    r.magic = kMagic;
    r.status = st_ok;
    if (h.op == op_load) {
      // path \0 symbol \0 symbol \0 ...; the library's constructors run here, in the worker.
      const char* p = payload.data();
      const char* end = p + payload.size();
      lib = dlopen(p, RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        r.status = st_dlopen;
        const char* e = dlerror();
        std::strncpy(r.text, e ? e : "dlopen failed", sizeof r.text - 1);
      } else {
        p += std::strlen(p) + 1;
        for (uint64_t i = 0; p < end; ++i, p += std::strlen(p) + 1) {
          void* s = dlsym(lib, p);
          if (!s) {
            r.status = st_missing;
            r.index = i;
            break;
          }
          syms.push_back(s);
        }
      }
    } else if (h.op == op_map) {
      // u64 total, u64 n_guards, guards..., u64 n_buffers, buffer offsets...
      if (base) munmap(base, mapped);
      base = nullptr;
      const auto* w = reinterpret_cast<const uint64_t*>(payload.data() + 8);  // after 8 bytes of padding
      const uint64_t total = w[0], n_guards = w[1];
      void* m = passed_fd >= 0 ? mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, passed_fd, 0) : MAP_FAILED;
      if (passed_fd >= 0) close(passed_fd);
      if (m == MAP_FAILED) {
        r.status = st_bad;
        std::strncpy(r.text, std::strerror(errno), sizeof r.text - 1);
      } else {
        base = static_cast<uint8_t*>(m);
        mapped = total;
        r.addr = reinterpret_cast<uint64_t>(base);  // so attncheck can name the guard page a fault hit
        for (uint64_t g = 0; g < n_guards; ++g) mprotect(base + w[2 + g], static_cast<size_t>(page_size()), PROT_NONE);
        const uint64_t n_buffers = w[2 + n_guards];
        buffer_offsets.assign(w + 3 + n_guards, w + 3 + n_guards + n_buffers);
      }
    } else if (h.op == op_run) {
      const char* p = payload.data();
      const char* end = p + payload.size();
      Word a[8];
      while (p + 8 <= end) {
        uint32_t sym, n;
        std::memcpy(&sym, p, 4);
        std::memcpy(&n, p + 4, 4);
        p += 8;
        if (n > 8 || sym >= syms.size() || p + n * sizeof(WireArg) > end) _exit(3);
        for (uint32_t i = 0; i < n; ++i, p += sizeof(WireArg)) {
          WireArg x;
          std::memcpy(&x, p, sizeof x);
          if (x.pointer && x.buffer >= buffer_offsets.size()) _exit(3);
          a[i] = x.pointer ? reinterpret_cast<Word>(base + buffer_offsets[x.buffer] + x.value) : static_cast<Word>(x.value);
        }
        call_entry(syms[sym], a, n);
      }
    }
    if (!write_all(sock, &r, sizeof r)) _exit(0);
  }
}

// ---- attncheck's side --------------------------------------------------------------------------------

struct Worker {
  pid_t pid = -1;
  int sock = -1;
  int out = -1;  // the memfd the worker's stdout and stderr go to
  std::string library;
  ~Worker() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (sock >= 0) close(sock);
    if (out >= 0) close(out);
  }
};

std::mutex g_pool_mu;
std::multimap<std::string, std::unique_ptr<Worker>>& pool() {
  static auto* p = new std::multimap<std::string, std::unique_ptr<Worker>>();  // never destroyed: no kill at exit
  return *p;
}

std::string signal_text(int sig) {
  const char* n = sigabbrev_np(sig);
  return n ? std::string("SIG") + n : "signal " + std::to_string(sig);
}

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// What the kernel printed before it died, first line, for the message (it never reaches attncheck's output).
std::string printed(const Worker& w) {
  char buf[121];
  const ssize_t n = pread(w.out, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  s = s.substr(0, s.find('\n'));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s.empty() ? "" : "; it printed \"" + s + "\"";
}

std::unique_ptr<Worker> spawn(const std::string& library) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("kernel worker: socketpair: ") + std::strerror(errno));
  auto w = std::make_unique<Worker>();
  w->library = library;
  w->out = static_cast<int>(syscall(SYS_memfd_create, "attncheck-kernel-output", 1u /* MFD_CLOEXEC */));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]), close(sv[1]);
    throw std::runtime_error(std::string("kernel worker: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    g_parent = parent;
    close(sv[0]);
    int out = w->out >= 0 ? dup(w->out) : open("/dev/null", O_WRONLY);
    worker_main(sv[1], out);
  }
  close(sv[1]);
  w->pid = pid;
  w->sock = sv[0];
  return w;
}

// The reply to the last request, within the kernel timeout; SIGINT/SIGTERM to attncheck are checked
// every 50 ms. On anything but a reply the worker is killed; `what` is the one-line context.
Reply await(Worker& w, const std::string& what) {
  const double limit = g_timeout.load();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit);
  Reply r{};
  size_t have = 0;
  for (;;) {
    if (const int sig = g_interrupt_signal.load()) {
      kill(w.pid, SIGKILL);
      throw Interrupted(sig);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(w.pid, SIGKILL);
      char t[32];
      std::snprintf(t, sizeof t, "%g", limit);
      throw KernelFault(what + ": still running after " + t + " s (--kernel-timeout); the worker was killed");
    }
    pollfd p{w.sock, POLLIN, 0};
    const int n = poll(&p, 1, 50);
    if (n <= 0) continue;
    const ssize_t got = read(w.sock, reinterpret_cast<char*>(&r) + have, sizeof r - have);
    if (got < 0 && errno == EINTR) continue;
    if (got > 0) {
      have += static_cast<size_t>(got);
      if (have < sizeof r) continue;
      if (r.magic != kMagic) {
        kill(w.pid, SIGKILL);
        throw KernelFault(what + ": the worker sent a malformed reply (the kernel wrote to attncheck's socket?); killed");
      }
      if (r.status != st_fault) return r;
    }
    // EOF, or a fault report: the worker is dying; its status says how.
    int status = 0;
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    pid_t done = 0;
    while ((done = waitpid(w.pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < grace) usleep(1000);
    if (done == 0) {
      kill(w.pid, SIGKILL);
      while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    w.pid = -1;
    std::string how;
    if (have == sizeof r && r.status == st_fault) {
      how = "died of " + signal_text(r.sig) + " at address " + hex(r.addr);
      r.index = 1;  // marks "addr is known" for the caller
    } else if (WIFSIGNALED(status)) {
      how = "died of " + signal_text(WTERMSIG(status));
    } else if (WIFEXITED(status)) {
      how = "ended the worker process (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    } else {
      how = "ended the worker process";
    }
    r.status = st_fault;
    std::strncpy(r.text, how.c_str(), sizeof r.text - 1);
    r.text[sizeof r.text - 1] = 0;
    return r;
  }
}

void send_request(Worker& w, Op op, const std::string& payload, int fd, const std::string& what) {
  Header h{kMagic, op, payload.size()};
  bool ok = write_all(w.sock, &h, sizeof h);
  if (ok && fd >= 0) {
    char cbuf[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{const_cast<char*>(payload.data()), 1};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t s;
    do s = sendmsg(w.sock, &m, MSG_NOSIGNAL);
    while (s < 0 && errno == EINTR);
    ok = s == 1 && write_all(w.sock, payload.data() + 1, payload.size() - 1);
  } else if (ok) {
    ok = write_all(w.sock, payload.data(), payload.size());
  }
  if (!ok) (void)what;  // a dead worker: await() reads its status and says how it ended
}

// A worker with `library` loaded and `symbols` resolved, from the pool or new.
std::unique_ptr<Worker> acquire(const std::string& package, const std::string& library, const std::vector<std::string>& symbols,
                                const std::string& sources, const std::string& where = "") {
  {
    std::lock_guard<std::mutex> lock(g_pool_mu);
    auto& p = pool();
    for (auto it = p.find(library); it != p.end() && it->first == library;) {
      std::unique_ptr<Worker> w = std::move(it->second);
      it = p.erase(it);
      // A worker that ended while idle (its watchdog, an OOM kill) is replaced, silently.
      if (waitpid(w->pid, nullptr, WNOHANG) == 0) return w;
      w->pid = -1;
    }
  }
  std::unique_ptr<Worker> w = spawn(library);
  std::string payload = library + '\0';
  for (const auto& s : symbols) payload += s + '\0';
  const std::string what = "kernel package " + package + ": loading " + library;
  send_request(*w, op_load, payload, -1, what);
  const Reply r = await(*w, what);
  if (r.status == st_fault)
    throw KernelFault(what + ": the library's load (its constructors) " + std::string(r.text) + printed(*w));
  if (r.status == st_dlopen) throw InputError(library + ": cannot load the compiled kernel: " + std::string(r.text));
  if (r.status == st_missing && r.index < symbols.size())
    throw InputError((where.empty() ? "kernel package " + package : where) + ": entry " + symbols[r.index] + " is not defined by " +
                     sources);
  if (r.status != st_ok) throw KernelFault(what + ": the worker's reply makes no sense; killed");
  return w;
}

// Called from ~WorkerSession, so it must not throw: a suite whose other worker thread has taken the
// memory (ulimit -v) fails the pool's allocation here, and an exception leaving a destructor ends
// the process. Then the worker is not kept: ~Worker ends it.
void release(std::unique_ptr<Worker> w) noexcept {
  if (!w || w->pid <= 0) return;
  // The next user starts with an empty capture.
  if (ftruncate(w->out, 0) != 0) return;
  std::lock_guard<std::mutex> lock(g_pool_mu);
  try {
    // A long Python session that edits its source leaves workers of old builds: keep a bounded pool.
    constexpr size_t kMaxIdleWorkers = 32;
    if (pool().size() >= kMaxIdleWorkers) pool().erase(pool().begin());
    std::string lib = w->library;
    pool().emplace(std::move(lib), std::move(w));
  } catch (...) {
  }
}

constexpr uint8_t kPad = 0xA5;  // the bytes between a buffer and its guard pages, checked after each launch

}  // namespace

void set_kernel_timeout(double seconds) { g_timeout.store(seconds); }
double kernel_timeout() { return g_timeout.load(); }

struct WorkerSession::Impl {
  std::string package;
  std::vector<WorkerBuffer> buffers;
  std::vector<uint64_t> offsets;     // each buffer's first byte in the region
  std::vector<uint64_t> pad_begin;   // each buffer's page run starts here (after a guard)
  std::vector<uint64_t> pad_end;     // ... and ends here (a guard follows)
  int memfd = -1;
  uint64_t worker_base = 0;  // where the worker mapped the region
  uint8_t* view = nullptr;
  size_t total = 0;
  std::unique_ptr<Worker> worker;
  ~Impl() {
    if (view) munmap(view, total);
    if (memfd >= 0) close(memfd);
  }
};

WorkerSession::WorkerSession(const std::string& package, const std::string& library, const std::vector<std::string>& symbols,
                             const std::string& sources, const std::vector<WorkerBuffer>& buffers)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.package = package;
  s.buffers = buffers;
  // [guard][pad..buffer][guard][pad..buffer][guard]...: each buffer ends 16-byte aligned right before a
  // guard page (its start 16-byte aligned too, as a core's buffers are), the pad before it and the up
  // to 15 bytes after it are filled with kPad and checked after every launch.
  const uint64_t P = static_cast<uint64_t>(page_size());
  std::vector<uint64_t> guards = {0};
  uint64_t off = P;
  for (const auto& b : buffers) {
    const uint64_t span = (b.bytes + 15) / 16 * 16;
    const uint64_t pages = (span + P - 1) / P;
    s.pad_begin.push_back(off);
    s.offsets.push_back(off + pages * P - span);
    off += pages * P;
    s.pad_end.push_back(off);
    guards.push_back(off);
    off += P;
  }
  s.total = off;
  s.memfd = static_cast<int>(syscall(SYS_memfd_create, "attncheck-kernel-buffers", 1u /* MFD_CLOEXEC */));
  if (s.memfd < 0 || ftruncate(s.memfd, static_cast<off_t>(s.total)) != 0)
    throw std::runtime_error(std::string("kernel worker: shared memory: ") + std::strerror(errno));
  void* v = mmap(nullptr, s.total, PROT_READ | PROT_WRITE, MAP_SHARED, s.memfd, 0);
  if (v == MAP_FAILED) throw std::runtime_error(std::string("kernel worker: mmap: ") + std::strerror(errno));
  s.view = static_cast<uint8_t*>(v);
  for (size_t i = 0; i < buffers.size(); ++i) std::memset(s.view + s.pad_begin[i], kPad, s.pad_end[i] - s.pad_begin[i]);

  s.worker = acquire(package, library, symbols, sources);
  std::string payload(8, '\0');  // the first byte carries the fd; the words start aligned after 8
  auto put = [&](uint64_t v) { payload.append(reinterpret_cast<const char*>(&v), 8); };
  put(s.total);
  put(guards.size());
  for (uint64_t g : guards) put(g);
  put(s.offsets.size());
  for (uint64_t o : s.offsets) put(o);
  const std::string what = "kernel package " + package + ": mapping its buffers";
  send_request(*s.worker, op_map, payload, s.memfd, what);
  const Reply r = await(*s.worker, what);
  if (r.status != st_ok) throw KernelFault(what + ": " + std::string(r.text));
  s.worker_base = r.addr;
}

WorkerSession::~WorkerSession() {
  if (impl_ && impl_->worker) release(std::move(impl_->worker));
}

uint8_t* WorkerSession::buffer(size_t i) { return impl_->view + impl_->offsets.at(i); }

void WorkerSession::run(const std::vector<WorkerCall>& calls, const std::string& launch) {
  Impl& s = *impl_;
  const std::string what = "kernel package " + s.package + ": " + launch;
  if (!s.worker) throw KernelFault(what + ": its worker was killed by an earlier fault");
  std::string payload;
  for (const auto& c : calls) {
    const uint32_t head[2] = {c.symbol, static_cast<uint32_t>(c.args.size())};
    payload.append(reinterpret_cast<const char*>(head), 8);
    for (const auto& a : c.args) {
      const WireArg x{a.pointer ? 1u : 0u, a.buffer, a.value};
      payload.append(reinterpret_cast<const char*>(&x), sizeof x);
    }
  }
  send_request(*s.worker, op_run, payload, -1, what);
  const Reply r = await(*s.worker, what);
  if (r.status == st_fault) {
    std::string text = r.text;
    if (r.index == 1 && r.addr >= s.worker_base && r.addr - s.worker_base < s.total) {
      // A guard page: the one after buffer i is "past the end" of it; the first one is before buffer 0.
      const uint64_t off = r.addr - s.worker_base, P = static_cast<uint64_t>(page_size());
      const char* verb = r.write == 1 ? "wrote" : r.write == 0 ? "read" : "accessed";
      for (size_t i = 0; i < s.buffers.size(); ++i) {
        const uint64_t end = s.offsets[i] + s.buffers[i].bytes;
        // A guard page between two buffers: its first half is "past the end" of the one before, its
        // second half "before the start" of the one after (adjacent only when that one fills its pages).
        if (i + 1 < s.buffers.size() && off >= s.pad_end[i] + P / 2 && off < s.pad_end[i] + P)
          text = std::string(verb) + " before the start of " + s.buffers[i + 1].what + ", " +
                 std::to_string(s.offsets[i + 1] - off) + " B before its first byte (" + signal_text(r.sig) + " on the guard page)";
        else if (off >= s.pad_end[i] && off < s.pad_end[i] + P)
          text = std::string(verb) + " past the end of " + s.buffers[i].what + ", " + std::to_string(off - end + 1) +
                 " B after its last byte (" + signal_text(r.sig) + " on the guard page)";
        else if (i == 0 && off < P)
          text = std::string(verb) + " before the start of " + s.buffers[i].what + " (" + signal_text(r.sig) + " on the guard page)";
      }
    }
    const std::string msg = what + ": the kernel " + text + printed(*s.worker);
    s.worker.reset();
    throw KernelFault(msg);
  }
  if (r.status != st_ok) {
    s.worker.reset();
    throw KernelFault(what + ": the worker's reply makes no sense; killed");
  }
  // A write into the pad before a buffer (or the bytes between its end and the guard page).
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const uint64_t start = s.offsets[i], end = start + s.buffers[i].bytes;
    for (uint64_t o = s.pad_begin[i]; o < s.pad_end[i]; ++o) {
      if (o == start) o = end;
      if (o >= s.pad_end[i]) break;
      if (s.view[o] != kPad) {
        s.worker.reset();
        throw KernelFault(what + ": the kernel wrote " +
                          (o >= end ? std::to_string(o - end + 1) + " B past the end of "
                                    : std::to_string(start - o) + " B before the start of ") +
                          s.buffers[i].what);
      }
    }
  }
}

void probe_library(const std::string& package, const std::string& where, const std::string& library,
                   const std::vector<std::string>& symbols, const std::string& sources) {
  release(acquire(package, library, symbols, sources, where));
}

}  // namespace attncheck
