// xclbin, PDI and CDO readers, written from XRT's xclbin.h and bootgen's PDI/CDO layout; every offset is checked before use.
#include "sim/load/pdi.hpp"

#include <filesystem>

#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "fixtures/input_file.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"
#include "sim/hex.hpp"

namespace attncheck::aie2 {
namespace {

constexpr uint32_t kProgramMemBytes = 0x4000;  // 16 KiB per compute tile
constexpr uint32_t kDataMemBytesTile = 0x10000;
constexpr uint32_t kProgramMemOffset = 0x20000;
constexpr uint32_t kLockValueOffset = 0x1F000;
constexpr uint32_t kCoreControlOffset = 0x32000;
constexpr uint32_t kDmaBdOffset = 0x1D000, kDmaBdStride = 0x20;  // memory module DMA_BD0_0, BDs 0..15
constexpr uint32_t kCdoIdent = 0x004F4443;  // "CDO\0"

struct Bytes {
  const uint8_t* p;
  size_t n;
  const std::string& name;
  [[noreturn]] void fail(const std::string& what) const { throw InputError(name + ": " + what); }
  void need(uint64_t off, uint64_t len, const char* what) const {
    if (off > n || len > n - off)
      fail(std::string("truncated: ") + what + " at byte " + std::to_string(off) + " needs " + std::to_string(len) +
           " bytes, the file has " + std::to_string(n));
  }
  uint32_t u32(uint64_t off) const {
    need(off, 4, "a word");
    return static_cast<uint32_t>(p[off]) | static_cast<uint32_t>(p[off + 1]) << 8 | static_cast<uint32_t>(p[off + 2]) << 16 |
           static_cast<uint32_t>(p[off + 3]) << 24;
  }
  uint64_t u64(uint64_t off) const { return u32(off) | static_cast<uint64_t>(u32(off + 4)) << 32; }
  uint16_t u16(uint64_t off) const {
    need(off, 2, "a half-word");
    return static_cast<uint16_t>(p[off] | p[off + 1] << 8);
  }
};

// An xclbin's AIE_METADATA: aie-rt's driver_config for the device it was built for. hw_gen is
// aie-rt's XAIE_DEV_GEN_* (xaiegbl_defs.h: 1 AIE, 2 AIE-ML, 3 AIE2IPU = Phoenix, 4/8/9 AIE2P =
// Strix); XRT hands it to XAie_SetupConfig. npu1's geometry: 6 rows, 5 columns, shifts 25/20.
// Fields that are absent are not checked; a section that is not JSON is refused.
void check_aie_metadata(const std::string& text, const Bytes& b) {
  // The section may carry a trailing NUL.
  const size_t end = text.find('\0');
  const nlohmann::json j = nlohmann::json::parse(text.substr(0, end), nullptr, false);
  if (j.is_discarded() || !j.is_object()) b.fail("its AIE_METADATA section is not JSON");
  const nlohmann::json* dc = nullptr;
  if (j.contains("aie_metadata") && j["aie_metadata"].is_object() && j["aie_metadata"].contains("driver_config"))
    dc = &j["aie_metadata"]["driver_config"];
  if (!dc || !dc->is_object()) return;
  // Written as strings ("3") or numbers.
  auto field = [&](const char* key) -> std::optional<long long> {
    if (!dc->contains(key)) return std::nullopt;
    const nlohmann::json& v = (*dc)[key];
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_string()) {
      const std::string t = v.get<std::string>();
      if (!t.empty() && t.size() < 19 && t.find_first_not_of("0123456789") == std::string::npos) return std::stoll(t);
    }
    b.fail(std::string("its AIE_METADATA driver_config.") + key + " is not a number");
  };
  if (const auto g = field("hw_gen"); g && *g != 3)
    b.fail("its AIE_METADATA says hw_gen " + std::to_string(*g) +
           (*g == 4 || *g == 8 || *g == 9 ? " (AIE2P: Strix, npu4 and later)" : *g == 1 ? " (AIE1)" : *g == 2 ? " (AIE-ML)" : "") +
           ", not 3 (AIE2IPU: Phoenix, npu1): an xclbin for another device");
  const std::pair<const char*, long long> want[] = {{"num_rows", 6}, {"column_shift", 25}, {"row_shift", 20}};
  for (const auto& [key, value] : want)
    if (const auto v = field(key); v && *v != value)
      b.fail(std::string("its AIE_METADATA says ") + key + " " + std::to_string(*v) + ", npu1's is " + std::to_string(value) +
             ": an xclbin for another device");
  if (const auto c = field("num_columns"); c && (*c < 1 || *c > 5))
    b.fail("its AIE_METADATA says num_columns " + std::to_string(*c) + ": npu1 has 5 columns");
}

// Bootgen's header checksum: the one's complement of the 32-bit sum of the structure's words
// before the checksum word.
void check_sum(const Bytes& b, uint64_t at, int words, const char* what) {
  uint32_t sum = 0;
  for (int i = 0; i < words - 1; ++i) sum += b.u32(at + 4 * i);
  if (~sum != b.u32(at + 4 * (words - 1)))
    b.fail(std::string(what) + " at byte " + std::to_string(at) + " has a bad checksum");
}

TileImage& tile_of(DeviceImage& img, int col, int row) {
  auto key = std::make_pair(col, row);
  auto it = img.tiles.find(key);
  if (it == img.tiles.end()) {
    TileImage t;
    t.col = col, t.row = row;
    t.program.assign(kProgramMemBytes, 0), t.program_written.assign(kProgramMemBytes, 0);
    t.data.assign(kDataMemBytesTile, 0), t.data_written.assign(kDataMemBytesTile, 0);
    it = img.tiles.emplace(key, std::move(t)).first;
  }
  return it->second;
}

// A 32-bit register or memory write into the npu1 array: address = col << 25 | row << 20 | offset.
// Compute tiles (row >= 2) keep their memories, lock values and Core_Control; the rest of the
// configuration (DMA, switches, shim and memory tiles) is the design's business.
void apply_write(DeviceImage& img, uint64_t address, uint32_t value, uint32_t mask, const Bytes& b) {
  if (address >> 32) b.fail("a CDO write to " + hex(address) + ", above the 4 GiB an npu1 array occupies");
  const int col = static_cast<int>((address >> 25) & 0x7F), row = static_cast<int>((address >> 20) & 0x1F);
  const uint32_t off = static_cast<uint32_t>(address & 0xFFFFF);
  if (row < 2) return;
  TileImage& t = tile_of(img, col, row);
  auto put = [&](std::vector<uint8_t>& mem, std::vector<uint8_t>& written, uint32_t at) {
    if (at % 4) b.fail("a CDO write to " + hex(address) + " is not word aligned");
    for (int k = 0; k < 4; ++k) {
      const uint8_t m = static_cast<uint8_t>(mask >> (8 * k));
      if (!m) continue;
      mem[at + k] = static_cast<uint8_t>((mem[at + k] & ~m) | (static_cast<uint8_t>(value >> (8 * k)) & m));
      written[at + k] = 1;
    }
  };
  if (off + 4 <= kDataMemBytesTile) put(t.data, t.data_written, off);
  else if (off >= kProgramMemOffset && off + 4 <= kProgramMemOffset + kProgramMemBytes)
    put(t.program, t.program_written, off - kProgramMemOffset);
  else if (off >= kLockValueOffset && off < kLockValueOffset + 16 * 0x10 && (off - kLockValueOffset) % 0x10 == 0)
    t.locks[static_cast<int>((off - kLockValueOffset) / 0x10)] = static_cast<int>(value & mask & 0x3F);  // Lock_value [5:0]
  else if (off == kCoreControlOffset)
    t.core_control = (t.core_control & ~mask) | (value & mask), t.core_control_written = true;
  else if (off >= kDmaBdOffset && off < kDmaBdOffset + 16 * kDmaBdStride && (off - kDmaBdOffset) % kDmaBdStride == 0) {
    // DMA_BDn_0 (AM025): Base_Address [27:14] and Buffer_Length [13:0], both in 32-bit words.
    uint32_t& w = t.bd_word0[static_cast<int>((off - kDmaBdOffset) / kDmaBdStride)];
    w = (w & ~mask) | (value & mask);
  }
}

void parse_cdo(const Bytes& b, uint64_t at, uint64_t words, DeviceImage& img) {
  if (words < 5) b.fail("a CDO at byte " + std::to_string(at) + " is shorter than its 5-word header");
  const uint32_t hdr = b.u32(at), ident = b.u32(at + 4), version = b.u32(at + 8), length = b.u32(at + 12);
  if (hdr != 4 || ident != kCdoIdent)
    b.fail("the partition at byte " + std::to_string(at) + " is not a CDOv2 object (header " + hex(hdr) + ", ident " + hex(ident) + ")");
  if (version < 0x200 || version >= 0x300) b.fail("CDO version " + hex(version) + " (this reader knows 2.x)");
  check_sum(b, at, 5, "the CDO header");
  if (length > words - 5) b.fail("the CDO at byte " + std::to_string(at) + " claims " + std::to_string(length) + " words, its partition holds " + std::to_string(words - 5));
  uint64_t p = at + 20;
  const uint64_t end = p + 4 * uint64_t{length};
  while (p < end) {
    const uint32_t w = b.u32(p);
    if (w == 0xFFFFFFFFu) break;  // END in a header slot
    CdoCommand c;
    c.offset = static_cast<uint32_t>(p);
    c.opcode = static_cast<uint16_t>(w & 0xFFFF);
    uint64_t len = (w >> 16) & 0xFF;
    p += 4;
    if (len == 0xFF) {
      len = b.u32(p);
      p += 4;
    }
    if (len > (end - p) / 4) b.fail("CDO command " + hex(c.opcode) + " at byte " + std::to_string(c.offset) + " runs past the CDO's end");
    c.payload.reserve(len);
    for (uint64_t k = 0; k < len; ++k) c.payload.push_back(b.u32(p + 4 * k));
    p += 4 * len;
    auto want = [&](size_t n, const char* what) {
      if (c.payload.size() < n)
        b.fail(std::string("CDO ") + what + " at byte " + std::to_string(c.offset) + " has " + std::to_string(c.payload.size()) +
               " payload words, needs " + std::to_string(n));
    };
    switch (c.opcode) {
      case 0x100: p = end; break;                                       // END_MARK
      case 0x101: case 0x106: case 0x104: case 0x111: case 0x119: break;  // polls, delay, nop, marker
      case 0x102: want(3, "MASK_WRITE"); apply_write(img, c.payload[0], c.payload[2], c.payload[1], b); break;
      case 0x103: want(2, "WRITE"); apply_write(img, c.payload[0], c.payload[1], ~0u, b); break;
      case 0x105: {
        want(2, "DMA_WRITE");
        const uint64_t a = (uint64_t{c.payload[0]} << 32) | c.payload[1];
        for (size_t k = 2; k < c.payload.size(); ++k) apply_write(img, a + 4 * (k - 2), c.payload[k], ~0u, b);
        break;
      }
      case 0x107:
        want(4, "MASK_WRITE64");
        apply_write(img, (uint64_t{c.payload[0]} << 32) | c.payload[1], c.payload[3], c.payload[2], b);
        break;
      case 0x108:
        want(3, "WRITE64");
        apply_write(img, (uint64_t{c.payload[0]} << 32) | c.payload[1], c.payload[2], ~0u, b);
        break;
      default:
        b.fail("CDO command " + hex(c.opcode) + " at byte " + std::to_string(c.offset) + " is not one this reader knows");
    }
    img.commands.push_back(std::move(c));
  }
}

}  // namespace

