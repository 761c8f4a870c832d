// Entry point of `attncheck`: parses the command line and maps every error to one line and an exit code.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>

#include "cli/commands.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"
#include "ref/interrupt.hpp"

// The executable's operator new (the library's new-handler serves aligned allocations and the Python
// module). Under `ulimit -v`, a suite's worker can take the last memory while the other thread runs
// ordinary code whose destructors allocate (nlohmann::json frees a value through a vector of its
// children), and an exception leaving a destructor ends the process (seen: `ulimit -v 37000 suite
// -j 2`). So a small allocation that fails (up to 64 KiB, where destructors and error messages
// allocate) takes a block of the memory reserve and tries again; a large one (the tensors, which
// are what runs out) fails with std::bad_alloc at once, leaving the reserve to the unwinding that
// follows; an allocation failing while its thread unwinds takes blocks too, and with none left the
// run ends with its one line and exit code 2 (fixtures/memory_guard.hpp).
// Not under AddressSanitizer, whose own operator new and delete pair with each other (its nothrow
// and array forms would meet this delete).
#if defined(__SANITIZE_ADDRESS__)
#define ATTNCHECK_OWN_OPERATOR_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTNCHECK_OWN_OPERATOR_NEW 0
#endif
#endif
#ifndef ATTNCHECK_OWN_OPERATOR_NEW
#define ATTNCHECK_OWN_OPERATOR_NEW 1
#endif
#if ATTNCHECK_OWN_OPERATOR_NEW
void* operator new(std::size_t n) {
  constexpr std::size_t kSmallAllocation = std::size_t{64} << 10;
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    attncheck::on_failed_allocation(n <= kSmallAllocation);
  }
}
// GCC sees the pointer came from operator new and warns at free(); here that is the pairing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif  // ATTNCHECK_OWN_OPERATOR_NEW

namespace {

// Errors are one line on stderr: a multi-line message would break CI log parsers.
int fail(int code, const std::string& msg) {
  std::string line = msg;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  line = attncheck::terminal_text(line);
  // Whatever the message quotes, the line stays readable in a CI log.
  if (line.size() > 600) line = line.substr(0, 600) + "... (" + std::to_string(line.size()) + " characters)";
  std::fprintf(stderr, "attncheck: %s\n", line.c_str());
  return code;
}

// SIGINT/SIGTERM only set a flag: long loops and atomic writers check it, stop, and remove their
// temp files, so an interrupted run never leaves a partial report. SA_RESETHAND makes a second
// signal kill at once, for when the first is not noticed soon enough.
extern "C" void on_stop_signal(int sig) { attncheck::g_interrupt_signal.store(sig); }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attncheck;
  // 256 KiB: twice what suite, run and sim were seen to need (they ran under `ulimit -s 128`).
  grow_main_stack(size_t{256} << 10);
  install_stop_handlers();
  arm_memory_reserve();
  CLI::App app{"attncheck: golden and bit-exact integer models of INT8 attention kernels for the AMD Phoenix NPU,\n"
               "run beside the device, with metrics and reports.",
               "attncheck"};
  app.set_version_flag("--version", std::string("attncheck ") + ATTNCHECK_VERSION);
  app.require_subcommand(1, 1);
  app.footer("Exit codes: 0 done, 1 a gate failed, 2 bad input or usage, 3 device unavailable, 4 internal error or a kernel package that faulted or hung, "
             "130/143 interrupted by SIGINT/SIGTERM (nothing written).");
  int exit_code = kExitOk;
  add_run_command(app, exit_code);
  add_array_commands(app, exit_code);
  add_fixture_command(app, exit_code);
  add_kernels_command(app, exit_code);
  add_suite_command(app, exit_code);
  add_merge_command(app, exit_code);
  add_bench_command(app, exit_code);
  add_diff_command(app, exit_code);
  add_report_command(app, exit_code);
  add_doctor_command(app, exit_code);
  add_elf_command(app, exit_code);
  add_insts_command(app, exit_code);
  add_sim_command(app, exit_code);
  add_xclbin_command(app, exit_code);
  add_profile_command(app, exit_code);
  // An empty argument names no file and no value: `--json ""` used to write nothing, silently.
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] == '\0' || (argv[i][0] == '-' && std::string(argv[i]).back() == '='))
      return fail(kExitBadInput, (i > 1 && argv[i][0] == '\0' ? std::string(argv[i - 1]) : std::string(argv[i])) +
                                     ": empty value (give a file name or a value)");
  // CLI11 reports an unknown subcommand as "a subcommand is required"; name the word instead.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (const auto* sub : app.get_subcommands({})) {
      known += (known.empty() ? "" : ", ") + sub->get_name();
      found = found || sub->get_name() == argv[1];
    }
    if (!found) return fail(kExitBadInput, std::string("unknown subcommand '") + argv[1] + "' (known: " + known + ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const Interrupted& e) {
    // 128 + signal, as a shell reports a process the signal killed (130 SIGINT, 143 SIGTERM).
    return fail(128 + e.signal, std::string(e.what()) + ": stopped; no report or output written");
  } catch (const CLI::ParseError& e) {
    return fail(kExitBadInput, std::string(e.what()) + " (see --help)");
  } catch (const InputError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const DeviceError& e) {
    return fail(kExitNoDevice, e.what());
  } catch (const KernelFault& e) {
    return fail(kExitKernelFault, e.what());
  } catch (const std::bad_alloc&) {
    return fail(kExitBadInput, "out of memory: the input is larger than this machine can hold");
  } catch (const std::exception& e) {
    return fail(4, std::string("internal error: ") + e.what());
  }
  // A signal after the last check (while printing the summary): the work is whole and written.
  return exit_code;
}
