// `attncheck insts dump`: read an NPU instruction stream in any form (insts.bin/.txt, Riallto .seq, npu_insts.mlir) and print one line per op.
#include <string>

#include "cli/commands.hpp"
#include "ref/errors.hpp"
#include "sim/load/npu_insts.hpp"

namespace attncheck {

void add_insts_command(CLI::App& app, int& exit_code) {
  auto* insts = app.add_subcommand("insts", "Read an NPU instruction stream (what XRT hands the device with the kernel)");
  insts->require_subcommand(1, 1);
  auto file = std::make_shared<std::string>();
  auto* dump = insts->add_subcommand(
      "dump", "The stream's format and header, then one line per op: word index, op, register address and fields");
  dump->add_option("FILE", *file, "insts.bin, insts.txt, a Riallto .seq, a TXN .bin or aiecc's npu_insts.mlir")->required();
  dump->callback([file, &exit_code] {
    const aie2::InstructionStream s = aie2::read_instruction_stream(*file);
    std::string out = terminal_text(s.path) + ": " + s.format + " (" + s.encoding + "), " + std::to_string(s.words.size()) +
                      " words, " + std::to_string(s.ops.size()) + " ops, sha256 " + s.sha256 + "\n";
    if (s.version_major >= 0)
      out += "header: version " + std::to_string(s.version_major) + "." + std::to_string(s.version_minor) +
             ", device generation " + std::to_string(s.device_generation) + ", " + std::to_string(s.rows) + " rows, " +
             std::to_string(s.columns) + " columns, " + std::to_string(s.mem_tile_rows) + " mem tile row(s)\n";
    out += "runtime-sequence argument i is XRT kernel argument i + " + std::to_string(s.first_buffer_kernel_arg) + "\n";
    for (const auto& op : s.ops) out += aie2::describe(op) + "\n";
    print(out);
    exit_code = 0;
  });
}

}  // namespace attncheck
