// libFuzzer target: any bytes as a core ELF, read, decoded bundle by bundle, analysed and listed.
#include <cstdint>
#include <cstdlib>

#include "ref/errors.hpp"
#include "sim/inspect.hpp"

using namespace attncheck;
using namespace attncheck::aie2;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Elf e = parse_elf(data, size, "fuzz.elf");
    const ElfReport r = inspect_elf(e, nullptr);
    // Every byte of .text belongs to exactly one decoded or undecoded bundle.
    size_t covered = 0;
    for (const auto& b : decode_program(e).bundles) covered += b.size;
    if (covered != e.text().size()) std::abort();
    (void)to_json(r);
    (void)disassemble(e);
  } catch (const InputError&) {
  }
  // The decoder alone, on the raw bytes as a program: never a crash, whatever they are.
  for (size_t off = 0; off < size;) {
    const Bundle b = decode_bundle(data + off, size - off, static_cast<uint32_t>(off));
    if (b.size == 0 || b.size > 16) std::abort();
    (void)format_bundle(b);
    off += b.size;
  }
  return 0;
}
