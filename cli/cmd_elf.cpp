// `attncheck elf disasm|inspect`: read a compiled AIE2 core ELF (or one core of an xclbin or PDI), list every bundle, and measure its stack from the binary.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "compare/report.hpp"
#include "sim/load/design.hpp"
#include "ref/errors.hpp"
#include "sim/inspect.hpp"
#include "sim/load/pdi.hpp"

namespace attncheck {

namespace {

// "xclbin" or "PDI" when the file opens as one (an xclbin with "xclbin2"; a PDI with bootgen's SMAP
// bus-width pattern, bytes DD 00 00 00 44 33 22 11), else "".
std::string device_image_kind(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char head[8] = {};
  f.read(head, sizeof head);
  if (f.gcount() != 8) return "";
  if (std::memcmp(head, "xclbin2", 8) == 0) return "xclbin";
  if (std::memcmp(head, "\xDD\x00\x00\x00\x44\x33\x22\x11", 8) == 0) return "PDI";
  return "";
}

// `elf inspect` reads core ELFs. Handed an xclbin or a PDI it says so in one line, after the
// loader's own checks, which refuse one made for another device (docs/aie2-array.md, "Which
// device"): an image's program carries no symbols, and a stack analysis without functions would
// find no frames and call any stack safe.
void refuse_device_image(const std::string& path) {
  const std::string kind = device_image_kind(path);
  if (kind.empty()) return;
  (void)aie2::read_device_image(path);  // another device's, or a malformed one: its own one-line error
  throw InputError(path + ": an npu1 " + kind +
                   ", not a core ELF: `elf inspect` needs the ELF's symbols (main_core_C_R.elf); `elf disasm " + path +
                   " --core C,R` lists one of its cores, `attncheck sim --xclbin F --insts F` runs the design");
}

// "C,R" -> (column, row); anything else is a usage error naming the option.
std::pair<int, int> parse_core(const std::string& text) {
  int col = -1, row = -1;
  const char* const end = text.data() + text.size();
  const auto c = std::from_chars(text.data(), end, col);
  const bool comma = c.ec == std::errc() && c.ptr != end && *c.ptr == ',';
  const auto r = comma ? std::from_chars(c.ptr + 1, end, row) : std::from_chars_result{end, std::errc::invalid_argument};
  if (!comma || r.ec != std::errc() || r.ptr != end || col < 0 || col > 63 || row < 0 || row > 63)
    throw InputError("--core: '" + text + "' is not COLUMN,ROW (e.g. 0,2)");
  return {col, row};
}

bool writes_program(const aie2::TileImage& t) {
  return std::find(t.program_written.begin(), t.program_written.end(), 1) != t.program_written.end();
}

// The compute tiles whose program memory an image writes, as "(c,r) (c,r) ...".
std::string cores_written(const aie2::DeviceImage& img) {
  std::string list;
  for (const auto& [cr, t] : img.tiles)
    if (writes_program(t)) list += (list.empty() ? "" : " ") + ("(" + std::to_string(cr.first) + "," + std::to_string(cr.second) + ")");
  return list.empty() ? "none" : list;
}

// The program `elf disasm` lists: a core ELF as it is, or, from an xclbin or PDI, the program its
// CDO writes into the core `core` names ("C,R"; required there, refused for an ELF).
aie2::Elf read_core_program(const std::string& file, const std::string& core) {
  if (device_image_kind(file).empty()) {
    if (!core.empty()) throw InputError(file + ": --core names a core of an xclbin or PDI; a core ELF is one core already");
    return aie2::read_elf(file);
  }
  // The program memory an image's CDO writes holds no symbols: functions are named by address.
  const aie2::DeviceImage img = aie2::read_device_image(file);
  if (core.empty())
    throw InputError(file + ": an xclbin or PDI holds several cores; name one with --core COLUMN,ROW (it writes programs into " +
                     cores_written(img) + ")");
  const auto [col, row] = parse_core(core);
  const aie2::TileImage* t = img.tile(col, row);
  if (!t || !writes_program(*t))
    throw InputError(file + ": writes no program into core (" + std::to_string(col) + "," + std::to_string(row) +
                     "); it writes programs into " + cores_written(img));
  aie2::Elf e = aie2::core_program(img, col, row);
  e.path = file + " core (" + std::to_string(col) + "," + std::to_string(row) + ")";
  return e;
}

}  // namespace

void add_elf_command(CLI::App& app, int& exit_code) {
  auto* elf = app.add_subcommand("elf", "Read a compiled AIE2 core ELF (Peano/llvm-aie): disassembly and stack analysis");
  elf->require_subcommand(1, 1);

  struct DisasmArgs {
    std::string file, core;
  };
  auto d = std::make_shared<DisasmArgs>();
  auto* disasm = elf->add_subcommand("disasm", "Every bundle: address, bytes, format, and each slot's instruction");
  disasm->add_option("FILE", d->file, "The core ELF (e.g. main_core_0_2.elf), or an xclbin or PDI with --core")->required();
  disasm->add_option("--core", d->core,
                     "COLUMN,ROW: the core of an xclbin or PDI to list, the program its CDO writes into that tile (e.g. 0,4)");
  disasm->callback([d, &exit_code] {
    print(aie2::disassemble(read_core_program(d->file, d->core)));
    exit_code = 0;
  });

  struct InspectArgs {
    std::string file, ld_script, design, json;
    bool fail_on_overlap = false;
    uint32_t row_bytes = 0;
  };
  auto a = std::make_shared<InspectArgs>();
  auto* inspect = elf->add_subcommand(
      "inspect", "Functions, frames, call graph, deepest stack from the entry, and its overlaps with the tile's buffers");
  inspect->add_option("FILE.elf", a->file, "The core ELF")->required();
  inspect->add_option("--ld-script", a->ld_script,
                      "The link script (main_core_X_Y.ld.script): stack reservation and buffer sizes");
  inspect->add_option("--design", a->design,
                      "The placed design (input_physical_with_elfs.mlir): buffer names, addresses and sizes, and lock ids, "
                      "from it instead of the ELF's symbols");
  inspect->add_option("--json", a->json, "Write the analysis as JSON here");
  inspect->add_option("--row-bytes", a->row_bytes, "Also name the overlapped rows of a row-major buffer (e.g. 64)");
  inspect->add_flag("--fail-on-overlap", a->fail_on_overlap,
                    "Exit 1 when the deepest stack overlaps a buffer (or its depth is unbounded): a CI gate");
  inspect->callback([a, &exit_code] {
    OutputSet::check("--json", a->json);
    if (a->json == "-") send_text_to_stderr();
    check_distinct_paths({{"FILE.elf", a->file}, {"--ld-script", a->ld_script}, {"--design", a->design}}, {{"--json", a->json}});
    refuse_device_image(a->file);
    const aie2::Elf e = aie2::read_elf(a->file);
    std::unique_ptr<aie2::LinkScript> ld;
    if (!a->ld_script.empty()) ld = std::make_unique<aie2::LinkScript>(aie2::read_link_script(a->ld_script));
    std::unique_ptr<aie2::Design> design;
    std::vector<aie2::BufferInfo> buffers;
    if (!a->design.empty()) {
      design = std::make_unique<aie2::Design>(aie2::read_design(a->design));
      for (const auto& b : design->buffers)
        if (b.tile == design->core_tile) buffers.push_back({b.name, b.core_address(), b.bytes, "design"});
    }
    const aie2::ElfReport r = aie2::inspect_elf(e, ld.get(), design ? &buffers : nullptr);
    nlohmann::json j = aie2::to_json(r);
    j["schema"] = "attncheck.elf/1";
    j["tool"] = tool_json();
    j["command"] = "elf inspect";
    std::string lock_text;
    if (design) {
      nlohmann::json locks = nlohmann::json::array();
      for (const auto& l : design->locks) {
        if (l.tile != design->core_tile) continue;
        locks.push_back({{"name", l.name}, {"id", l.id}, {"init", l.init}});
        lock_text += "    " + l.name + "  id " + std::to_string(l.id) + ", init " + std::to_string(l.init) + "\n";
      }
      j["design"] = {{"path", design->path}, {"sha256", design->sha256}, {"locks", locks}};
      lock_text = "  locks (" + design->path + ")\n" + lock_text;
    }
    if (a->row_bytes) j["verdict"] = aie2::stack_verdict(r, a->row_bytes);
    if (!a->json.empty()) write_json_atomic(a->json, j);
    std::string text = aie2::inspect_text(r) + lock_text;
    if (a->row_bytes) text += "  " + aie2::stack_verdict(r, a->row_bytes) + "\n";
    // A stack that runs into a buffer corrupts it on every call (the seeds' kernel): a gate fails on it.
    const bool overlap = !r.overlaps.empty() || r.stack.unbounded;
    if (a->fail_on_overlap)
      text += "  verdict   " + std::string(overlap ? "FAIL: " : "PASS: ") + aie2::stack_verdict(r, a->row_bytes) + " (--fail-on-overlap)\n";
    print(text + (a->json.empty() ? "" : "  report    " + a->json + "\n"));
    exit_code = a->fail_on_overlap && overlap ? kExitGateFailed : kExitOk;
  });
}

}  // namespace attncheck