const TileImage* DeviceImage::tile(int col, int row) const {
  auto it = tiles.find({col, row});
  return it == tiles.end() ? nullptr : &it->second;
}

DeviceImage parse_pdi(const uint8_t* data, size_t size, const std::string& name) {
  const Bytes b{data, size, name};
  DeviceImage img;
  img.path = name;
  img.pdi_sha256 = sha256_hex(data, size);
  b.need(0, 16, "the PDI header");
  const uint32_t w0 = b.u32(0);
  uint64_t iht = 0;
  if (w0 == 0x000000DD || w0 == 0xDD000000 || w0 == 0x00DD0000) {
    // The SMAP bus-width words of a PDI without a boot header; the table follows them.
    iht = 16;
    if (b.u32(16) == 0xAA995566) b.fail("has a boot header: a full boot image, not the partial PDI a design loads");
  }
  b.need(iht, 128, "the image header table");
  const uint32_t version = b.u32(iht);
  if (version != 0x00040000 && version != 0x00030000 && version != 0x00020000 && version != 0x01030000)
    b.fail("not a PDI: image header table version " + hex(version));
  check_sum(b, iht, 32, "the image header table");
  const uint32_t images = b.u32(iht + 4), first_ih = b.u32(iht + 8), parts = b.u32(iht + 12), first_ph = b.u32(iht + 16);
  if (images == 0 || images > 64 || parts == 0 || parts > 256) b.fail("implausible counts: " + std::to_string(images) + " images, " + std::to_string(parts) + " partitions");
  for (uint32_t i = 0; i < images; ++i) {
    b.need(uint64_t{first_ih} * 4 + 64 * i, 64, "an image header");
    check_sum(b, uint64_t{first_ih} * 4 + 64 * i, 16, "an image header");
  }
  for (uint32_t i = 0; i < parts; ++i) {
    const uint64_t ph = uint64_t{first_ph} * 4 + 128 * i;
    b.need(ph, 128, "a partition header");
    check_sum(b, ph, 32, "a partition header");
    const uint32_t unenc = b.u32(ph + 4), word_off = b.u32(ph + 0x20);
    b.need(uint64_t{word_off} * 4, uint64_t{unenc} * 4, "a partition");
    parse_cdo(b, uint64_t{word_off} * 4, unenc, img);
  }
  return img;
}

