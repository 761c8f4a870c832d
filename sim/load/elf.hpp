// ELF32 reader for AIE2 core programs (Peano/llvm-aie, e_machine 0x108): sections, segments, symbols.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck::aie2 {

constexpr uint16_t kElfMachineAie2 = 0x108;

struct ElfSection {
  std::string name;
  uint32_t type = 0, flags = 0, addr = 0, offset = 0, size = 0, link = 0;
};

struct ElfSegment {
  uint32_t type = 0, offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, flags = 0;
  bool executable() const { return (flags & 1u) != 0; }
};

struct ElfSymbol {
  std::string name;
  uint32_t value = 0, size = 0;
  uint8_t type = 0;   // STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_FILE 4
  uint8_t bind = 0;   // STB_LOCAL 0, STB_GLOBAL 1
  uint16_t shndx = 0;
  bool is_function() const { return type == 2; }
};

// One loadable piece of the core's memories, as a loader writes it: program memory for
// executable segments, data memory for the others (bytes past filesz up to memsz are zero).
struct LoadImage {
  uint32_t address = 0;
  bool program = false;
  std::vector<uint8_t> bytes;
};

class Elf {
 public:
  std::string path;  // prefixes every error about this file
  std::string sha256;
  uint16_t machine = 0;
  uint32_t entry = 0, flags = 0;
  std::vector<ElfSection> sections;
  std::vector<ElfSegment> segments;
  std::vector<ElfSymbol> symbols;

  const ElfSection* section(const std::string& name) const;
  // Global first, then local: the same name can stand in both (never in these ELFs, but cheap).
  const ElfSymbol* symbol(const std::string& name) const;
  // The function symbol containing `address` (value <= address < value + size), else nullptr.
  const ElfSymbol* function_at(uint32_t address) const;
  std::vector<uint8_t> section_bytes(const ElfSection& s) const;  // empty for NOBITS
  std::vector<LoadImage> load_images() const;
  // .text: the address it runs at and its bytes. InputError when there is none.
  uint32_t text_address() const;
  const std::vector<uint8_t>& text() const { return text_; }
  // A program with only a .text at address 0 and entry 0: what the fuzz target and the tests
  // hand the simulator when the bytes do not come from a linked ELF.
  static Elf from_text(const std::string& name, std::vector<uint8_t> text);
  // The same with data-memory segments, e.g. the memories a PDI writes.
  static Elf from_images(const std::string& name, std::vector<uint8_t> text, const std::vector<LoadImage>& data);

 private:
  friend Elf parse_elf(const uint8_t*, size_t, const std::string&);
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> text_;
};

// InputError "NAME: ..." for anything that is not a well-formed little-endian ELF32 executable
// for AIE2: a bad magic, a truncated header or table, an offset past the end, a string without
// its terminator. Never crashes on any input (the entry point of fuzz_aie2_elf).
Elf parse_elf(const uint8_t* data, size_t size, const std::string& name);
Elf read_elf(const std::string& path);

}  // namespace attncheck::aie2
