// A reader for the subset of placed mlir-aie MLIR a single-core design uses; no MLIR library, clear errors on the rest.
#include "sim/load/design.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <tuple>

#include "fixtures/input_file.hpp"
#include "fixtures/npy.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck::aie2 {
namespace {

// A decimal integer in [lo, hi]; false on anything else (too many digits included).
bool parse_int(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (s[0] == '-') v = -v;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

constexpr size_t kMaxLine = 4096;

struct Ctx {
  const std::string& name;
  int line = 0;
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(name + ":" + std::to_string(line) + ": " + what);
  }
  // The numbers of a design are small: addresses and sizes inside a 64 KiB tile, ids, lock values.
  int64_t num(const std::string& s, int64_t lo, int64_t hi, const char* what) const {
    int64_t v = 0;
    if (!parse_int(s, lo, hi, &v))
      fail(std::string(what) + " " + s + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
    return v;
  }
};

// memref<12288xi8>, memref<64x64xi8>, memref<256xi32>: total bytes and element bytes.
bool memref_bytes(const std::string& type, uint32_t* bytes, uint32_t* elem, std::string* elem_type = nullptr) {
  static const std::regex re(R"(memref<((?:\d+x)*)(i8|i16|i32|bf16|f32|i64)>)");
  std::smatch m;
  if (!std::regex_search(type, m, re)) return false;
  const std::string et = m[2];
  if (elem_type) *elem_type = et;
  *elem = et == "i8" ? 1 : (et == "i16" || et == "bf16") ? 2 : et == "i64" ? 8 : 4;
  uint64_t n = 1;
  std::string dims = m[1];
  for (size_t p = 0; p < dims.size();) {
    const size_t x = dims.find('x', p);
    int64_t dim = 0;
    if (!parse_int(dims.substr(p, x - p), 0, 1 << 24, &dim)) return false;
    n *= static_cast<uint64_t>(dim);
    if (n > (1u << 24)) return false;
    p = x + 1;
  }
  *bytes = static_cast<uint32_t>(n * *elem);
  return true;
}

// "0x70400..0x705FF": the bytes [address, address + bytes).
std::string byte_range(uint32_t address, uint32_t bytes) {
  char b[48];
  std::snprintf(b, sizeof b, "0x%X..0x%X", address, address + bytes - 1);
  return b;
}

// "of_QKV_cons_buff_1" -> "of_QKV"; "of_out_buff_0" -> "of_out".
std::string fifo_of(const std::string& buffer) {
  static const std::regex re(R"(^(.*?)(_cons)?_buff_\d+$)");
  std::smatch m;
  return std::regex_match(buffer, m, re) ? std::string(m[1]) : buffer;
}

}  // namespace

const DesignFifo* Design::fifo(const std::string& n) const {
  for (const auto& f : fifos)
    if (f.name == n) return &f;
  return nullptr;
}

std::string Design::fifo_names() const {
  std::string s;
  for (const auto& f : fifos)
    s += (s.empty() ? "" : ", ") + f.name + " (" + (f.input ? "in" : "out") + ", " + std::to_string(f.transfer_bytes) + " B)";
  return s.empty() ? "none" : s;
}

int Design::buffer_index(const std::string& n) const {
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].name == n) return static_cast<int>(i);
  return -1;
}

