// The subcommands of `attncheck`, each registered on the app by its own file.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace attncheck {

// Each adds its subcommand to `app`; the callback sets `exit_code` (errors are thrown).
void add_run_command(CLI::App& app, int& exit_code);
void add_array_commands(CLI::App& app, int& exit_code);  // golden, emulate, compare
void add_fixture_command(CLI::App& app, int& exit_code);
void add_kernels_command(CLI::App& app, int& exit_code);
void add_diff_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_suite_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);
void add_elf_command(CLI::App& app, int& exit_code);      // elf disasm, elf inspect
void add_sim_command(CLI::App& app, int& exit_code);

// Writes `text` to stdout and flushes: summaries are the product a person reads.
void print(const std::string& text);

}  // namespace attncheck
