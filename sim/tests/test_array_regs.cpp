// The npu1 register decoders against the placed designs beside the user's PDIs, against register words built by hand from aie-rt's field definitions, and the classification of every offset the shared PDIs write.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"
#include "sim/array/regs.hpp"
#include "sim/pdi.hpp"

using namespace attncheck;
using namespace attncheck::aie2;
using namespace attncheck::aie2::array;

namespace {

// ---------------------------------------------------------------------------------------------
// The registers a PDI leaves, applying its CDO writes in order as bootgen's CDOv2 commands mean
// them (sim/pdi.cpp): WRITE (0x103: address, value), MASK_WRITE (0x102: address, mask, value),
// DMA_WRITE (0x105: address high, address low, words...), MASK_WRITE64 (0x107: high, low, mask,
// value), WRITE64 (0x108: high, low, value). A register never written reads 0.
// ---------------------------------------------------------------------------------------------
struct Registers {
  std::map<uint64_t, uint32_t> value;
  std::vector<uint64_t> written;  // every address written, in order, repeats kept
  uint32_t at(uint64_t a) const {
    auto it = value.find(a);
    return it == value.end() ? 0 : it->second;
  }
  bool has(uint64_t a) const { return value.count(a) != 0; }
};

Registers apply(const DeviceImage& img) {
  Registers r;
  auto put = [&](uint64_t a, uint32_t v, uint32_t mask) {
    uint32_t& x = r.value[a];
    x = (x & ~mask) | (v & mask);
    r.written.push_back(a);
  };
  for (const CdoCommand& c : img.commands) {
    const auto& p = c.payload;
    switch (c.opcode) {
      case 0x102: put(p.at(0), p.at(2), p.at(1)); break;
      case 0x103: put(p.at(0), p.at(1), ~0u); break;
      case 0x105:
        for (size_t k = 2; k < p.size(); ++k) put(((uint64_t{p[0]} << 32) | p[1]) + 4 * (k - 2), p[k], ~0u);
        break;
      case 0x107: put((uint64_t{p.at(0)} << 32) | p.at(1), p.at(3), p.at(2)); break;
      case 0x108: put((uint64_t{p.at(0)} << 32) | p.at(1), p.at(2), ~0u); break;
      default: break;  // polls, delays, markers, NOPs, end
    }
  }
  return r;
}

uint64_t reg(int col, int row, uint32_t off) { return tile_address(col, row, off); }

// ---------------------------------------------------------------------------------------------
// The facts of a placed design (input_physical_with_elfs.mlir), read with regexes, independent of
// sim/design.cpp.
// ---------------------------------------------------------------------------------------------
struct MlirLock {
  std::string tile;
  int id = 0;
  bool has_init = false;
  int init = 0;
};
struct MlirBuffer {
  std::string tile;
  uint32_t address = 0;
};
struct MlirBd {
  std::string tile;  // the tile whose DMA runs it
  int bd_id = -1, next_bd = -1;
  std::string buffer;
  uint32_t offset = 0, len = 0, elem_bytes = 0;
  std::string acq_lock, rel_lock;
  std::string acq_action;
  int acq_value = 0, rel_value = 0;
};
struct MlirConnect {
  std::string tile;
  PortType src_type, dst_type;
  int src = 0, dst = 0;
};
struct MlirMasterSet {
  std::string tile;
  PortType type;
  int index = 0, arbiter = 0, msel = 0;
  bool keep_header = false;
};
struct MlirRule {
  std::string tile;
  PortType type;
  int index = 0, slot = 0, mask = 0, id = 0, arbiter = 0, msel = 0;
};
struct MlirMux {
  std::string tile;
  bool mm2s = false;  // connect<DMA : c, North : p>; else connect<North : p, DMA : c>
  int channel = 0, port = 0;
};
struct Design {
  std::map<std::string, std::pair<int, int>> tiles;
  std::map<std::string, MlirLock> locks;
  std::map<std::string, MlirBuffer> buffers;
  std::vector<MlirBd> bds;
  std::vector<MlirConnect> connects;
  std::vector<MlirMasterSet> mastersets;
  std::vector<MlirRule> rules;
  std::vector<MlirMux> muxes;
};

PortType bundle(const std::string& s) {
  if (s == "Core") return PortType::Core;
  if (s == "DMA") return PortType::Dma;
  if (s == "TileControl" || s == "Ctrl") return PortType::Ctrl;
  if (s == "FIFO") return PortType::Fifo;
  if (s == "South") return PortType::South;
  if (s == "West") return PortType::West;
  if (s == "North") return PortType::North;
  if (s == "East") return PortType::East;
  if (s == "Trace") return PortType::Trace;
  FAIL("unknown bundle " << s);
  return PortType::Core;
}

Design read_design(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  Design d;
  const std::regex tile_re(R"(%(\w+) = aie\.tile\((\d+), (\d+)\))");
  const std::regex lock_re(R"(%(\w+) = aie\.lock\(%(\w+), (\d+)\)(?: \{init = (-?\d+) : i32)?)");
  const std::regex buffer_re(R"(%(\w+) = aie\.buffer\(%(\w+)\) \{address = (\d+) : i32)");
  const std::regex mem_re(R"(= aie\.(?:mem|memtile_dma)\(%(\w+)\) \{)");
  const std::regex use_lock_re(R"(aie\.use_lock\(%(\w+), (\w+), (-?\d+)\))");
  const std::regex bd_re(R"(aie\.dma_bd\(%(\w+) : memref<(\d+)x(?:i|bf|f)(\d+)>, (\d+), (\d+)\) \{bd_id = (\d+) : i32(?:, next_bd_id = (\d+) : i32)?\})");
  const std::regex switchbox_re(R"(= aie\.switchbox\(%(\w+)\) \{)");
  const std::regex mux_re(R"(= aie\.shim_mux\(%(\w+)\) \{)");
  const std::regex connect_re(R"(aie\.connect<(\w+) : (\d+), (\w+) : (\d+)>)");
  const std::regex amsel_re(R"(%(\w+) = aie\.amsel<(\d+)> \((\d+)\))");
  const std::regex masterset_re(R"(aie\.masterset\((\w+) : (\d+), %(\w+)\)( \{keep_pkt_header = true\})?)");
  const std::regex rules_re(R"(aie\.packet_rules\((\w+) : (\d+)\) \{)");
  const std::regex rule_re(R"(aie\.rule\((\d+), (\d+), %(\w+)\))");
  enum { None, Mem, Switchbox, Mux } block = None;
  std::string block_tile;
  int depth = 0;
  MlirBd pending;
  std::map<std::string, std::pair<int, int>> amsels;  // arbiter, msel within the current switchbox
  MlirRule rules_of;
  int slot = 0;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (block == None) {
      if (std::regex_search(line, m, tile_re)) d.tiles[m[1]] = {std::stoi(m[2]), std::stoi(m[3])};
      if (std::regex_search(line, m, lock_re)) d.locks[m[1]] = {m[2], std::stoi(m[3]), m[4].matched, m[4].matched ? std::stoi(m[4]) : 0};
      if (std::regex_search(line, m, buffer_re)) d.buffers[m[1]] = {m[2], static_cast<uint32_t>(std::stoul(m[3]))};
      if (std::regex_search(line, m, mem_re)) block = Mem, block_tile = m[1], depth = 0, pending = {};
      if (std::regex_search(line, m, switchbox_re)) block = Switchbox, block_tile = m[1], depth = 0, amsels.clear();
      if (std::regex_search(line, m, mux_re)) block = Mux, block_tile = m[1], depth = 0;
      if (block != None) {
        for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
      }
      continue;
    }
    if (block == Mem) {
      if (line.find("^bb") != std::string::npos) pending = {};
      if (std::regex_search(line, m, use_lock_re)) {
        if (m[2].str().rfind("Acquire", 0) == 0) pending.acq_lock = m[1], pending.acq_action = m[2], pending.acq_value = std::stoi(m[3]);
        else {
          REQUIRE(m[2].str() == "Release");
          REQUIRE(!d.bds.empty());
          d.bds.back().rel_lock = m[1], d.bds.back().rel_value = std::stoi(m[3]);
        }
      }
      if (std::regex_search(line, m, bd_re)) {
        MlirBd b = pending;
        b.tile = block_tile, b.buffer = m[1], b.elem_bytes = static_cast<uint32_t>(std::stoul(m[3])) / 8;
        b.offset = static_cast<uint32_t>(std::stoul(m[4])), b.len = static_cast<uint32_t>(std::stoul(m[5]));
        b.bd_id = std::stoi(m[6]), b.next_bd = m[7].matched ? std::stoi(m[7]) : -1;
        d.bds.push_back(b);
      }
    } else if (block == Switchbox) {
      if (std::regex_search(line, m, connect_re))
        d.connects.push_back({block_tile, bundle(m[1]), bundle(m[3]), std::stoi(m[2]), std::stoi(m[4])});
      if (std::regex_search(line, m, amsel_re)) amsels[m[1]] = {std::stoi(m[2]), std::stoi(m[3])};
      if (std::regex_search(line, m, masterset_re)) {
        REQUIRE(amsels.count(m[3]));
        d.mastersets.push_back({block_tile, bundle(m[1]), std::stoi(m[2]), amsels[m[3]].first, amsels[m[3]].second, m[4].matched});
      }
      if (std::regex_search(line, m, rules_re)) rules_of = {block_tile, bundle(m[1]), std::stoi(m[2])}, slot = 0;
      if (std::regex_search(line, m, rule_re)) {
        REQUIRE(amsels.count(m[3]));
        MlirRule r = rules_of;
        r.slot = slot++, r.mask = std::stoi(m[1]), r.id = std::stoi(m[2]);
        r.arbiter = amsels[m[3]].first, r.msel = amsels[m[3]].second;
        d.rules.push_back(r);
      }
    } else if (block == Mux) {
      if (std::regex_search(line, m, connect_re)) {
        if (m[1] == "DMA") {
          REQUIRE(m[3] == "North");
          d.muxes.push_back({block_tile, true, std::stoi(m[2]), std::stoi(m[4])});
        } else {
          REQUIRE(m[1] == "North");
          REQUIRE(m[3] == "DMA");
          d.muxes.push_back({block_tile, false, std::stoi(m[4]), std::stoi(m[2])});
        }
      }
    }
    for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
    if (depth <= 0) block = None;
  }
  return d;
}