std::vector<uint8_t> pdi_of_xclbin(const uint8_t* data, size_t size, const std::string& name, std::vector<int>* start_columns) {
  const Bytes b{data, size, name};
  b.need(0, 0x1C8, "the axlf header");
  if (std::memcmp(data, "xclbin2", 8) != 0) b.fail("not an xclbin (no \"xclbin2\" magic)");
  const uint32_t sections = b.u32(0x1C0);
  if (sections > 0x10000) b.fail(std::to_string(sections) + " sections: more than XCLBIN_MAX_NUM_SECTION");
  b.need(0x1C8, uint64_t{sections} * 40, "the section headers");
  bool has_partition = false;
  for (uint32_t i = 0; i < sections; ++i) has_partition |= b.u32(0x1C8 + 40ull * i) == 32;
  if (!has_partition) b.fail("no AIE_PARTITION section (kind 32): not an NPU xclbin");
  // AIE_METADATA (kind 25), when present (RyzenAI's xclbins; mlir-aie and Riallto write none):
  // aie-rt's device configuration, whose hw_gen is XAIE_DEV_GEN_* (3 = AIE2IPU, Phoenix) and whose
  // geometry must be npu1's (docs/aie2-array.md, "Which device").
  for (uint32_t i = 0; i < sections; ++i) {
    const uint64_t h = 0x1C8 + 40ull * i;
    if (b.u32(h) != 25) continue;
    const uint64_t off = b.u64(h + 0x18), len = b.u64(h + 0x20);
    b.need(off, len, "the AIE_METADATA section");
    check_aie_metadata(std::string(reinterpret_cast<const char*>(data + off), static_cast<size_t>(len)), b);
  }
  for (uint32_t i = 0; i < sections; ++i) {
    const uint64_t h = 0x1C8 + 40ull * i;
    if (b.u32(h) != 32) continue;  // AIE_PARTITION
    const uint64_t off = b.u64(h + 0x18), len = b.u64(h + 0x20);
    b.need(off, len, "the AIE_PARTITION section");
    const Bytes s{data + off, static_cast<size_t>(len), name};
    // aie_partition_info (xclbin.h): column_width at +32, start_columns {count, offset} at +40,
    // uint16 each. npu1 has 5 columns; mlir-aie writes the target's column count (npu2: 8) and,
    // for npu2's 5-7 column variants, no start column.
    const uint32_t width = s.u16(0x20), starts = s.u32(0x28), starts_off = s.u32(0x2C);
    if (width < 1 || width > 5)
      b.fail("its AIE_PARTITION is " + std::to_string(width) + " columns wide: npu1 (Phoenix) has 5, so it was built for another device");
    if (starts > 5) b.fail("its AIE_PARTITION lists " + std::to_string(starts) + " start columns: npu1 has 5 columns");
    s.need(starts_off, uint64_t{starts} * 2, "the partition's start columns");
    for (uint32_t k = 0; k < starts; ++k)
      if (s.u16(starts_off + 2 * k) + width > 5)
        b.fail("its AIE_PARTITION starts " + std::to_string(width) + " columns at column " + std::to_string(s.u16(starts_off + 2 * k)) +
               ": past npu1's 5 columns");
    if (starts == 0 && width >= 5)
      b.fail("its AIE_PARTITION is " + std::to_string(width) + " columns wide with no start column (as mlir-aie writes for npu2's 5-7 "
             "column targets): not an npu1 xclbin");
    if (start_columns)
      for (uint32_t k = 0; k < starts; ++k) start_columns->push_back(s.u16(starts_off + 2 * k));
    const uint32_t pdis = s.u32(0x78), pdis_off = s.u32(0x7C);
    if (pdis == 0) b.fail("its AIE_PARTITION holds no PDI");
    s.need(pdis_off, 96, "the first aie_pdi");
    const uint32_t img_len = s.u32(pdis_off + 0x10), img_off = s.u32(pdis_off + 0x14);
    s.need(img_off, img_len, "the PDI image");
    return std::vector<uint8_t>(data + off + img_off, data + off + img_off + img_len);
  }
  b.fail("no AIE_PARTITION section (kind 32): not an NPU xclbin");
}

