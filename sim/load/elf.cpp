// ELF32 reader for AIE2 core programs: every offset and count is checked before it is used.
#include "sim/load/elf.hpp"

#include <algorithm>
#include <cstring>

#include "fixtures/input_file.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck::aie2 {
namespace {

// Core ELFs are a few KiB; this bound keeps a hostile header from making us allocate gigabytes.
constexpr size_t kMaxElfBytes = 64u << 20;

struct Reader {
  const uint8_t* data;
  size_t size;
  const std::string& name;

  [[noreturn]] void fail(const std::string& what) const { throw InputError(name + ": " + what); }
  void need(uint64_t offset, uint64_t bytes, const char* what) const {
    if (offset > size || bytes > size - offset)
      fail(std::string("truncated: ") + what + " at offset " + std::to_string(offset) + " needs " +
           std::to_string(bytes) + " bytes, the file has " + std::to_string(size));
  }
  uint16_t u16(uint64_t o) const { return static_cast<uint16_t>(data[o] | data[o + 1] << 8); }
  uint32_t u32(uint64_t o) const {
    return static_cast<uint32_t>(data[o]) | static_cast<uint32_t>(data[o + 1]) << 8 |
           static_cast<uint32_t>(data[o + 2]) << 16 | static_cast<uint32_t>(data[o + 3]) << 24;
  }
  std::string cstr(const ElfSection& table, uint32_t index, const char* what) const {
    if (index >= table.size) fail(std::string(what) + " name offset " + std::to_string(index) + " is past its string table");
    const uint8_t* begin = data + table.offset + index;
    const uint8_t* end = data + table.offset + table.size;
    const uint8_t* nul = std::find(begin, end, uint8_t{0});
    if (nul == end) fail(std::string(what) + " name at string-table offset " + std::to_string(index) + " has no terminator");
    return std::string(reinterpret_cast<const char*>(begin), static_cast<size_t>(nul - begin));
  }
};

}  // namespace