// Every fact of `design` the PDI's registers must hold, checked one by one, and the reverse:
// every BD, lock and circuit route the PDI programs is one the design names.
void check_pdi_against_design(const std::string& dir) {
  const DeviceImage img = read_device_image(dir + "/main.pdi");
  const Registers r = apply(img);
  const Design d = read_design(dir + "/input_physical_with_elfs.mlir");
  REQUIRE(!d.bds.empty());
  REQUIRE(!d.connects.empty());

  // BDs: the buffer, offset and length, the chain, the locks and their signed values.
  std::set<std::tuple<int, int, int>> design_bds;
  for (const MlirBd& b : d.bds) {
    const auto [col, row] = d.tiles.at(b.tile);
    const TileKind kind = npu1_tile_kind(col, row);
    const TileLayout& t = layout(kind);
    INFO(dir << ": BD " << b.bd_id << " of tile (" << col << "," << row << ") moving " << b.buffer);
    design_bds.insert({col, row, b.bd_id});
    std::vector<uint32_t> words;
    for (int w = 0; w < t.bd_words; ++w) {
      REQUIRE(r.has(reg(col, row, t.bd_offset(b.bd_id, w))));
      words.push_back(r.at(reg(col, row, t.bd_offset(b.bd_id, w))));
    }
    const BufferDescriptor bd = decode_bd(kind, words.data());
    const MlirBuffer& buf = d.buffers.at(b.buffer);
    REQUIRE(d.tiles.at(buf.tile) == std::make_pair(col, row));
    CHECK(bd.address == buf.address + b.offset * b.elem_bytes);
    CHECK(bd.length_bytes() == uint64_t{b.len} * b.elem_bytes);
    CHECK(bd.valid);
    CHECK(bd.use_next_bd == (b.next_bd >= 0));
    if (b.next_bd >= 0) CHECK(bd.next_bd == b.next_bd);
    for (const auto& dim : bd.dims) {
      CHECK(dim.wrap == 0u);  // the designs' BDs have no dimensions: linear
      CHECK(dim.step == 1u);
    }
    CHECK(!bd.packet_enable);
    REQUIRE(!b.acq_lock.empty());
    REQUIRE(!b.rel_lock.empty());
    CHECK(bd.lock_acq_enable);
    CHECK(bd.lock_acq_id == d.locks.at(b.acq_lock).id);
    CHECK(bd.lock_rel_id == d.locks.at(b.rel_lock).id);
    const LockOp acq = bd_acquire(bd.lock_acq_value);
    CHECK(acq.acquire_ge == (b.acq_action == "AcquireGreaterEqual"));
    CHECK(acq.value == b.acq_value);
    CHECK(bd.lock_rel_value == b.rel_value);
  }
  std::set<std::tuple<int, int, int>> pdi_bds;
  for (uint64_t a : r.written) {
    const RegisterAddress ra = split_address(a);
    const RegHit h = classify(npu1_tile_kind(ra.col, ra.row), ra.offset);
    if (h.kind == RegKind::Bd) pdi_bds.insert({ra.col, ra.row, h.index});
  }
  CHECK(pdi_bds == design_bds);

  // Locks: the value a lock register is left with is the design's init (0 where none).
  std::set<std::tuple<int, int, int>> design_locks;
  for (const auto& [name, l] : d.locks) {
    const auto [col, row] = d.tiles.at(l.tile);
    const TileLayout& t = layout(npu1_tile_kind(col, row));
    INFO(dir << ": lock " << name);
    design_locks.insert({col, row, l.id});
    if (l.has_init) {
      REQUIRE(r.has(reg(col, row, t.lock_offset(l.id))));
      CHECK(lock_register_value(r.at(reg(col, row, t.lock_offset(l.id)))) == l.init);
    }
  }
  for (const auto& [a, v] : r.value) {
    const RegisterAddress ra = split_address(a);
    const RegHit h = classify(npu1_tile_kind(ra.col, ra.row), ra.offset);
    if (h.kind != RegKind::Lock || design_locks.count({ra.col, ra.row, h.index})) continue;
    INFO(dir << ": lock " << h.index << " of tile (" << ra.col << "," << ra.row << ") the design does not declare");
    CHECK(lock_register_value(v) == 0);
  }

  // Circuit routes: master B j selects slave A i; both enabled; nothing else is enabled in circuit mode.
  std::set<std::tuple<int, int, int>> design_masters;
  for (const MlirConnect& c : d.connects) {
    const auto [col, row] = d.tiles.at(c.tile);
    const TileKind kind = npu1_tile_kind(col, row);
    const TileLayout& t = layout(kind);
    INFO(dir << ": tile (" << col << "," << row << ") connect " << port_name({c.src_type, c.src}) << " -> " << port_name({c.dst_type, c.dst}));
    const int mi = master_index(kind, {c.dst_type, c.dst}), si = slave_index(kind, {c.src_type, c.src});
    REQUIRE(mi >= 0);
    REQUIRE(si >= 0);
    design_masters.insert({col, row, mi});
    const MasterConfig mc = decode_master(r.at(reg(col, row, t.master_base + 4u * mi)));
    CHECK(mc.enable);
    CHECK(!mc.packet_enable);
    CHECK(mc.slave_select() == si);
    CHECK(master_port(kind, mi) == std::optional<StreamPort>(StreamPort{c.dst_type, c.dst}));
    CHECK(slave_port(kind, mc.slave_select()) == std::optional<StreamPort>(StreamPort{c.src_type, c.src}));
    const SlaveConfig sc = decode_slave(r.at(reg(col, row, t.slave_base + 4u * si)));
    CHECK(sc.enable);
    CHECK(!sc.packet_enable);
    const RegHit h = classify(kind, t.master_base + 4u * mi);
    CHECK(h.kind == RegKind::StreamMaster);
    CHECK(h.index == mi);
  }
  // Packet routes: masterset(B j, amsel<arbiter>(msel)) and packet_rules(A i) { rule(mask, id, amsel) }.
  for (const MlirMasterSet& ms : d.mastersets) {
    const auto [col, row] = d.tiles.at(ms.tile);
    const TileKind kind = npu1_tile_kind(col, row);
    INFO(dir << ": tile (" << col << "," << row << ") masterset " << port_name({ms.type, ms.index}));
    const int mi = master_index(kind, {ms.type, ms.index});
    REQUIRE(mi >= 0);
    design_masters.insert({col, row, mi});
    const MasterConfig mc = decode_master(r.at(reg(col, row, layout(kind).master_base + 4u * mi)));
    CHECK(mc.enable);
    CHECK(mc.packet_enable);
    CHECK(mc.arbiter() == ms.arbiter);
    CHECK(mc.msel_mask() == 1 << ms.msel);
    CHECK(mc.drop_header == !ms.keep_header);
  }
  for (const MlirRule& ru : d.rules) {
    const auto [col, row] = d.tiles.at(ru.tile);
    const TileKind kind = npu1_tile_kind(col, row);
    const TileLayout& t = layout(kind);
    INFO(dir << ": tile (" << col << "," << row << ") packet rule " << ru.slot << " of " << port_name({ru.type, ru.index}));
    const int si = slave_index(kind, {ru.type, ru.index});
    REQUIRE(si >= 0);
    const SlaveConfig sc = decode_slave(r.at(reg(col, row, t.slave_base + 4u * si)));
    CHECK(sc.enable);
    CHECK(sc.packet_enable);
    const uint32_t slot_off = t.slot_base + 0x10u * si + 4u * ru.slot;
    const RegHit h = classify(kind, slot_off);
    CHECK(h.kind == RegKind::StreamSlot);
    CHECK(h.index == si);
    CHECK(h.word == ru.slot);
    const SlotConfig s = decode_slot(r.at(reg(col, row, slot_off)));
    CHECK(s.enable);
    CHECK(s.id == ru.id);
    CHECK(s.mask == ru.mask);
    CHECK(s.msel == ru.msel);
    CHECK(s.arbiter == ru.arbiter);
  }
  for (const auto& [a, v] : r.value) {
    const RegisterAddress ra = split_address(a);
    const RegHit h = classify(npu1_tile_kind(ra.col, ra.row), ra.offset);
    if (h.kind != RegKind::StreamMaster || !decode_master(v).enable) continue;
    INFO(dir << ": enabled master " << h.index << " of tile (" << ra.col << "," << ra.row << ")");
    CHECK(design_masters.count({ra.col, ra.row, h.index}) == 1);
  }

  // Shim mux/demux: which stream port each shim DMA channel uses.
  REQUIRE(!d.muxes.empty());
  for (const MlirMux& mx : d.muxes) {
    const auto [col, row] = d.tiles.at(mx.tile);
    REQUIRE(npu1_tile_kind(col, row) == TileKind::Shim);
    const TileLayout& t = layout(TileKind::Shim);
    INFO(dir << ": shim (" << col << "," << row << ") mux " << (mx.mm2s ? "MM2S " : "S2MM ") << mx.channel << " at South " << mx.port);
    if (mx.mm2s)
      CHECK(shim_mm2s_slave(mx.channel, r.at(reg(col, row, t.mux_config))) == std::optional<StreamPort>(StreamPort{PortType::South, mx.port}));
    else
      CHECK(shim_s2mm_master(mx.channel, r.at(reg(col, row, t.demux_config))) == std::optional<StreamPort>(StreamPort{PortType::South, mx.port}));
  }
}

}  // namespace

TEST_CASE("array regs: the BDs, locks, routes and shim mux the user's PDIs program are the placed designs beside them", "[sim][array]") {
  check_pdi_against_design(testing::shared_dir() + "/aie2/int32-2025-11-03");
  check_pdi_against_design(testing::shared_dir() + "/aie2/iron-attention-4core-2025-11-03");
}

TEST_CASE("array regs: every placed design beside a shared PDI agrees with it", "[sim][array]") {
  for (const char* d : {"gelu-512-2025-11-03", "int8-lut-2025-11-03", "layernorm-256-2025-11-03", "matmul-32x32-2025-11-03",
                        "gelu-bf16-2025-11-22", "layernorm-bf16-2025-11-22", "matmul-bf16-2025-11-22", "matmul-bf16-vectorized-2025-11-22",
                        "softmax-bf16-2025-11-22", "softmax-bf16-2core-2025-11-22", "encoder-layer-3core-2025-11-22"}) {
    check_pdi_against_design(testing::shared_dir() + "/aie2/" + d);
  }
}
