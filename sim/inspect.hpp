// Static analysis of an AIE2 core ELF: every bundle decoded, functions, frames, call graph, the deepest stack and its overlaps with the tile's buffers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/load/elf.hpp"
#include "sim/isa/isa.hpp"

namespace attncheck::aie2 {

// What a core link script (mlir-aie's main_core_X_Y.ld.script) places: `NAME = .;` symbols with the
// size of the `. += N;` that follows, and the stack (`_sp_start_value_DM_stack`).
struct LinkSymbol {
  std::string name;
  uint32_t address = 0, size = 0;
};
struct LinkScript {
  std::string path;
  std::vector<LinkSymbol> symbols;
  const LinkSymbol* find(const std::string& name) const;
};
// InputError naming the file and line on a script this reader does not understand.
LinkScript read_link_script(const std::string& path);
LinkScript parse_link_script(const std::string& text, const std::string& name);

// Every bundle of .text in address order.
struct Program {
  uint32_t base = 0;
  std::vector<Bundle> bundles;
  // Index of the bundle starting at `address`, or -1.
  int index_at(uint32_t address) const;
};
Program decode_program(const Elf& elf);

struct CallEdge {
  uint32_t at = 0;      // address of the branching bundle
  uint32_t target = 0;  // 0 with kind "indirect"
  std::string kind;     // "call" (jl), "tail" (j into another function), "fallthrough", "indirect"
  std::string callee;   // function name, empty when the target is no function
};

struct FunctionInfo {
  std::string name;
  uint32_t address = 0, size = 0;
  // The highest SP rise the function reaches over its entry SP: the running sum of its
  // `padda/paddb [sp], #imm` adjustments in address order (prologues raise, epilogues lower).
  uint32_t frame_bytes = 0;
  uint32_t vector_bundles = 0;  // bundles holding a vector-unit instruction (is_vector_instruction)
  std::vector<CallEdge> calls;
};

struct BufferInfo {
  std::string name;
  uint32_t address = 0, size = 0;
  std::string size_source;  // "link script", "design", or "unknown"
};

struct StackInfo {
  uint32_t base = 0;             // where SP starts (`_sp_start_value_DM_stack`)
  uint32_t reserved_bytes = 0;   // what the build set aside
  std::string reserved_source;   // "link script" or "default 0x400 (mlir-aie)"
  uint32_t max_bytes = 0;        // deepest chain's frames, from the entry
  std::vector<std::string> deepest_chain;
  std::string entry;
  bool unbounded = false;        // recursion or an indirect call makes the depth unknowable
  std::string unbounded_reason;
  uint32_t reaches() const { return base + max_bytes; }  // first address past the deepest frame
};

struct Overlap {
  std::string buffer;
  uint32_t first_byte = 0, last_byte = 0, bytes = 0;  // offsets inside the buffer
};

struct Undecoded {
  uint32_t address = 0;
  std::string bytes;
  std::string what;  // "no format" or which slot failed
};

struct ElfReport {
  std::string path, sha256;
  size_t bundles = 0;
  std::vector<Undecoded> undecoded;
  std::vector<std::string> bad_targets;  // branch targets that are not bundle starts
  std::vector<FunctionInfo> functions;
  StackInfo stack;
  std::vector<BufferInfo> buffers;
  std::vector<Overlap> overlaps;
  std::string link_script;  // path, empty when none
};

// `buffers` overrides the buffer list (names, addresses, sizes from a design); without it the
// `of_*` symbols of the ELF are the buffers, sized by the link script when one is given.
ElfReport inspect_elf(const Elf& elf, const LinkScript* ld, const std::vector<BufferInfo>* buffers = nullptr);

// The parts of the ELF's own data sections (.data, .rodata, .bss: allocated, not executable, in
// data memory) that the bytes [lo, hi) cover: a stack from lo up to hi runs over them.
std::vector<Overlap> data_section_overlaps(const Elf& elf, uint32_t lo, uint32_t hi);
// What a run's stack ran over of the ELF's own data: from where SP started (`stack_at`, else the
// ELF's _sp_start_value_DM_stack) to the highest SP reached. Empty when neither start is known.
std::vector<Overlap> stack_over_data(const Elf& elf, std::optional<uint32_t> stack_at, uint32_t max_sp);
nlohmann::json to_json(const ElfReport& r);
// The one-line stack verdict, e.g. "stack reaches 0x70AE0: 1760 B into of_QKV_cons_buff_0 (bytes
// 0..1759)", or "stack fits: 2784 B of 4096 B reserved". `row_bytes` > 0 adds the rows of a
// row-major buffer, e.g. "(bytes 0..1759, rows 0..27 of 64 B)".
std::string stack_verdict(const ElfReport& r, uint32_t row_bytes = 0);
std::string inspect_text(const ElfReport& r);

// Disassembly listing: symbol headers, then "address: bytes  format  slot ; slot ...".
std::string disassemble(const Elf& elf);

// The function containing `address`, by symbol; "" when none.
std::string function_name_at(const Elf& elf, uint32_t address);

}  // namespace attncheck::aie2
