// The subcommands of `attncheck`, each registered on the app by its own file.
#pragma once
#include <cerrno>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace attncheck {

// Each adds its subcommand to `app`; the callback sets `exit_code` (errors are thrown).
void add_run_command(CLI::App& app, int& exit_code);
void add_array_commands(CLI::App& app, int& exit_code);  // golden, emulate, compare
void add_fixture_command(CLI::App& app, int& exit_code);
void add_kernels_command(CLI::App& app, int& exit_code);
// --kernel-timeout SECONDS on a command that may run a kernel package's code (cmd_kernels.cpp).
void add_kernel_timeout_option(CLI::App* cmd);
void add_diff_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_suite_command(CLI::App& app, int& exit_code);
void add_merge_command(CLI::App& app, int& exit_code);   // joins `suite --shard K/N` aggregates
void add_bench_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);
void add_elf_command(CLI::App& app, int& exit_code);      // elf disasm, elf inspect
void add_sim_command(CLI::App& app, int& exit_code);
// `attncheck profile`: `sim --insts --profile`, cycles per function (docs/aie2-timing.md).
void add_profile_command(CLI::App& app, int& exit_code);
void add_insts_command(CLI::App& app, int& exit_code);    // insts dump
void add_xclbin_command(CLI::App& app, int& exit_code);  // xclbin wrap

// Writes `text` to stdout and flushes: summaries are the product a person reads.
void print(const std::string& text);

// A number option's lower bound, said in words ("--iterations: must be an integer >= 1, got 0"):
// CLI11's PositiveNumber printed its range as a 309-digit number.
inline CLI::Validator at_least(long long min) {
  return CLI::Validator(
      [min](std::string& v) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno == ERANGE || x < min)
          return "must be an integer >= " + std::to_string(min) + ", got " + v.substr(0, 40);
        return "";
      },
      ">= " + std::to_string(min));
}

// --sim-max-cycles: 1 to 10^15 (aie2::kMaxMaxCycles), said in words. 0 used to mean the default
// silently, and 2^64 - 1 wrapped the limit ("no transfer moved in 18446744073709551615 bundles").
inline CLI::Validator sim_max_cycles_range() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        const bool digits = !v.empty() && v.size() <= 16 && v.find_first_not_of("0123456789") == std::string::npos;
        const unsigned long long x = digits ? std::strtoull(v.c_str(), nullptr, 10) : 0;
        if (!digits || x < 1 || x > 1000000000000000ull)
          return "must be an integer from 1 to 10^15 (bundles without a transfer), got " + v.substr(0, 40);
        return "";
      },
      "1..10^15");
}

}  // namespace attncheck