Design parse_design(const std::string& text, const std::string& name) {
  Design d;
  d.path = name;
  d.sha256 = sha256_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  Ctx ctx{name};
  std::map<std::string, int> tile_by_ssa, lock_by_ssa, buffer_by_ssa;
  std::map<std::pair<int, int>, int> lock_by_tile_id;  // (tile, id) -> index into d.locks

  static const std::regex re_device(R"(aie\.device\((\w+)\))");
  // Each regex runs only on lines holding its keyword: std::regex is slow, most lines match none.
  static const std::regex re_tile(R"(^\s*(%[\w]+)\s*=\s*aie\.tile\(\s*(\d+)\s*,\s*(\d+)\s*\))");
  static const std::regex re_lock(R"(^\s*(%[\w]+)\s*=\s*aie\.lock\(\s*(%[\w]+)\s*,\s*(\d+)\s*\)\s*(\{[^}]*\})?)");
  static const std::regex re_buffer(R"(^\s*(%[\w]+)\s*=\s*aie\.buffer\(\s*(%[\w]+)\s*\)\s*\{([^}]*)\}\s*:\s*(memref<[^>]*>))");
  static const std::regex re_attr_int(R"((\w+)\s*=\s*(-?\d+)\s*:\s*i\d+)");
  static const std::regex re_attr_str(R"((\w+)\s*=\s*\"([^\"]*)\")");
  static const std::regex re_core(R"(^\s*(%[\w]+)\s*=\s*aie\.core\(\s*(%[\w]+)\s*\))");
  static const std::regex re_elf(R"(elf_file\s*=\s*\"([^\"]*)\")");
  static const std::regex re_stack_size(R"(stack_size\s*=\s*(\d+)\s*:\s*i32)");
  static const std::regex re_mem(R"(^\s*(%[\w]+)\s*=\s*aie\.mem\(\s*(%[\w]+)\s*\)\s*\{\s*$)");
  static const std::regex re_dma_start(R"(aie\.dma_start\(\s*(S2MM|MM2S)\s*,\s*(\d+)\s*,\s*\^(\w+)\s*,\s*\^(\w+)\s*\))");
  static const std::regex re_label(R"(^\s*\^(\w+)\s*:)");
  static const std::regex re_use_lock(R"(^\s*aie\.use_lock\(\s*(%[\w]+)\s*,\s*(AcquireGreaterEqual|Acquire|Release)\s*,\s*(-?\d+)\s*\)\s*$)");
  static const std::regex re_bd(R"(^\s*aie\.dma_bd\(\s*(%[\w]+)\s*:\s*(memref<[^>]*>)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)\s*(\{[^}]*\})?\s*$)");
  static const std::regex re_next(R"(^\s*aie\.next_bd\s+\^(\w+)\s*$)");
  static const std::regex re_memcpy(R"(aiex\.npu\.dma_memcpy_nd\(.*\]\s*\[([^\]]*)\]\s*\[[^\]]*\]\s*\))");

  // Blocks of the aie.mem being read: label -> its statements, and the chain order.
  struct Block {
    std::vector<std::pair<int, std::string>> lines;  // (line number, text)
  };
  std::istringstream in(text);
  std::string line;
  bool in_mem = false, in_core = false, in_sequence = false;
  int mem_tile = -1, brace = 0;
  std::map<std::string, Block> blocks;
  std::string current_block;
  std::vector<std::tuple<bool, int, std::string, int>> starts;  // s2mm, channel, first block, line
  auto finish_mem = [&]() {
    for (const auto& [s2mm, channel, first, at] : starts) {
      DmaChannel ch;
      ch.s2mm = s2mm;
      ch.channel = channel;
      ch.tile = mem_tile;
      std::string b = first;
      std::vector<std::string> seen;
      while (!b.empty()) {
        if (std::find(seen.begin(), seen.end(), b) != seen.end()) break;  // the ring closed
        seen.push_back(b);
        auto it = blocks.find(b);
        if (it == blocks.end()) {
          ctx.line = at;
          ctx.fail("dma_start names block ^" + b + ", which this aie.mem does not define");
        }
        DmaBd bd;
        std::string next;
        bool has_bd = false, ends = false;
        for (const auto& [ln, stmt] : it->second.lines) {
          ctx.line = ln;
          std::smatch m;
          if (std::regex_match(stmt, m, re_use_lock)) {
            auto l = lock_by_ssa.find(m[1]);
            if (l == lock_by_ssa.end()) ctx.fail("use_lock of " + std::string(m[1]) + ", which is not an aie.lock defined above");
            const int v = static_cast<int>(ctx.num(m[3], -64, 64, "use_lock value"));
            if (m[2] == "Release") bd.release_lock = l->second, bd.release_value = v;
            else bd.acquire_lock = l->second, bd.acquire_value = v, bd.acquire_ge = m[2] == "AcquireGreaterEqual";
          } else if (std::regex_match(stmt, m, re_bd)) {
            auto buf = buffer_by_ssa.find(m[1]);
            if (buf == buffer_by_ssa.end()) ctx.fail("dma_bd on " + std::string(m[1]) + ", which is not an aie.buffer defined above");
            const DesignBuffer& db = d.buffers[buf->second];
            bd.buffer = buf->second;
            bd.offset_bytes = static_cast<uint32_t>(ctx.num(m[3], 0, 0x10000, "dma_bd offset")) * db.element_bytes;
            bd.bytes = static_cast<uint32_t>(ctx.num(m[4], 0, 0x10000, "dma_bd length")) * db.element_bytes;
            if (bd.bytes == 0 || bd.offset_bytes + uint64_t{bd.bytes} > db.bytes)
              ctx.fail("dma_bd moves " + std::to_string(bd.bytes) + " B at offset " + std::to_string(bd.offset_bytes) +
                       " of " + db.name + ", which holds " + std::to_string(db.bytes) + " B");
            std::smatch a;
            const std::string attrs = m[5];
            static const std::regex re_bd_id(R"(bd_id\s*=\s*(\d+))");
            if (std::regex_search(attrs, a, re_bd_id)) bd.bd_id = static_cast<int>(ctx.num(a[1], 0, 15, "bd_id"));
            has_bd = true;
          } else if (std::regex_match(stmt, m, re_next)) {
            next = m[1];
          } else if (stmt.find("aie.end") != std::string::npos) {
            ends = true;
          } else if (stmt.find("aie.dma_start") != std::string::npos) {
            // the chain of another channel starts in this block; its statements end this one
          } else {
            ctx.fail("not understood inside aie.mem: '" + stmt + "' (this reader knows use_lock, dma_bd, next_bd, "
                     "dma_start and end)");
          }
        }
        if (ends && !has_bd) break;
        if (!has_bd) {
          ctx.line = it->second.lines.empty() ? at : it->second.lines.front().first;
          ctx.fail("block ^" + b + " of the " + std::string(s2mm ? "S2MM" : "MM2S") + " " + std::to_string(channel) +
                   " chain has no dma_bd");
        }
        if (bd.release_lock < 0)
          ctx.fail("BD on " + d.buffers[bd.buffer].name + " releases no lock: its consumer could never learn the transfer is done");
        if (bd.acquire_lock < 0)
          ctx.fail("BD on " + d.buffers[bd.buffer].name + " acquires no lock: it would overwrite a buffer still in use");
        ch.ring.push_back(bd);
        b = next;
        if (next.empty()) ch.cyclic = false;
      }
      if (ch.ring.empty()) {
        ctx.line = at;
        ctx.fail("the " + std::string(s2mm ? "S2MM" : "MM2S") + " " + std::to_string(channel) + " chain has no BD");
      }
      d.channels.push_back(std::move(ch));
    }
    blocks.clear();
    starts.clear();
    current_block.clear();
  };

  while (std::getline(in, line)) {
    ++ctx.line;
    // std::regex recurses per character: a megabyte line would exhaust the stack. The toolchain's
    // lines are a few hundred characters.
    if (line.size() > kMaxLine) ctx.fail("a line of " + std::to_string(line.size()) + " characters: more than this reader takes (" + std::to_string(kMaxLine) + ")");
    std::smatch m;
    if (in_mem) {
      // Braces balance the mem body; `aie.end` inside a block is a statement.
      if ((line.find("dma_start") != std::string::npos && std::regex_search(line, m, re_dma_start))) {
        starts.emplace_back(m[1] == "S2MM", static_cast<int>(ctx.num(m[2], 0, 15, "dma_start channel")), m[3], ctx.line);
        if (!current_block.empty()) blocks[current_block].lines.emplace_back(ctx.line, line);
        continue;
      }
      if ((line.find("^") != std::string::npos && std::regex_search(line, m, re_label))) {
        current_block = m[1];
        blocks[current_block];
        continue;
      }
      const size_t first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
      const std::string trimmed = first == std::string::npos ? "" : line.substr(first, last - first + 1);
      if (trimmed == "}") {
        in_mem = false;
        finish_mem();
        continue;
      }
      if (trimmed.empty() || trimmed.rfind("//", 0) == 0) continue;
      if (current_block.empty()) {
        if (trimmed == "aie.end") continue;
        ctx.fail("not understood at the top of aie.mem: '" + trimmed + "'");
      }
      blocks[current_block].lines.emplace_back(ctx.line, trimmed);
      continue;
    }
    if (in_core) {
      brace += static_cast<int>(std::count(line.begin(), line.end(), '{')) - static_cast<int>(std::count(line.begin(), line.end(), '}'));
      if ((line.find("elf_file") != std::string::npos && std::regex_search(line, m, re_elf))) d.elf_file = m[1];
      if (brace <= 0 && line.find("stack_size") != std::string::npos && std::regex_search(line, m, re_stack_size))
        d.stack_size = static_cast<uint32_t>(ctx.num(m[1], 0, 0x10000, "aie.core stack_size"));
      if (brace <= 0) in_core = false;
      continue;
    }
    if (in_sequence) {
      if ((line.find("dma_memcpy_nd") != std::string::npos && std::regex_search(line, m, re_memcpy))) {
        uint64_t n = 1;
        std::string sizes = m[1];
        static const std::regex num(R"(%c(\d+)_i64)");
        for (auto it = std::sregex_iterator(sizes.begin(), sizes.end(), num); it != std::sregex_iterator(); ++it)
          n *= static_cast<uint64_t>(ctx.num((*it)[1], 0, 1 << 28, "dma_memcpy_nd size"));
        uint32_t bytes = 0, elem = 1;
        const size_t colon = line.rfind(':');
        if (colon != std::string::npos && memref_bytes(line.substr(colon), &bytes, &elem)) n *= elem;
        if (n > (1ull << 32) - 1) ctx.fail("dma_memcpy_nd moves " + std::to_string(n) + " elements: more than a 32-bit size");
        d.sequence_bytes.push_back(static_cast<uint32_t>(n));
      }
      if (line.find('}') != std::string::npos && line.find('{') == std::string::npos) in_sequence = false;
      continue;
    }
    if ((line.find("aie.device") != std::string::npos && std::regex_search(line, m, re_device))) d.device = m[1];
    if ((line.find("aie.tile") != std::string::npos && std::regex_search(line, m, re_tile))) {
      tile_by_ssa[m[1]] = static_cast<int>(d.tiles.size());
      d.tiles.push_back({m[1], static_cast<int>(ctx.num(m[2], 0, 127, "aie.tile column")),
                         static_cast<int>(ctx.num(m[3], 0, 31, "aie.tile row"))});
    } else if ((line.find("aie.lock") != std::string::npos && std::regex_search(line, m, re_lock))) {
      auto t = tile_by_ssa.find(m[2]);
      if (t == tile_by_ssa.end()) ctx.fail("aie.lock on " + std::string(m[2]) + ", which is not an aie.tile defined above");
      DesignLock l;
      l.tile = t->second;
      l.id = static_cast<int>(ctx.num(m[3], 0, 63, "aie.lock id"));
      const std::string attrs = m[4];
      for (auto it = std::sregex_iterator(attrs.begin(), attrs.end(), re_attr_int); it != std::sregex_iterator(); ++it)
        if ((*it)[1] == "init") l.init = static_cast<int>(ctx.num((*it)[2], -64, 64, "aie.lock init"));
      for (auto it = std::sregex_iterator(attrs.begin(), attrs.end(), re_attr_str); it != std::sregex_iterator(); ++it)
        if ((*it)[1] == "sym_name") l.name = (*it)[2];
      if (l.name.empty()) l.name = m[1].str().substr(1);
      if (l.id < 0 || l.id >= 64) ctx.fail("lock id " + std::to_string(l.id) + " out of range");
      l.line = ctx.line;
      // mlir-aie's LockOp verifier: an id below the tile's lock count (npu1: 64 in a memory tile,
      // 16 in the others); its aie-assign-lock-ids pass: no two locks of a tile share an id.
      const DesignTile& lt = d.tiles[static_cast<size_t>(l.tile)];
      const int locks_here = lt.row == 1 ? 64 : 16;
      if (d.device.rfind("npu1", 0) == 0 && l.id >= locks_here)
        ctx.fail("aie.lock " + l.name + " has id " + std::to_string(l.id) + ", but tile (" + std::to_string(lt.col) + "," +
                 std::to_string(lt.row) + ") has " + std::to_string(locks_here) + " locks");
      const auto [taken, fresh] = lock_by_tile_id.try_emplace({l.tile, l.id}, static_cast<int>(d.locks.size()));
      if (!fresh) {
        const DesignLock& other = d.locks[static_cast<size_t>(taken->second)];
        ctx.fail("aie.lock " + l.name + " has id " + std::to_string(l.id) + " on tile (" + std::to_string(lt.col) + "," +
                 std::to_string(lt.row) + "), as " + other.name + " (line " + std::to_string(other.line) +
                 ") does: a tile's locks each have their own id");
      }
      lock_by_ssa[m[1]] = static_cast<int>(d.locks.size());
      d.locks.push_back(l);
    } else if ((line.find("aie.buffer") != std::string::npos && std::regex_search(line, m, re_buffer))) {
      auto t = tile_by_ssa.find(m[2]);
      if (t == tile_by_ssa.end()) ctx.fail("aie.buffer on " + std::string(m[2]) + ", which is not an aie.tile defined above");
      DesignBuffer b;
      b.tile = t->second;
      const std::string attrs = m[3];
      bool has_address = false;
      for (auto it = std::sregex_iterator(attrs.begin(), attrs.end(), re_attr_int); it != std::sregex_iterator(); ++it)
        if ((*it)[1] == "address") b.offset = static_cast<uint32_t>(ctx.num((*it)[2], 0, 0x10000, "aie.buffer address")), has_address = true;
      for (auto it = std::sregex_iterator(attrs.begin(), attrs.end(), re_attr_str); it != std::sregex_iterator(); ++it)
        if ((*it)[1] == "sym_name") b.name = (*it)[2];
      if (b.name.empty()) b.name = m[1].str().substr(1);
      if (!has_address) ctx.fail("aie.buffer " + b.name + " has no address: this is not a placed (physical) design");
      if (!memref_bytes(m[4], &b.bytes, &b.element_bytes, &b.element_type)) ctx.fail("aie.buffer " + b.name + ": type " + std::string(m[4]) + " not understood");
      if (b.offset + uint64_t{b.bytes} > 0x10000) ctx.fail("aie.buffer " + b.name + " does not fit the tile's 64 KiB data memory");
      b.line = ctx.line;
      buffer_by_ssa[m[1]] = static_cast<int>(d.buffers.size());
      d.buffers.push_back(b);
    } else if ((line.find("aie.core") != std::string::npos && std::regex_search(line, m, re_core))) {
      auto t = tile_by_ssa.find(m[2]);
      if (t == tile_by_ssa.end()) ctx.fail("aie.core on " + std::string(m[2]) + ", which is not an aie.tile defined above");
      if (d.core_tile >= 0) ctx.fail("a second aie.core: this simulator runs single-core designs");
      d.core_tile = t->second;
      if ((line.find("elf_file") != std::string::npos && std::regex_search(line, m, re_elf))) d.elf_file = m[1];
      brace = static_cast<int>(std::count(line.begin(), line.end(), '{')) - static_cast<int>(std::count(line.begin(), line.end(), '}'));
      if (brace <= 0 && line.find("stack_size") != std::string::npos && std::regex_search(line, m, re_stack_size))
        d.stack_size = static_cast<uint32_t>(ctx.num(m[1], 0, 0x10000, "aie.core stack_size"));
      in_core = brace > 0;
    } else if ((line.find("aie.mem") != std::string::npos && std::regex_search(line, m, re_mem))) {
      auto t = tile_by_ssa.find(m[2]);
      if (t == tile_by_ssa.end()) ctx.fail("aie.mem on " + std::string(m[2]) + ", which is not an aie.tile defined above");
      mem_tile = t->second;
      in_mem = true;
    } else if (line.find("aiex.runtime_sequence") != std::string::npos) {
      in_sequence = line.find('{') != std::string::npos;
    }
  }
  if (in_mem) ctx.fail("aie.mem is not closed");
  // mlir-aie's aie-assign-buffer-addresses never lets two buffers of a tile overlap: sorted by
  // address, each must start past the furthest end before it (n log n, for any number of buffers).
  {
    std::vector<size_t> order;
    for (size_t i = 0; i < d.buffers.size(); ++i)
      if (d.buffers[i].bytes) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const DesignBuffer &x = d.buffers[a], &y = d.buffers[b];
      return std::tie(x.tile, x.offset, x.line) < std::tie(y.tile, y.offset, y.line);
    });
    size_t reach = SIZE_MAX;  // the buffer reaching furthest so far on this tile
    for (size_t k = 0; k < order.size(); ++k) {
      const DesignBuffer& b = d.buffers[order[k]];
      if (reach != SIZE_MAX && d.buffers[reach].tile == b.tile &&
          d.buffers[reach].offset + uint64_t{d.buffers[reach].bytes} > b.offset) {
        // Named at the later definition, with the earlier one's line.
        const DesignBuffer& first = d.buffers[reach].line < b.line ? d.buffers[reach] : b;
        const DesignBuffer& later = &first == &b ? d.buffers[reach] : b;
        ctx.line = later.line;
        ctx.fail("aie.buffer " + later.name + " (" + byte_range(later.core_address(), later.bytes) + ") overlaps " + first.name + " (" +
                 byte_range(first.core_address(), first.bytes) + ", line " + std::to_string(first.line) +
                 "): a tile's buffers never share bytes");
      }
      if (reach == SIZE_MAX || d.buffers[reach].tile != b.tile ||
          b.offset + uint64_t{b.bytes} > d.buffers[reach].offset + uint64_t{d.buffers[reach].bytes})
        reach = order[k];
    }
  }
  if (d.core_tile < 0) {
    ctx.line = 0;
    throw InputError(name + ": no aie.core: a design the simulator runs has exactly one compute core");
  }
  // The core's ObjectFIFO ends: one per DMA channel of the core's tile.
  for (size_t c = 0; c < d.channels.size(); ++c) {
    const DmaChannel& ch = d.channels[c];
    if (ch.tile != d.core_tile) continue;
    DesignFifo f;
    f.name = fifo_of(d.buffers[ch.ring.front().buffer].name);
    f.input = ch.s2mm;
    f.channel = static_cast<int>(c);
    f.transfer_bytes = ch.ring.front().bytes;
    f.depth = static_cast<int>(ch.ring.size());
    f.element_type = d.buffers[ch.ring.front().buffer].element_type;
    f.element_bytes = d.buffers[ch.ring.front().buffer].element_bytes;
    for (const auto& bd : ch.ring)
      if (bd.bytes != f.transfer_bytes)
        throw InputError(name + ": the " + f.name + " ring moves " + std::to_string(f.transfer_bytes) + " B and " +
                         std::to_string(bd.bytes) + " B in different BDs; the simulator needs one transfer size per FIFO");
    d.fifos.push_back(f);
  }
  if (d.fifos.empty()) throw InputError(name + ": the core's tile has no DMA channel (aie.mem): nothing moves data in or out");
  return d;
}

Design read_design(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, 2, kMaxTextInputBytes, "a placed design");
  return parse_design(std::string(bytes.begin(), bytes.end()), path);
}

}  // namespace attncheck::aie2
