// `attncheck elf disasm|inspect`: read a compiled AIE2 core ELF, list every bundle, and measure its stack from the binary.
#include <memory>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "compare/report.hpp"
#include "sim/inspect.hpp"

namespace attncheck {

void add_elf_command(CLI::App& app, int& exit_code) {
  auto* elf = app.add_subcommand("elf", "Read a compiled AIE2 core ELF (Peano/llvm-aie): disassembly and stack analysis");
  elf->require_subcommand(1, 1);

  struct DisasmArgs {
    std::string file;
  };
  auto d = std::make_shared<DisasmArgs>();
  auto* disasm = elf->add_subcommand("disasm", "Every bundle: address, bytes, format, and each slot's instruction");
  disasm->add_option("FILE.elf", d->file, "The core ELF (e.g. main_core_0_2.elf)")->required();
  disasm->callback([d, &exit_code] {
    const aie2::Elf e = aie2::read_elf(d->file);
    print(aie2::disassemble(e));
    exit_code = 0;
  });

  struct InspectArgs {
    std::string file, ld_script, json;
    uint32_t row_bytes = 0;
  };
  auto a = std::make_shared<InspectArgs>();
  auto* inspect = elf->add_subcommand(
      "inspect", "Functions, frames, call graph, deepest stack from the entry, and its overlaps with the tile's buffers");
  inspect->add_option("FILE.elf", a->file, "The core ELF")->required();
  inspect->add_option("--ld-script", a->ld_script,
                      "The link script (main_core_X_Y.ld.script): stack reservation and buffer sizes");
  inspect->add_option("--json", a->json, "Write the analysis as JSON here");
  inspect->add_option("--row-bytes", a->row_bytes, "Also name the overlapped rows of a row-major buffer (e.g. 64)");
  inspect->callback([a, &exit_code] {
    OutputSet::check("--json", a->json);
    const aie2::Elf e = aie2::read_elf(a->file);
    std::unique_ptr<aie2::LinkScript> ld;
    if (!a->ld_script.empty()) ld = std::make_unique<aie2::LinkScript>(aie2::read_link_script(a->ld_script));
    const aie2::ElfReport r = aie2::inspect_elf(e, ld.get());
    nlohmann::json j = aie2::to_json(r);
    j["schema"] = "attncheck.elf/1";
    if (a->row_bytes) j["verdict"] = aie2::stack_verdict(r, a->row_bytes);
    if (!a->json.empty()) write_json_atomic(a->json, j);
    std::string text = aie2::inspect_text(r);
    if (a->row_bytes) text += "  " + aie2::stack_verdict(r, a->row_bytes) + "\n";
    print(text + (a->json.empty() ? "" : "  report    " + a->json + "\n"));
    exit_code = 0;
  });
}

}  // namespace attncheck