DeviceImage read_device_image(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, 3, kMaxXclbinFileBytes, "an xclbin or a PDI");
  DeviceImage img;
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "xclbin2", 8) == 0) {
    std::vector<int> starts;
    const std::vector<uint8_t> pdi = pdi_of_xclbin(bytes.data(), bytes.size(), path, &starts);
    img = parse_pdi(pdi.data(), pdi.size(), path + " (its PDI)");
    img.partition_start_columns = std::move(starts);
  } else {
    img = parse_pdi(bytes.data(), bytes.size(), path);
  }
  img.path = path;
  img.sha256 = sha256_hex(bytes.data(), bytes.size());
  return img;
}

Elf core_program(const DeviceImage& img, int col, int row) {
  const TileImage* t = img.tile(col, row);
  if (!t) throw InputError(img.path + ": writes nothing into tile (" + std::to_string(col) + "," + std::to_string(row) + ")");
  size_t end = t->program_written.size();
  while (end > 0 && !t->program_written[end - 1]) --end;
  if (end == 0) throw InputError(img.path + ": writes no program into tile (" + std::to_string(col) + "," + std::to_string(row) + ")");
  std::vector<LoadImage> data;
  for (size_t i = 0; i < t->data_written.size();) {
    if (!t->data_written[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < t->data_written.size() && t->data_written[j]) ++j;
    data.push_back({static_cast<uint32_t>(0x70000 + i), false, std::vector<uint8_t>(t->data.begin() + i, t->data.begin() + j)});
    i = j;
  }
  Elf e = Elf::from_images(img.path, std::vector<uint8_t>(t->program.begin(), t->program.begin() + end), data);
  e.sha256 = img.sha256;
  return e;
}

std::vector<std::string> compare_with_elf(const DeviceImage& img, int col, int row, const Elf& elf) {
  std::vector<std::string> diffs;
  const TileImage* t = img.tile(col, row);
  if (!t) return {"the PDI writes nothing into tile (" + std::to_string(col) + "," + std::to_string(row) + ")"};
  std::vector<uint8_t> pm_expected(kProgramMemBytes, 0), pm_mask(kProgramMemBytes, 0), dm_expected(kDataMemBytesTile, 0),
      dm_mask(kDataMemBytesTile, 0);
  for (const auto& s : elf.load_images()) {
    if (s.program) {
      if (s.address + s.bytes.size() > kProgramMemBytes) return {"the ELF's program segment does not fit program memory"};
      for (size_t k = 0; k < s.bytes.size(); ++k) pm_expected[s.address + k] = s.bytes[k], pm_mask[s.address + k] = 1;
    } else {
      const uint32_t off = s.address & 0xFFFF;
      for (size_t k = 0; k < s.bytes.size() && off + k < kDataMemBytesTile; ++k) dm_expected[off + k] = s.bytes[k], dm_mask[off + k] = 1;
    }
  }
  auto check = [&](const char* what, const std::vector<uint8_t>& want, const std::vector<uint8_t>& want_mask,
                   const std::vector<uint8_t>& got, const std::vector<uint8_t>& got_mask) {
    size_t differing = 0, first = SIZE_MAX;
    for (size_t k = 0; k < want.size(); ++k) {
      // Loader padding: the CDO writes whole words, so bytes past a segment's end may be written as 0.
      const bool bad = want_mask[k] ? (!got_mask[k] || got[k] != want[k]) : (got_mask[k] && got[k] != 0);
      if (bad && differing++ == 0) first = k;
    }
    if (differing)
      diffs.push_back(std::string(what) + ": " + std::to_string(differing) + " bytes differ from the ELF's segments, first at offset " +
                      hex(first));
  };
  check("program memory", pm_expected, pm_mask, t->program, t->program_written);
  check("data memory", dm_expected, dm_mask, t->data, t->data_written);
  return diffs;
}

CoreSource load_core_source(const std::string& elf, const std::string& xclbin, const std::string& pdi, const Design& design) {
  const int given = !elf.empty() + !xclbin.empty() + !pdi.empty();
  if (given != 1) throw InputError("give the program as exactly one of --elf, --xclbin or --pdi");
  if (!elf.empty()) {
    Elf e = read_elf(elf);
    const std::string sha = e.sha256;
    return {std::move(e), "elf", elf, sha, ""};
  }
  const std::string& path = xclbin.empty() ? pdi : xclbin;
  const DeviceImage img = read_device_image(path);
  const DesignTile& t = design.tiles.at(design.core_tile);
  Elf e = core_program(img, t.col, t.row);
  const TileImage* ti = img.tile(t.col, t.row);
  for (const auto& l : design.locks) {
    if (l.tile != design.core_tile) continue;
    auto it = ti->locks.find(l.id);
    if (it != ti->locks.end() && it->second != l.init)
      throw InputError(path + ": sets lock " + std::to_string(l.id) + " to " + std::to_string(it->second) + ", but " + design.path +
                       " initialises " + l.name + " to " + std::to_string(l.init) + ": they are not the same design");
  }
  // The tile DMA's BDs as the image programs them must move the design's buffers: a PDI of another
  // design with the same lock values is caught here.
  for (const auto& ch : design.channels) {
    if (ch.tile != design.core_tile) continue;
    for (const auto& bd : ch.ring) {
      if (bd.bd_id < 0) continue;
      const DesignBuffer& buf = design.buffers[bd.buffer];
      const uint32_t want_at = buf.offset + bd.offset_bytes, want_len = bd.bytes;
      auto it = ti->bd_word0.find(bd.bd_id);
      if (it == ti->bd_word0.end())
        throw InputError(path + ": does not program BD " + std::to_string(bd.bd_id) + " of tile (" + std::to_string(t.col) + "," +
                         std::to_string(t.row) + "), which " + design.path + " uses for " + buf.name + ": they are not the same design");
      const uint32_t got_at = ((it->second >> 14) & 0x3FFF) * 4, got_len = (it->second & 0x3FFF) * 4;
      if (got_at != want_at || got_len != want_len)
        throw InputError(path + ": BD " + std::to_string(bd.bd_id) + " moves " + std::to_string(got_len) + " B at " + hex(got_at) + ", but " +
                         design.path + " has it move " + buf.name + " (" + std::to_string(want_len) + " B at " + hex(want_at) +
                         "): they are not the same design");
    }
  }
  if (ti->core_control_written && (ti->core_control & 3) != 1)
    throw InputError(path + ": leaves the core of tile (" + std::to_string(t.col) + "," + std::to_string(t.row) +
                     ") not enabled (Core_Control " + hex(ti->core_control) + ")");
  // Function names from the core ELF the toolchain left beside the design, when its loadable
  // bytes are exactly what the image writes: the program run stays the image's.
  std::string symbols_from;
  std::vector<std::string> candidates;
  if (!design.elf_file.empty()) candidates.push_back(design.elf_file);
  candidates.push_back((std::filesystem::path(design.path).parent_path() /
                        ("main_core_" + std::to_string(t.col) + "_" + std::to_string(t.row) + ".elf")).string());
  for (const auto& c : candidates) {
    std::error_code ec;
    if (!symbols_from.empty() || !std::filesystem::is_regular_file(c, ec)) continue;
    try {
      const Elf named = read_elf(c);
      if (compare_with_elf(img, t.col, t.row, named).empty()) e.symbols = named.symbols, symbols_from = c;
    } catch (const InputError&) {
      // An unreadable ELF names nothing; the program still runs, its functions named by PC.
    }
  }
  return {std::move(e), xclbin.empty() ? "pdi" : "xclbin", path, img.sha256, symbols_from};
}

}  // namespace attncheck::aie2
