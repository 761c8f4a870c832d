// `attncheck bench`: times `attncheck run` against the kernel package's peer script (bench/peer_torch.py) on one fixture, as whole processes.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/backends.hpp"
#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "compare/report.hpp"
#include "fixtures/fixture.hpp"
#include "kernels/packages.hpp"
#include "ref/errors.hpp"
#include "ref/fast.hpp"
#include "ref/interrupt.hpp"
#include "sim/array/core_threads.hpp"

extern char** environ;

namespace attncheck {
namespace {

struct Timing {
  double wall = 0, user = 0, sys = 0;
  long max_rss_kb = 0;
};

// One child process, start to exit: wall time on a monotonic clock, CPU time and peak resident
// memory from wait4's rusage (the child's own, not the sum of every child so far).
Timing run_child(const std::vector<std::string>& argv, const std::string& what) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char err_path[] = "/tmp/attncheck-bench-XXXXXX";
  const int err_fd = mkstemp(err_path);
  if (err_fd < 0) throw std::runtime_error("bench: cannot create a temporary file for the child's stderr");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    close(err_fd);
    unlink(err_path);
    throw InputError(what + ": cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  rusage ru{};
  // Polled, so SIGINT/SIGTERM (a flag; SA_RESTART would restart a blocking wait4) stop the bench
  // at once: the child is terminated, reaped, and the bench exits 128 + signal without output.
  for (;;) {
    const pid_t w = wait4(pid, &status, WNOHANG, &ru);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (interrupted()) {
      kill(pid, SIGTERM);
      while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
      }
      close(err_fd);
      unlink(err_path);
      throw_if_interrupted();
    }
    usleep(2000);
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::string err_text;
  {
    std::ifstream f(err_path);
    std::getline(f, err_text);
  }
  close(err_fd);
  unlink(err_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw InputError(what + " failed (" + (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : "killed") +
                     "): " + err_text);
  Timing t;
  t.wall = std::chrono::duration<double>(t1 - t0).count();
  t.user = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec * 1e-6;
  t.sys = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec * 1e-6;
  t.max_rss_kb = ru.ru_maxrss;
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Side {
  std::vector<Timing> runs;
  nlohmann::json json() const {
    std::vector<double> w, u;
    long rss = 0;
    for (const auto& r : runs) w.push_back(r.wall), u.push_back(r.user + r.sys), rss = std::max(rss, r.max_rss_kb);
    return {{"wall_s", w},
            {"median_s", median(w)},
            {"min_s", *std::min_element(w.begin(), w.end())},
            {"max_s", *std::max_element(w.begin(), w.end())},
            {"median_cpu_s", median(u)},
            {"peak_rss_mib", static_cast<double>(rss) / 1024.0}};
  }
};

// The machine's int8 multiply-accumulate peak from /proc/cpuinfo: physical cores x current MHz x
// MACs per cycle of the best vector ISA present. Assumed: two 512-bit (or 256-bit) integer
// multiply ports per core; vpdpbusd does 64 int8 MACs per zmm (32 per ymm). Without VNNI the exact
// int8 dot product is vpmaddwd's 16 per ymm: vpmaddubsw makes 32 products but sums them in
// saturating int16 lanes, which full-range int8 overflows (the same choice as the avx2 probe).
nlohmann::json machine_peak() {
  // ATTNCHECK_CPUINFO: another cpuinfo file, for machines (and tests) without a frequency line.
  const char* cpuinfo = std::getenv("ATTNCHECK_CPUINFO");
  std::ifstream f(cpuinfo && *cpuinfo ? cpuinfo : "/proc/cpuinfo");
  std::string line, flags, model;
  std::set<std::pair<std::string, std::string>> cores;
  std::string phys = "0";
  double mhz_sum = 0;
  int mhz_n = 0, logical = 0;
  while (std::getline(f, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    key.erase(key.find_last_not_of(" \t") + 1);
    if (key == "processor") ++logical;
    if (key == "physical id") phys = value;
    if (key == "core id") cores.insert({phys, value});
    if (key == "cpu MHz") mhz_sum += std::atof(value.c_str()), ++mhz_n;
    if (key == "flags" && flags.empty()) flags = " " + value + " ";
    if (key == "model name" && model.empty()) model = value;
  }
  auto has = [&](const char* flag) { return flags.find(std::string(" ") + flag + " ") != std::string::npos; };
  const int n_cores = cores.empty() ? std::max(1, logical) : static_cast<int>(cores.size());
  const double mhz = mhz_n ? mhz_sum / mhz_n : 0;
  std::string isa = "sse2 (pmaddwd: 8 int16 MAC x 2 ports)";
  int per_cycle = 16;
  if (has("avx512_vnni") && has("avx512bw")) {
    isa = "avx512_vnni (vpdpbusd zmm: 64 int8 MAC x 2 ports)";
    per_cycle = 128;
  } else if (has("avx_vnni")) {
    isa = "avx_vnni (vpdpbusd ymm: 32 int8 MAC x 2 ports)";
    per_cycle = 64;
  } else if (has("avx2")) {
    isa = "avx2 (vpmaddwd ymm: 16 int8 MAC into int32 x 2 ports; vpmaddubsw's int16 sums saturate)";
    per_cycle = 32;
  }
  nlohmann::json j = {{"cpu", model},       {"cores", n_cores},          {"mhz", mhz},
                      {"isa", isa},         {"int8_mac_per_cycle_per_core", per_cycle},
                      {"gmac_per_s", n_cores * mhz * 1e6 * per_cycle / 1e9}};
  if (has("amx_int8")) j["note"] = "amx_int8 present (1024 int8 MAC/cycle/core in TMUL), not used here nor counted";
  return j;
}

std::string fmt(double v, int precision) { return format_number(v, precision); }

// The host CPUs this process may run on, and pinning to one of them. A same-run ratio is a ratio
// only if both sides ran on the same host CPU: on a VM the vCPUs need not be alike (on this
// project's development VM one ran the simulator 1.5x slower than the other while a plain
// arithmetic loop ran alike on both: `taskset -c 0|1 attncheck sim ... --json`, core_seconds).
struct HostCpus {
  cpu_set_t allowed;
  std::vector<int> cpus;  // the allowed ones, in order
  int pinned = -1;        // the one the simulator benchmarks run on, or -1 (then `why`)
  std::string why;
};

HostCpus host_cpus() {
  HostCpus h;
  CPU_ZERO(&h.allowed);
  if (sched_getaffinity(0, sizeof h.allowed, &h.allowed) != 0) {
    h.why = std::string("sched_getaffinity: ") + std::strerror(errno);
    return h;
  }
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &h.allowed)) h.cpus.push_back(c);
  return h;
}

bool set_cpus(const cpu_set_t& set) { return sched_setaffinity(0, sizeof set, &set) == 0; }

bool pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return set_cpus(one);
}

// Pins this process (and the children it starts, which inherit it) to the CPU it runs on now.
void pin_here(HostCpus& h) {
  if (!h.why.empty()) return;
  const int here = sched_getcpu();
  if (here < 0 || !CPU_ISSET(here, &h.allowed)) {
    h.why = "sched_getcpu gave no allowed CPU";
    return;
  }
  if (!pin_to(here)) {
    h.why = std::string("sched_setaffinity: ") + std::strerror(errno);
    return;
  }
  h.pinned = here;
}

// Runs `f` with this process (and the children `f` starts) on `set`, then pins it back.
template <class F>
void with_cpus(const HostCpus& h, const cpu_set_t& set, F&& f) {
  if (h.pinned >= 0) set_cpus(set);
  try {
    f();
  } catch (...) {
    if (h.pinned >= 0) pin_to(h.pinned);
    throw;
  }
  if (h.pinned >= 0) pin_to(h.pinned);
}

// The best speedup `threads` threads could give over one thread on `base_s`, if the work split
// perfectly over the `threads` fastest CPUs measured (seconds of the one-thread run on each): the
// sum of their rates over the base's rate.
double split_bound(std::vector<double> seconds, int threads, double base_s) {
  std::sort(seconds.begin(), seconds.end());
  double rate = 0;
  for (size_t i = 0; i < seconds.size() && i < static_cast<size_t>(threads); ++i) rate += 1.0 / seconds[i];
  return rate * base_s;
}

// `bench --sim-xclbin`: the array simulator running a whole design (vector code, several cores)
// as `attncheck sim --insts` runs it, `repeat` times, each in a child process whose report gives
// its seconds, the time spent inside the cores (--time-cores) and the bundles they issued. The
// rates are set beside `scalar_rate`, the scalar core's median rate measured in the same run.
// With `threads` > 1, every repetition also runs the design on that many host threads (`sim
// --sim-threads`), right after the one-thread run, and the speedup is the ratio of their medians.
// With `threads` > 1 and the process pinned, each repetition also runs the design on one thread on
// each other host CPU, so the speedup can be set beside what these CPUs allow at best.
nlohmann::json bench_sim_array(const std::string& exe, const std::string& program_flag, const std::string& xclbin, const std::string& insts,
                               const std::vector<std::string>& args, int repeat, double scalar_rate, int threads, const HostCpus& host) {
  char dir_template[] = "/tmp/attncheck-bench-array-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) throw std::runtime_error("bench: cannot create a temporary directory");
  const std::string report = std::string(dir) + "/sim.json";
  std::vector<std::string> argv = {exe, "sim", program_flag, xclbin, "--insts", insts, "--time-cores", "--json", report};
  for (const auto& a : args) argv.insert(argv.end(), {"--arg", a});
  std::vector<std::string> argv_threads = argv;
  argv_threads.insert(argv_threads.end(), {"--sim-threads", std::to_string(threads)});
  std::vector<double> wall, in_cores, rates, core_rates, wall_threads;
  std::map<int, std::vector<double>> wall_on;  // one-thread seconds by host CPU (the pinned one: `wall`)
  const bool per_cpu = threads > 1 && host.pinned >= 0 && host.cpus.size() > 1;
  uint64_t parallel = 0, free_quanta = 0;
  uint64_t bundles = 0;
  size_t cores = 0;
  try {
    for (int r = 0; r < repeat; ++r) {
      throw_if_interrupted();
      (void)run_child(argv, "attncheck sim --xclbin " + xclbin);
      std::ifstream f(report);
      const nlohmann::json j = nlohmann::json::parse(f);
      bundles = 0, cores = 0;
      for (const auto& c : j.at("array").at("cores")) bundles += c.at("bundles").get<uint64_t>(), ++cores;
      wall.push_back(j.at("seconds").get<double>());
      in_cores.push_back(j.at("core_seconds").get<double>());
      rates.push_back(static_cast<double>(bundles) / wall.back() / 1e6);
      core_rates.push_back(in_cores.back() > 0 ? static_cast<double>(bundles) / in_cores.back() / 1e6 : 0.0);
      if (threads > 1) {
        throw_if_interrupted();
        with_cpus(host, host.allowed,
                  [&] { (void)run_child(argv_threads, "attncheck sim --sim-threads " + std::to_string(threads) + " " + xclbin); });
        std::ifstream g(report);
        const nlohmann::json k = nlohmann::json::parse(g);
        wall_threads.push_back(k.at("seconds").get<double>());
        parallel = k.at("parallel_bundles").get<uint64_t>();
        free_quanta = k.at("free_quanta").get<uint64_t>();
      }
      if (per_cpu)
        for (const int c : host.cpus) {
          if (c == host.pinned) continue;
          throw_if_interrupted();
          cpu_set_t one;
          CPU_ZERO(&one);
          CPU_SET(c, &one);
          with_cpus(host, one, [&] { (void)run_child(argv, "attncheck sim on host CPU " + std::to_string(c) + " " + xclbin); });
          std::ifstream g(report);
          wall_on[c].push_back(nlohmann::json::parse(g).at("seconds").get<double>());
        }
    }
  } catch (...) {
    std::remove(report.c_str());
    rmdir(dir);
    throw;
  }
  std::remove(report.c_str());
  rmdir(dir);
  const double mr = median(rates), mc = median(core_rates), mw = median(wall), mi = median(in_cores);
  nlohmann::json j = {{"xclbin", xclbin},
                      {"insts", insts},
                      {"args", args},
                      {"command", argv},
                      {"cores", cores},
                      {"simulated_bundles", bundles},
                      {"seconds", wall},
                      {"core_seconds", in_cores},
                      {"median_s", mw},
                      {"median_core_s", mi},
                      {"mbundles_per_second_median", mr},
                      {"core_mbundles_per_second_median", mc},
                      {"ratio_to_scalar", mr / scalar_rate},
                      {"core_ratio_to_scalar", mc / scalar_rate}};
  std::ostringstream o;
  o << "  array       " << xclbin << " + " << insts << ": median " << fmt(mw, 3) << " s for " << bundles << " bundles on " << cores
    << " core(s), " << repeat << " runs\n";
  o << "              whole run (cores, DMA, streams, one thread): " << fmt(mr, 1) << " M bundles/s = " << fmt(mr / scalar_rate, 2)
    << "x the scalar core's rate above\n";
  o << "              inside the cores (" << fmt(mi, 3) << " s, " << fmt(100.0 * mi / mw, 0) << "% of the run): " << fmt(mc, 1)
    << " M bundles/s = " << fmt(mc / scalar_rate, 2) << "x the scalar core's rate\n";
  if (threads > 1) {
    // What the host charges for the threads to meet: sim's parallel quanta meet twice a quantum (a
    // 64-cycle quantum is a few microseconds of work), so this decides much of their speedup; its
    // free quanta meet once a window of 512.
    // CoreThreads::run with empty jobs, 20,000 times, three tries: the best.
    double round_trip = 1e9;
    with_cpus(host, host.allowed, [&] {  // the threads on every CPU, as the sim child's are
      aie2::array::CoreThreads pool(threads);
      const std::function<void(size_t)> nothing = [](size_t) {};
      for (int attempt = 0; attempt < 3; ++attempt) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int k = 0; k < 20000; ++k) pool.run(static_cast<size_t>(threads), nothing);
        round_trip = std::min(round_trip, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 20000);
      }
    });
    const double mt = median(wall_threads);
    j["threads"] = threads;
    j["seconds_threads"] = wall_threads;
    j["median_threads_s"] = mt;
    j["parallel_bundles"] = parallel;
    j["free_quanta"] = free_quanta;
    j["threads_speedup"] = mw / mt;
    j["threads_round_trip_us"] = round_trip * 1e6;
    o << "              on " << threads << " host threads (sim --sim-threads, alternating with the runs above): median " << fmt(mt, 3)
      << " s = " << fmt(mw / mt, 2) << "x the one-thread run; " << parallel << " of " << bundles << " bundles ran beside another core\n";
    o << "              the threads meet in " << fmt(round_trip * 1e6, 2) << " us on this host (twice a quantum; " << free_quanta
      << " quanta ran free, while every DMA channel waited: once a window of them)\n";
    if (per_cpu) {
      // The host's CPUs need not be alike: the one-thread run on each, and the best speedup a
      // perfect split of the work over the fastest `threads` of them could give.
      wall_on[host.pinned] = wall;
      nlohmann::json on = nlohmann::json::object();
      std::vector<double> medians;
      std::string list;
      for (const auto& [c, w] : wall_on) {
        on[std::to_string(c)] = median(w);
        medians.push_back(median(w));
        list += (list.empty() ? "" : ", ") + std::string("CPU ") + std::to_string(c) + " " + fmt(median(w), 3) + " s";
      }
      const double fastest = *std::min_element(medians.begin(), medians.end());
      const double bound = split_bound(medians, threads, fastest);
      j["one_thread_s_by_host_cpu"] = on;
      j["threads_speedup_over_fastest_cpu"] = fastest / mt;
      j["threads_speedup_bound"] = bound;
      o << "              one thread on each host CPU (medians): " << list << "; over the fastest, " << threads
        << " threads gave " << fmt(fastest / mt, 2) << "x, and a perfect split over these CPUs " << fmt(bound, 2) << "x at best\n";
    } else if (host.pinned < 0) {
      o << "              (one thread per host CPU not measured: not pinned, " << host.why << ")\n";
    }
  }
  j["text"] = o.str();
  return j;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "bench", "Time `attncheck run --backend model` against the torch peer on one fixture (whole processes, alternating)");
  struct Opts {
    std::string fixture, kernel, python = "/usr/bin/python3", peer, json;
    int repeat = 5, jobs = 0;
    bool no_peer = false;
    std::string sim_elf, sim_stack_at, sim_xclbin, sim_pdi, sim_insts;
    std::vector<std::string> sim_args;
    int sim_threads = 1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--fixture", o->fixture, "Fixture directory (D = 64)")->required();
  cmd->add_option("--repeat", o->repeat, "Repetitions of each side, alternating; medians are reported")
      ->capture_default_str()->check(at_least(1));
  cmd->add_option("-j,--jobs", o->jobs, "Threads of attncheck run (0: every core); the peer gets as many")
      ->capture_default_str()->check(at_least(0));
  cmd->add_option("--python", o->python, "Python with numpy and torch for the peer")->capture_default_str();
  cmd->add_option("--peer", o->peer, "The peer script (default: the kernel package's \"peer\")");
  cmd->add_flag("--no-peer", o->no_peer, "Time attncheck only (no ratio)");
  cmd->add_option("--out", o->json, "Write every measurement here as JSON (not a report: no report schema)");
  cmd->add_option("--sim-elf", o->sim_elf,
                  "Benchmark the AIE2 simulator instead: this core ELF on the fixture, one thread, against the host-compiled "
                  "source of --kernel on the same launches");
  cmd->add_option("--kernel", o->kernel,
                  "The revision or package to time (default: the first built-in with a peer script); with --sim-elf: "
                  "the revision the ELF was built from (required)");
  cmd->add_option("--sim-stack-at", o->sim_stack_at, "With --sim-elf: as `run --sim-stack-at`");
  cmd->add_option("--sim-xclbin", o->sim_xclbin,
                  "With --sim-elf: also time the array simulator running this xclbin (vector code, several cores) as "
                  "`sim --insts` does, and set its bundle rate beside the scalar ELF's");
  cmd->add_option("--sim-pdi", o->sim_pdi, "Or, as --sim-xclbin, a design's PDI (main.pdi, as `sim --pdi`)");
  cmd->add_option("--sim-insts", o->sim_insts, "With --sim-xclbin or --sim-pdi: its instruction stream");
  cmd->add_option("--sim-arg", o->sim_args, "With --sim-xclbin or --sim-pdi: N=FILE or N=SIZE, as `sim --arg`")->take_all();
  cmd->add_option("--sim-threads", o->sim_threads,
                  "With --sim-xclbin or --sim-pdi: also run each repetition on this many host threads (sim --sim-threads) and report "
                  "the speedup over one thread")
      ->check(CLI::Range(1, 64));
  cmd->callback([o, &exit_code] {
    // Before the work: a bad --out found after minutes of timing would waste them.
    OutputSet::check("--out", o->json);
    if (o->json == "-") send_text_to_stderr();
    check_distinct_paths({{"--fixture " + o->fixture + " (q.npy)", o->fixture + "/q.npy"}}, {{"--out", o->json}});
    if (!o->sim_xclbin.empty() && !o->sim_pdi.empty()) throw InputError("--sim-xclbin and --sim-pdi: give one design");
    const std::string design = o->sim_xclbin.empty() ? o->sim_pdi : o->sim_xclbin;
    const std::string design_flag = o->sim_xclbin.empty() ? "--pdi" : "--xclbin";
    if (!design.empty() && (o->sim_elf.empty() || o->sim_insts.empty()))
      throw InputError("--sim" + design_flag.substr(1) + ": needs --sim-insts (its instruction stream) and --sim-elf (the scalar ELF it is set beside)");
    if (design.empty() && (!o->sim_insts.empty() || !o->sim_args.empty() || o->sim_threads > 1))
      throw InputError("--sim-insts, --sim-arg and --sim-threads: only with --sim-xclbin or --sim-pdi");
    if (!o->sim_elf.empty()) {
      if (o->kernel.empty()) throw InputError("--sim-elf: needs --kernel, the revision or package the ELF was built from");
      // Every ratio below sets two runs side by side on one host CPU (the children inherit it).
      HostCpus host = host_cpus();
      pin_here(host);
      nlohmann::json j = bench_sim(o->fixture, o->kernel, o->sim_elf, o->sim_stack_at, o->repeat);
      const std::string pin_line = host.pinned >= 0 ? "  host cpu    every one-thread run on host CPU " + std::to_string(host.pinned) + " of " +
                                                            std::to_string(host.cpus.size()) + " (pinned: a ratio compares runs on one CPU)\n"
                                                      : "  host cpu    not pinned (" + host.why + "): the sides of a ratio may have run on different CPUs\n";
      j["host_cpu"] = host.pinned >= 0 ? nlohmann::json(host.pinned) : nlohmann::json(nullptr);
      j["host_cpus"] = host.cpus;
      j["text"] = j["text"].get<std::string>() + pin_line;
      if (!design.empty()) {
        char self[4096];
        const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0) throw std::runtime_error("bench: cannot find this executable (/proc/self/exe)");
        j["array"] = bench_sim_array(std::string(self, static_cast<size_t>(len)), design_flag, design, o->sim_insts, o->sim_args, o->repeat,
                                     j["mbundles_per_second_median"].get<double>(), o->sim_threads, host);
        j["text"] = j["text"].get<std::string>() + j["array"]["text"].get<std::string>();
      }
      if (!o->json.empty()) write_json_atomic(o->json, j);
      print(j["text"].get<std::string>());
      exit_code = kExitOk;
      return;
    }
    if (o->kernel.empty())
      for (const auto& r : revisions())
        if (o->kernel.empty() && !r.package->peer.empty()) o->kernel = r.name;
    const Revision& rev = resolve_kernel(o->kernel);
    // The peer is a script of the revision's own (kernel.json "peer"): it emulates that arithmetic.
    if (o->peer.empty()) o->peer = rev.package->peer;
    if (o->peer.empty() && !o->no_peer)
      throw InputError("--kernel " + o->kernel + ": no peer script (kernel.json \"peer\"): give --peer FILE or --no-peer");
    const Fixture fx = load_fixture(o->fixture);
    const Shape sh = fx.shape();
    check_shape(rev, sh, fx.path);
    const bool two_pass = rev.package->layout == PackageLayout::q_tile_kv_stream;
    // The binary running now: the bench times exactly what a user runs.
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) throw std::runtime_error("bench: cannot find this executable (/proc/self/exe)");
    const std::string exe(self, static_cast<size_t>(len));
    const std::string jobs = std::to_string(o->jobs > 0 ? o->jobs : fast::jobs());
    const std::vector<std::string> ours = {exe, "run", "--kernel", o->kernel, "--backend", "model", "--fixture", o->fixture,
                                           "-j", jobs};
    const std::vector<std::string> peer = {o->python, o->peer, "--fixture", o->fixture, "--threads", jobs};
    Side a, p;
    for (int r = 0; r < o->repeat; ++r) {
      a.runs.push_back(run_child(ours, "attncheck run"));
      if (!o->no_peer) p.runs.push_back(run_child(peer, "peer " + o->peer));
    }
    const double S = static_cast<double>(sh.seq), H = static_cast<double>(sh.heads), D = static_cast<double>(sh.dim);
    // The model's Q.K^T (twice for a two-pass layout, as the spec and the device) + P.V, and golden's Q.K^T + P.V.
    const double gmac = (two_pass ? 5.0 : 4.0) * H * S * S * D / 1e9;
    const nlohmann::json peak = machine_peak();
    nlohmann::json j = {
        {"fixture", fx.path},
        {"shape", {sh.heads, sh.seq, sh.dim}},
        {"kernel", o->kernel},
        {"repeat", o->repeat},
        {"jobs", std::stoi(jobs)},
        {"level", fast::level_name(fast::active_level())},
        {"attncheck", a.json()},
        {"attncheck_command", ours},
        {"work_gmac", gmac},
        {"work_counted", two_pass ? std::string("5 H S^2 D MACs: ") + rev.name +
                                        " model Q.K^T twice (both passes, as the spec and the device) + P.V, golden Q.K^T + P.V"
                                  : std::string("4 H S^2 D MACs: ") + rev.name + " model Q.K^T + P.V, golden Q.K^T + P.V"},
        {"machine", peak},
    };
    const double ours_s = j["attncheck"]["median_s"];
    j["attncheck_gmac_per_s"] = gmac / ours_s;
    // No CPU frequency in /proc/cpuinfo (some VMs, ARM): the peak is unknown, and so is the share.
    const double peak_rate = peak["gmac_per_s"].get<double>();
    j["share_of_int8_peak"] = peak_rate > 0 ? nlohmann::json(gmac / ours_s / peak_rate) : nlohmann::json(nullptr);
    // The floor: the arithmetic no implementation can skip, at the peak this machine measured now.
    // Q.K^T once (its exact integers serve the model and the golden alike) and the model's P.V as
    // int8 dot products, the golden's P.V as FP32 FMAs; the exp stages are not counted.
    if (const auto pk = fast::measure_peak(std::stoi(jobs))) {
      const double int8_macs = 2.0 * H * S * S * D, fp32_fmas = H * S * S * D;
      const double floor_s = int8_macs / pk->int8_mac_per_s + fp32_fmas / pk->fp32_fma_per_s;
      j["measured_peak"] = {{"threads", pk->threads},
                            {"level", pk->level},
                            {"int8_gmac_per_s", pk->int8_mac_per_s / 1e9},
                            {"fp32_gfma_per_s", pk->fp32_fma_per_s / 1e9},
                            {"how", pk->how + ", 16 independent chains, each thread timed on its own CPU clock"}};
      j["floor_s"] = floor_s;
      j["floor_work"] = "2 H S^2 D int8 MACs (Q.K^T once, model P.V) at the int8 peak + H S^2 D FP32 FMAs (golden P.V) at the FP32 peak";
      j["vs_floor"] = ours_s / floor_s;
      // Under load the wall time measures the other jobs too; CPU time against the floor's CPU
      // seconds (the floor on every thread) does not.
      j["vs_floor_cpu"] = j["attncheck"]["median_cpu_s"].get<double>() / (floor_s * pk->threads);
    }
    if (!o->no_peer) {
      j["peer"] = p.json();
      j["peer_command"] = peer;
      j["ratio"] = j["peer"]["median_s"].get<double>() / ours_s;
    }
    std::ostringstream s;
    auto side = [&](const char* name, const nlohmann::json& x) {
      s << "  " << name << "median " << fmt(x["median_s"], 3) << " s  (min " << fmt(x["min_s"], 3) << ", max "
        << fmt(x["max_s"], 3) << "; cpu " << fmt(x["median_cpu_s"], 3) << " s)  peak RSS " << fmt(x["peak_rss_mib"], 1)
        << " MiB\n";
    };
    s << "attncheck bench: " << o->kernel << " on " << fx.path << " (" << sh.str() << "), " << o->repeat
      << " repetitions alternating, whole processes, jobs " << jobs << ", level " << j["level"].get<std::string>() << "\n";
    side("attncheck   ", j["attncheck"]);
    if (!o->no_peer) {
      side("peer_torch  ", j["peer"]);
      s << "  ratio       " << fmt(j["ratio"], 1) << "x (peer median / attncheck median)\n";
    }
    s << "  work        " << fmt(gmac, 3) << " GMAC (" << j["work_counted"].get<std::string>() << ")\n";
    s << "  rate        " << fmt(j["attncheck_gmac_per_s"], 2) << " GMAC/s (attncheck, whole process)\n";
    s << "  int8 peak   " << fmt(peak["gmac_per_s"], 1) << " GMAC/s = " << peak["cores"].get<int>() << " cores x "
      << fmt(peak["mhz"], 0) << " MHz x " << peak["int8_mac_per_cycle_per_core"].get<int>() << " MAC/cycle, "
      << peak["isa"].get<std::string>() << "\n";
    if (peak.contains("note")) s << "              " << peak["note"].get<std::string>() << "\n";
    if (j.contains("measured_peak")) {
      const auto& mp = j["measured_peak"];
      s << "  measured    " << fmt(mp["int8_gmac_per_s"], 1) << " GMAC/s int8, " << fmt(mp["fp32_gfma_per_s"], 1)
        << " GFMA/s FP32 on " << mp["threads"].get<int>() << " threads (" << mp["how"].get<std::string>() << ")\n";
      s << "  floor       " << fmt(j["floor_s"], 4) << " s = " << j["floor_work"].get<std::string>() << "\n";
      s << "  vs floor    " << fmt(j["vs_floor"], 1) << "x (attncheck median / floor); cpu " << fmt(j["vs_floor_cpu"], 1)
        << "x (attncheck cpu / (floor x threads))\n";
    }
    if (j["share_of_int8_peak"].is_number())
      s << "  share       " << fmt(100.0 * j["share_of_int8_peak"].get<double>(), 2) << "% of the int8 peak\n";
    else
      s << "  share       unknown: /proc/cpuinfo gives no CPU frequency, so the int8 peak is unknown\n";
    if (!o->json.empty()) write_json_atomic(o->json, j);
    print(s.str());
    exit_code = kExitOk;
  });
}

}  // namespace attncheck