const ElfSection* Elf::section(const std::string& name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

const ElfSymbol* Elf::symbol(const std::string& name) const {
  const ElfSymbol* local = nullptr;
  for (const auto& s : symbols) {
    if (s.name != name) continue;
    if (s.bind != 0) return &s;
    if (!local) local = &s;
  }
  return local;
}

const ElfSymbol* Elf::function_at(uint32_t address) const {
  for (const auto& s : symbols)
    if (s.is_function() && s.size > 0 && address >= s.value && address - s.value < s.size) return &s;
  return nullptr;
}

std::vector<uint8_t> Elf::section_bytes(const ElfSection& s) const {
  if (s.type == 8 /* SHT_NOBITS */) return {};
  return std::vector<uint8_t>(bytes_.begin() + s.offset, bytes_.begin() + s.offset + s.size);
}

std::vector<LoadImage> Elf::load_images() const {
  std::vector<LoadImage> out;
  for (const auto& p : segments) {
    if (p.type != 1 /* PT_LOAD */ || p.memsz == 0) continue;
    LoadImage img;
    img.address = p.vaddr;
    img.program = p.executable();
    img.bytes.assign(p.memsz, 0);
    std::memcpy(img.bytes.data(), bytes_.data() + p.offset, p.filesz);
    out.push_back(std::move(img));
  }
  return out;
}

uint32_t Elf::text_address() const {
  const ElfSection* t = section(".text");
  if (!t) throw InputError(path + ": no .text section");
  return t->addr;
}

Elf parse_elf(const uint8_t* data, size_t size, const std::string& name) {
  Reader r{data, size, name};
  if (size > kMaxElfBytes) r.fail("too large for a core program (" + std::to_string(size) + " bytes)");
  if (size < 4 || std::memcmp(data, "\x7f" "ELF", 4) != 0) r.fail("not an ELF file (bad magic)");
  r.need(0, 52, "ELF header");
  if (data[4] != 1) r.fail("not ELF32 (class " + std::to_string(data[4]) + "); AIE2 core programs are ELF32");
  if (data[5] != 1) r.fail("not little-endian (data encoding " + std::to_string(data[5]) + ")");
  Elf e;
  e.path = name;
  e.machine = r.u16(18);
  if (e.machine != kElfMachineAie2) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", e.machine);
    r.fail(std::string("e_machine ") + buf + ", not AIE2 (0x108): not a Peano/llvm-aie core ELF");
  }
  e.entry = r.u32(24);
  const uint32_t phoff = r.u32(28), shoff = r.u32(32);
  e.flags = r.u32(36);
  // A core program is a linked executable for AIE2 (llvm-aie: AIETargetELFStreamer sets e_flags
  // EF_AIE_AIE2 = 0x2 for the aie2 triple, EF_AIE_AIE1 = 0x1, EF_AIE_AIE2P = 0x3; ld.lld links ET_EXEC).
  const uint16_t type = r.u16(16);
  if (type == 1) r.fail("a relocatable object (ET_REL), not a linked core program: give the ELF the link step wrote (main_core_<col>_<row>.elf)");
  if (type != 2) r.fail("e_type " + std::to_string(type) + ", not an executable (ET_EXEC = 2)");
  if (e.flags != 0x2) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", e.flags);
    r.fail(std::string("e_flags ") + buf + (e.flags == 0x3 ? " (EF_AIE_AIE2P: built for AIE2P, npu4/Strix)" : e.flags == 0x1 ? " (EF_AIE_AIE1: built for AIE1, Versal)" : "") +
           ", not EF_AIE_AIE2 (0x2): the simulator runs npu1's AIE2 cores only");
  }
  const uint16_t phentsize = r.u16(42), phnum = r.u16(44), shentsize = r.u16(46), shnum = r.u16(48),
                 shstrndx = r.u16(50);
  if (phnum && phentsize < 32) r.fail("program header entries of " + std::to_string(phentsize) + " bytes (< 32)");
  if (shnum && shentsize < 40) r.fail("section header entries of " + std::to_string(shentsize) + " bytes (< 40)");
  r.need(phoff, uint64_t{phnum} * phentsize, "program header table");
  r.need(shoff, uint64_t{shnum} * shentsize, "section header table");

  for (uint32_t i = 0; i < phnum; ++i) {
    const uint64_t o = phoff + uint64_t{i} * phentsize;
    ElfSegment p{r.u32(o), r.u32(o + 4), r.u32(o + 8), r.u32(o + 12), r.u32(o + 16), r.u32(o + 20), r.u32(o + 24)};
    if (p.type == 1) {
      r.need(p.offset, p.filesz, ("segment " + std::to_string(i)).c_str());
      if (p.filesz > p.memsz) r.fail("segment " + std::to_string(i) + " has filesz > memsz");
      if (p.memsz > (1u << 20)) r.fail("segment " + std::to_string(i) + " of " + std::to_string(p.memsz) + " bytes is larger than any core memory");
    }
    e.segments.push_back(p);
  }
  for (uint32_t i = 0; i < shnum; ++i) {
    const uint64_t o = shoff + uint64_t{i} * shentsize;
    ElfSection s;
    s.type = r.u32(o + 4);
    s.flags = r.u32(o + 8);
    s.addr = r.u32(o + 12);
    s.offset = r.u32(o + 16);
    s.size = r.u32(o + 20);
    s.link = r.u32(o + 24);
    s.name = std::to_string(r.u32(o));  // resolved below, once the string table is known
    if (s.type != 8 && s.type != 0) r.need(s.offset, s.size, ("section " + std::to_string(i)).c_str());
    e.sections.push_back(s);
  }
  if (shnum) {
    if (shstrndx >= shnum) r.fail("section-name table index " + std::to_string(shstrndx) + " >= " + std::to_string(shnum) + " sections");
    const ElfSection names = e.sections[shstrndx];
    if (names.type != 3) r.fail("section-name table is not a string table");
    for (auto& s : e.sections) s.name = r.cstr(names, static_cast<uint32_t>(std::stoul(s.name)), "section");
  }
  for (const auto& s : e.sections) {
    if (s.type != 2 /* SHT_SYMTAB */) continue;
    const uint32_t strndx = s.link;
    if (strndx >= e.sections.size() || e.sections[strndx].type != 3) r.fail("symbol table links to no string table");
    const ElfSection& strs = e.sections[strndx];
    for (uint64_t o = s.offset; o + 16 <= uint64_t{s.offset} + s.size; o += 16) {
      ElfSymbol sym;
      sym.value = r.u32(o + 4);
      sym.size = r.u32(o + 8);
      sym.type = data[o + 12] & 0xF;
      sym.bind = data[o + 12] >> 4;
      sym.shndx = r.u16(o + 14);
      sym.name = r.cstr(strs, r.u32(o), "symbol");
      e.symbols.push_back(std::move(sym));
    }
  }
  e.bytes_.assign(data, data + size);
  if (const ElfSection* t = e.section(".text")) {
    if (t->type == 8) r.fail(".text has no bytes (NOBITS)");
    e.text_ = e.section_bytes(*t);
  }
  e.sha256 = sha256_hex(data, size);
  return e;
}

Elf Elf::from_text(const std::string& name, std::vector<uint8_t> text) {
  Elf e;
  e.path = name;
  e.machine = kElfMachineAie2;
  ElfSection t;
  t.name = ".text";
  t.type = 1;
  t.flags = 6;
  t.size = static_cast<uint32_t>(text.size());
  e.sections.push_back(t);
  ElfSegment seg;
  seg.type = 1;
  seg.filesz = seg.memsz = t.size;
  seg.flags = 5;
  e.segments.push_back(seg);
  e.sha256 = sha256_hex(text.data(), text.size());
  e.bytes_ = text;
  e.text_ = std::move(text);
  return e;
}

Elf Elf::from_images(const std::string& name, std::vector<uint8_t> text, const std::vector<LoadImage>& data) {
  Elf e = from_text(name, std::move(text));
  for (const auto& img : data) {
    ElfSegment seg;
    seg.type = 1;
    seg.offset = static_cast<uint32_t>(e.bytes_.size());
    seg.vaddr = seg.paddr = img.address;
    seg.filesz = seg.memsz = static_cast<uint32_t>(img.bytes.size());
    seg.flags = 4;
    e.bytes_.insert(e.bytes_.end(), img.bytes.begin(), img.bytes.end());
    e.segments.push_back(seg);
  }
  return e;
}

Elf read_elf(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, 3, kMaxProgramFileBytes, "a core ELF");
  return parse_elf(bytes.data(), bytes.size(), path);
}

}  // namespace attncheck::aie2
