// Entry point of `attncheck`: parses the command line and maps every error to one line and an exit code.
#include <cstdio>
#include <iostream>
#include <new>
#include <string>

#include "cli/commands.hpp"
#include "ref/errors.hpp"

namespace {

// Errors are one line on stderr: a multi-line message would break CI log parsers.
int fail(int code, const std::string& msg) {
  std::string line = msg;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "attncheck: %s\n", line.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attncheck;
  CLI::App app{"attncheck: golden and bit-exact integer models of INT8 attention kernels for the AMD Phoenix NPU,\n"
               "run beside the device, with metrics and reports.",
               "attncheck"};
  app.set_version_flag("--version", std::string("attncheck ") + ATTNCHECK_VERSION);
  app.require_subcommand(1, 1);
  app.footer("Exit codes: 0 done, 1 a gate failed, 2 bad input or usage, 3 device unavailable, 4 internal error.");
  int exit_code = kExitOk;
  add_run_command(app, exit_code);
  add_array_commands(app, exit_code);
  add_fixture_command(app, exit_code);
  add_kernels_command(app, exit_code);
  add_suite_command(app, exit_code);
  add_diff_command(app, exit_code);
  add_report_command(app, exit_code);
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
  } catch (const CLI::ParseError& e) {
    return fail(kExitBadInput, std::string(e.what()) + " (see --help)");
  } catch (const InputError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const DeviceError& e) {
    return fail(kExitNoDevice, e.what());
  } catch (const std::bad_alloc&) {
    return fail(kExitBadInput, "out of memory: the input is larger than this machine can hold");
  } catch (const std::exception& e) {
    return fail(4, std::string("internal error: ") + e.what());
  }
  return exit_code;
}
