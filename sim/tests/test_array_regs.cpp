// The npu1 register decoders against the placed designs beside the user's PDIs, against register words built by hand from aie-rt's field definitions, and the classification of every offset the shared PDIs write.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"
#include "sim/array/image_writes.hpp"
#include "sim/array/regs.hpp"
#include "sim/load/pdi.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::aie2;
using namespace attncheck::aie2::array;

namespace {

// The registers a PDI leaves: its writes (array::register_writes) applied in order; a register
// never written reads 0.
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
  for (const RegisterWrite& w : register_writes(img)) {
    uint32_t& x = r.value[w.address];
    x = (x & ~w.mask) | (w.value & w.mask);
    r.written.push_back(w.address);
  }
  return r;
}

uint64_t reg(int col, int row, uint32_t off) { return tile_address(col, row, off); }

// ---------------------------------------------------------------------------------------------
// The facts of a placed design (input_physical_with_elfs.mlir), read with regexes, independent of
// sim/load/design.cpp.
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
    const uint32_t slot_off = t.slot_offset(si, ru.slot);
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

// ---------------------------------------------------------------------------------------------
// (b) Register words built by hand from params.h's field positions (the numbers below are
// aie-rt's _LSB values, not the decoder's tables), decoded.
// ---------------------------------------------------------------------------------------------

TEST_CASE("array regs: a compute tile BD built from MEMORY_MODULE_DMA_BD0_* fields decodes to them", "[sim][array]") {
  const uint32_t w[6] = {
      (0x1234u << 14) | 0x0ABCu,                                      // Base_Address 27:14, Buffer_Length 13:0
      (1u << 31) | (1u << 30) | (5u << 24) | (17u << 19) | (3u << 16),  // Compression, Packet, OoO id, Packet_ID, Packet_Type
      (99u << 13) | 7u,                                               // D1_Stepsize 25:13, D0_Stepsize 12:0
      (12u << 21) | (34u << 13) | 55u,                                // D1_Wrap 28:21, D0_Wrap 20:13, D2_Stepsize 12:0
      (3u << 19) | (9u << 13) | 200u,                                 // Iteration_Current 24:19, _Wrap 18:13, _Stepsize 12:0
      (1u << 31) | (11u << 27) | (1u << 26) | (1u << 25) | (0x7Eu << 18) | (6u << 13) | (1u << 12) | (0x7Du << 5) | 9u,
  };
  const BufferDescriptor b = decode_bd(TileKind::Compute, w);
  CHECK(b.address == 0x1234u * 4);
  CHECK(b.length == 0xABCu);
  CHECK(b.length_bytes() == 0xABCu * 4);
  CHECK(b.compression);
  CHECK(b.packet_enable);
  CHECK(b.out_of_order_bd_id == 5);
  CHECK(b.packet_id == 17);
  CHECK(b.packet_type == 3);
  REQUIRE(b.dims.size() == 3);
  CHECK(b.dims[0].step == 8u);
  CHECK(b.dims[0].wrap == 34u);
  CHECK(b.dims[1].step == 100u);
  CHECK(b.dims[1].wrap == 12u);
  CHECK(b.dims[2].step == 56u);
  CHECK(b.dims[2].wrap == 0u);
  CHECK(b.iteration_current == 3u);
  CHECK(b.iteration_wrap == 10u);
  CHECK(b.iteration_step == 201u);
  CHECK(b.tlast_suppress);
  CHECK(b.next_bd == 11);
  CHECK(b.use_next_bd);
  CHECK(b.valid);
  CHECK(b.lock_rel_value == -2);
  CHECK(b.lock_rel_id == 6);
  CHECK(b.lock_acq_enable);
  CHECK(b.lock_acq_value == -3);
  CHECK(b.lock_acq_id == 9);
  CHECK(bd_acquire(b.lock_acq_value).acquire_ge);
  CHECK(bd_acquire(b.lock_acq_value).value == 3);
  CHECK(encode_bd(TileKind::Compute, b) == std::vector<uint32_t>(w, w + 6));
}

TEST_CASE("array regs: a memory tile BD built from MEM_TILE_MODULE_DMA_BD0_* fields decodes to them", "[sim][array]") {
  const uint32_t w[8] = {
      (1u << 31) | (6u << 28) | (30u << 23) | (41u << 17) | 0x1FFFFu,  // Packet, Type 30:28, ID 27:23, OoO 22:17, Length 16:0
      (63u << 26) | (47u << 20) | (1u << 19) | 0x60000u,               // D0_Zero_Before 31:26, Next_BD 25:20, Use_Next 19, Base 18:0
      (1u << 31) | (1023u << 17) | 0x1FFFEu,                           // TLAST_Suppress, D0_Wrap 26:17, D0_Stepsize 16:0
      (31u << 27) | (2u << 17) | 4u,                                   // D1_Zero_Before 31:27, D1_Wrap, D1_Stepsize
      (1u << 31) | (15u << 27) | (3u << 17) | 5u,                      // Compression, D2_Zero_Before 30:27, D2_Wrap, D2_Stepsize
      (14u << 28) | (29u << 23) | (60u << 17) | 6u,                    // D2_Zero_After 31:28, D1 27:23, D0 22:17, D3_Stepsize
      (63u << 23) | (62u << 17) | 0x1FFFFu,                            // Iteration_Current 28:23, _Wrap 22:17, _Stepsize 16:0
      (1u << 31) | (0x01u << 24) | (191u << 16) | (1u << 15) | (0x40u << 8) | 130u,  // Valid, Rel value/id, Acq enable/value/id
  };
  const BufferDescriptor b = decode_bd(TileKind::Mem, w);
  CHECK(b.packet_enable);
  CHECK(b.packet_type == 6);
  CHECK(b.packet_id == 30);
  CHECK(b.out_of_order_bd_id == 41);
  CHECK(b.length == 0x1FFFFu);
  CHECK(b.address == 0x60000u * 4);
  CHECK(b.use_next_bd);
  CHECK(b.next_bd == 47);
  CHECK(b.tlast_suppress);
  REQUIRE(b.dims.size() == 4);
  CHECK(b.dims[0].wrap == 1023u);
  CHECK(b.dims[0].step == 0x1FFFFu);
  CHECK(b.dims[1].wrap == 2u);
  CHECK(b.dims[1].step == 5u);
  CHECK(b.dims[2].wrap == 3u);
  CHECK(b.dims[2].step == 6u);
  CHECK(b.dims[3].wrap == 0u);
  CHECK(b.dims[3].step == 7u);
  CHECK(b.compression);
  CHECK(b.pad_before[0] == 63);
  CHECK(b.pad_before[1] == 31);
  CHECK(b.pad_before[2] == 15);
  CHECK(b.pad_after[0] == 60);
  CHECK(b.pad_after[1] == 29);
  CHECK(b.pad_after[2] == 14);
  CHECK(b.iteration_current == 63u);
  CHECK(b.iteration_wrap == 63u);
  CHECK(b.iteration_step == 0x20000u);
  CHECK(b.valid);
  CHECK(b.lock_rel_value == 1);
  CHECK(b.lock_rel_id == 191);
  CHECK(b.lock_acq_enable);
  CHECK(b.lock_acq_value == -64);
  CHECK(b.lock_acq_id == 130);
  CHECK(encode_bd(TileKind::Mem, b) == std::vector<uint32_t>(w, w + 8));
}

TEST_CASE("array regs: a shim BD built from NOC_MODULE_DMA_BD0_* fields decodes to them", "[sim][array]") {
  const uint32_t w[8] = {
      0x00100000u,                                                     // Buffer_Length (words)
      0xDEADBEECu,                                                     // Base_Address_Low 31:2
      (1u << 30) | (63u << 24) | (31u << 19) | (7u << 16) | 0x0001u,   // Packet, OoO 29:24, ID 23:19, Type 18:16, Base_Address_High 15:0
      (1u << 30) | (1023u << 20) | 0xFFFFFu,                           // Secure_Access, D0_Wrap 29:20, D0_Stepsize 19:0
      (2u << 30) | (5u << 20) | 9u,                                    // Burst_Length 31:30, D1_Wrap, D1_Stepsize
      (0xAu << 28) | (0x3u << 24) | (0xCu << 20) | 0x10u,              // SMID, AxCache, AxQoS, D2_Stepsize
      (2u << 26) | (3u << 20) | 4u,                                    // Iteration_Current 31:26, _Wrap 25:20, _Stepsize 19:0
      (1u << 25) | (0x3Fu << 18) | (15u << 13) | (0x01u << 5) | 14u,   // Valid, Rel value 63, Rel id, Acq value +1 (no acquire enable), Acq id
  };
  const BufferDescriptor b = decode_bd(TileKind::Shim, w);
  CHECK(b.length == 0x00100000u);
  CHECK(b.address == 0x1DEADBEECull);
  CHECK(b.packet_enable);
  CHECK(b.out_of_order_bd_id == 63);
  CHECK(b.packet_id == 31);
  CHECK(b.packet_type == 7);
  CHECK(b.secure_access);
  REQUIRE(b.dims.size() == 3);
  CHECK(b.dims[0].wrap == 1023u);
  CHECK(b.dims[0].step == 0x100000u);
  CHECK(b.dims[1].wrap == 5u);
  CHECK(b.dims[1].step == 10u);
  CHECK(b.dims[2].wrap == 0u);
  CHECK(b.dims[2].step == 0x11u);
  CHECK(b.burst_length == 2);
  CHECK(b.smid == 0xA);
  CHECK(b.axcache == 0x3);
  CHECK(b.axqos == 0xC);
  CHECK(b.iteration_current == 2u);
  CHECK(b.iteration_wrap == 4u);
  CHECK(b.iteration_step == 5u);
  CHECK(!b.tlast_suppress);
  CHECK(!b.use_next_bd);
  CHECK(b.valid);
  CHECK(b.lock_rel_value == 63);
  CHECK(b.lock_rel_id == 15);
  CHECK(!b.lock_acq_enable);
  CHECK(b.lock_acq_value == 1);
  CHECK(!bd_acquire(b.lock_acq_value).acquire_ge);
  CHECK(b.lock_acq_id == 14);
  CHECK(encode_bd(TileKind::Shim, b) == std::vector<uint32_t>(w, w + 8));
  CHECK(decode_bd(TileKind::Shim, std::vector<uint32_t>(w, w + 8)).address == b.address);
  CHECK_THROWS_AS(decode_bd(TileKind::Shim, std::vector<uint32_t>(w, w + 6)), InputError);
  CHECK_THROWS_AS(decode_bd(TileKind::Compute, std::vector<uint32_t>(w, w + 8)), InputError);
}

TEST_CASE("array regs: start queues, channel controls, lock requests, core control and switch configs decode by params.h", "[sim][array]") {
  // *_START_QUEUE: Enable_Token_Issue 31, Repeat_Count 23:16, Start_BD_ID 3:0 (5:0 in the memory tile).
  const uint32_t q = (1u << 31) | (7u << 16) | 0x2Au;
  CHECK(decode_queue(TileKind::Compute, q).start_bd == 0xA);
  CHECK(decode_queue(TileKind::Shim, q).start_bd == 0xA);
  CHECK(decode_queue(TileKind::Mem, q).start_bd == 0x2A);
  CHECK(decode_queue(TileKind::Mem, q).repeat_count == 7);
  CHECK(decode_queue(TileKind::Mem, q).enable_token_issue);
  CHECK(!decode_queue(TileKind::Compute, 0x00FF0000u).enable_token_issue);
  CHECK(decode_queue(TileKind::Compute, 0x00FF0000u).repeat_count == 255);

  // DMA_S2MM_0_CTRL: FoT_Mode 17:16, Controller_ID 15:8, Decompression 4, Out_of_Order 3, Reset 1.
  const ChannelControl s = decode_channel_control(TileKind::Compute, true, (3u << 16) | (0xABu << 8) | (1u << 4) | (1u << 3) | (1u << 1));
  CHECK(s.fot_mode == 3);
  CHECK(s.controller_id == 0xAB);
  CHECK(s.decompression);
  CHECK(s.enable_out_of_order);
  CHECK(s.reset);
  CHECK(!s.compression);
  // DMA_MM2S_0_CTRL: Compression_Enable 4, Reset 1.
  const ChannelControl m = decode_channel_control(TileKind::Mem, false, (1u << 4) | (1u << 1));
  CHECK(m.compression);
  CHECK(m.reset);
  CHECK(!m.decompression);
  // NOC_MODULE_DMA_S2MM_0_CTRL: no reset; Pause_Stream 2, Pause_Mem 1.
  const ChannelControl n = decode_channel_control(TileKind::Shim, true, (5u << 8) | (1u << 2) | (1u << 1));
  CHECK(!n.reset);
  CHECK(n.pause_stream);
  CHECK(n.pause_mem);
  CHECK(n.controller_id == 5);

  // LOCK_REQUEST: + id * 0x400, + 0x200 for acquire, + (value & 0x7F) << 2 (reginit.c LockIdOff/RelAcqOff).
  const auto acq = decode_lock_request(TileKind::Compute, 0x40000u + 3 * 0x400u + 0x200u + (0x7Fu << 2));
  REQUIRE(acq);
  CHECK(acq->lock == 3);
  CHECK(acq->acquire);
  CHECK(acq->value == -1);
  const auto rel = decode_lock_request(TileKind::Mem, 0xD0000u + 63 * 0x400u + (2u << 2));
  REQUIRE(rel);
  CHECK(rel->lock == 63);
  CHECK(!rel->acquire);
  CHECK(rel->value == 2);
  CHECK(!decode_lock_request(TileKind::Compute, 0x40000u + 16 * 0x400u));
  CHECK(!decode_lock_request(TileKind::Mem, 0xD0000u + 64 * 0x400u));

  CHECK(lock_register_value(0xFFFFFFC5u) == 5);  // Lock_Value 5:0
  CHECK(bd_acquire(-2).acquire_ge);
  CHECK(bd_acquire(-2).value == 2);
  CHECK(!bd_acquire(0).acquire_ge);
  CHECK(bd_acquire(0).value == 0);
  CHECK(core_enabled(1u));
  CHECK(!core_enabled(2u));
  CHECK(core_reset(2u));
  CHECK(!core_reset(1u));
  CHECK(core_done(1u << 20));

  // Stream_Switch_Master_Config: Master_Enable 31, Packet_Enable 30, Drop_Header 7, Configuration 6:0.
  const MasterConfig pm = decode_master(0xC0000000u | (8u << 3) | 5u);
  CHECK(pm.enable);
  CHECK(pm.packet_enable);
  CHECK(!pm.drop_header);
  CHECK(pm.arbiter() == 5);
  CHECK(pm.msel_mask() == 8);
  const MasterConfig cm = decode_master(0x80000080u | 14u);
  CHECK(cm.enable);
  CHECK(!cm.packet_enable);
  CHECK(cm.drop_header);
  CHECK(cm.slave_select() == 14);
  CHECK(decode_slave(0x80000000u).enable);
  CHECK(!decode_slave(0x80000000u).packet_enable);
  CHECK(decode_slave(0x40000000u).packet_enable);
  // Slot: ID 28:24, Mask 20:16, Enable 8, Msel 5:4, Arbit 2:0.
  const SlotConfig sl = decode_slot((0x1Bu << 24) | (0x11u << 16) | (1u << 8) | (2u << 4) | 6u);
  CHECK(sl.id == 0x1B);
  CHECK(sl.mask == 0x11);
  CHECK(sl.enable);
  CHECK(sl.msel == 2);
  CHECK(sl.arbiter == 6);
}

TEST_CASE("array regs: switch port indexes are the positions of params.h's config registers", "[sim][array]") {
  // (register offset - the tile's first master/slave config register) / 4, from params.h.
  CHECK(master_index(TileKind::Compute, {PortType::Core, 0}) == 0);
  CHECK(master_index(TileKind::Compute, {PortType::South, 2}) == (0x3F01C - 0x3F000) / 4);  // MASTER_CONFIG_SOUTH2
  CHECK(master_index(TileKind::Compute, {PortType::North, 5}) == (0x3F048 - 0x3F000) / 4);  // MASTER_CONFIG_NORTH5
  CHECK(master_index(TileKind::Compute, {PortType::East, 3}) == (0x3F058 - 0x3F000) / 4);   // MASTER_CONFIG_EAST3
  CHECK(slave_index(TileKind::Compute, {PortType::South, 0}) == (0x3F114 - 0x3F100) / 4);   // SLAVE_CONFIG_SOUTH_0
  CHECK(slave_index(TileKind::Compute, {PortType::Trace, 1}) == (0x3F160 - 0x3F100) / 4);   // SLAVE_CONFIG_MEM_TRACE
  CHECK(master_index(TileKind::Mem, {PortType::North, 5}) == (0xB0040 - 0xB0000) / 4);      // MASTER_CONFIG_NORTH5
  CHECK(slave_index(TileKind::Mem, {PortType::North, 3}) == (0xB0140 - 0xB0100) / 4);       // SLAVE_CONFIG_NORTH_3
  CHECK(slave_index(TileKind::Mem, {PortType::Trace, 0}) == (0xB0144 - 0xB0100) / 4);       // SLAVE_CONFIG_TRACE
  CHECK(master_index(TileKind::Shim, {PortType::South, 2}) == (0x3F010 - 0x3F000) / 4);     // PL MASTER_CONFIG_SOUTH2
  CHECK(master_index(TileKind::Shim, {PortType::North, 1}) == (0x3F034 - 0x3F000) / 4);     // PL MASTER_CONFIG_NORTH1
  CHECK(slave_index(TileKind::Shim, {PortType::South, 7}) == (0x3F124 - 0x3F100) / 4);      // PL SLAVE_CONFIG_SOUTH_7
  CHECK(slave_index(TileKind::Shim, {PortType::North, 0}) == (0x3F138 - 0x3F100) / 4);      // PL SLAVE_CONFIG_NORTH_0
  CHECK(master_index(TileKind::Mem, {PortType::East, 0}) == -1);
  CHECK(master_index(TileKind::Shim, {PortType::Dma, 0}) == -1);
  CHECK(master_index(TileKind::Compute, {PortType::North, 6}) == -1);
  CHECK(master_port(TileKind::Compute, 23) == std::nullopt);
  CHECK(slave_port(TileKind::Compute, 25) == std::nullopt);
  CHECK(master_port(TileKind::Compute, -1) == std::nullopt);
  // index -> port -> index for every port of every kind.
  for (TileKind k : {TileKind::Compute, TileKind::Mem, TileKind::Shim}) {
    for (int i = 0; i < layout(k).master_count(); ++i) CHECK(master_index(k, *master_port(k, i)) == i);
    for (int i = 0; i < layout(k).slave_count(); ++i) CHECK(slave_index(k, *slave_port(k, i)) == i);
  }
  // The last config register of each kind is params.h's last: masters 23 / 17 / 22, slaves 25 / 18 / 23.
  CHECK(layout(TileKind::Compute).master_count() == (0x3F058 - 0x3F000) / 4 + 1);
  CHECK(layout(TileKind::Compute).slave_count() == (0x3F160 - 0x3F100) / 4 + 1);
  CHECK(layout(TileKind::Mem).master_count() == (0xB0040 - 0xB0000) / 4 + 1);
  CHECK(layout(TileKind::Mem).slave_count() == (0xB0144 - 0xB0100) / 4 + 1);
  CHECK(layout(TileKind::Shim).master_count() == (0x3F054 - 0x3F000) / 4 + 1);
  CHECK(layout(TileKind::Shim).slave_count() == (0x3F158 - 0x3F100) / 4 + 1);
}

TEST_CASE("array regs: classify and register_name place offsets as params.h names them", "[sim][array]") {
  auto is = [](TileKind k, uint32_t off, RegKind kind, int index = 0, int word = 0) {
    const RegHit h = classify(k, off);
    INFO(register_name(k, off));
    CHECK(h.kind == kind);
    CHECK(h.index == index);
    CHECK(h.word == word);
  };
  is(TileKind::Compute, 0x0, RegKind::DataMemory, 0);
  is(TileKind::Compute, 0xFFFC, RegKind::DataMemory, 0xFFFC);
  is(TileKind::Compute, 0x20000, RegKind::ProgramMemory, 0);
  is(TileKind::Compute, 0x23FFC, RegKind::ProgramMemory, 0x3FFC);
  is(TileKind::Compute, 0x1D014, RegKind::Bd, 0, 5);       // MEMORY_MODULE_DMA_BD0_5
  is(TileKind::Compute, 0x1D1F4, RegKind::Bd, 15, 5);      // DMA_BD15_5
  is(TileKind::Compute, 0x1D018, RegKind::Unknown);        // between DMA_BD0_5 and DMA_BD1_0: no register
  is(TileKind::Compute, 0x1F0F0, RegKind::Lock, 15);       // LOCK15_VALUE
  is(TileKind::Compute, 0x32000, RegKind::CoreControl);
  is(TileKind::Compute, 0x32004, RegKind::CoreStatus);
  is(TileKind::Compute, 0x34000, RegKind::KnownUnmodelled);  // TIMER_CONTROL
  is(TileKind::Compute, 0x3F38C, RegKind::StreamSlot, 24, 3);  // SLAVE_MEM_TRACE_SLOT3
  is(TileKind::Compute, 0x3F390, RegKind::Unknown);
  is(TileKind::Mem, 0x7FFFC, RegKind::DataMemory, 0x7FFFC);
  is(TileKind::Mem, 0xA05FC, RegKind::Bd, 47, 7);          // MEM_TILE_MODULE_DMA_BD47_7
  is(TileKind::Mem, 0xC03F0, RegKind::Lock, 63);           // LOCK63_VALUE
  is(TileKind::Mem, 0xFFF00, RegKind::KnownUnmodelled);    // MODULE_CLOCK_CONTROL
  is(TileKind::Shim, 0x1D1FC, RegKind::Bd, 15, 7);         // NOC_MODULE_DMA_BD15_7
  is(TileKind::Shim, 0x14000, RegKind::Lock, 0);           // NOC_MODULE_LOCK0_VALUE
  is(TileKind::Shim, 0x1F000, RegKind::ShimMux);
  is(TileKind::Shim, 0x1F004, RegKind::ShimDemux);
  is(TileKind::Shim, 0x0, RegKind::Unknown);               // a shim has no data memory
  const RegHit q = classify(TileKind::Mem, 0xA065C);       // DMA_MM2S_5_START_QUEUE
  CHECK(q.kind == RegKind::ChannelQueue);
  CHECK(q.index == 5);
  CHECK(!q.s2mm);
  const RegHit c = classify(TileKind::Shim, 0x1D208);      // NOC_MODULE_DMA_S2MM_1_CTRL
  CHECK(c.kind == RegKind::ChannelCtrl);
  CHECK(c.index == 1);
  CHECK(c.s2mm);

  CHECK(register_name(TileKind::Compute, 0x1D074) == "DMA_BD3_5");
  CHECK(register_name(TileKind::Compute, 0x1F0C0) == "Lock12_value");
  CHECK(register_name(TileKind::Compute, 0x3F01C) == "Stream_Switch_Master_Config_South2");
  CHECK(register_name(TileKind::Compute, 0x3F2B4) == "Stream_Switch_Slave_West0_Slot1");  // CORE_MODULE_STREAM_SWITCH_SLAVE_WEST_0_SLOT1
  CHECK(register_name(TileKind::Compute, 0x3F2D4) == "Stream_Switch_Slave_West2_Slot1");  // ..._WEST_2_SLOT1
  CHECK(register_name(TileKind::Shim, 0x1D21C) == "DMA_MM2S_1_Task_Queue");
  CHECK(register_name(TileKind::Compute, 0x1DE04) == "DMA_S2MM_0_Start_Queue");
  CHECK(register_name(TileKind::Compute, 0x34000) == "TIMER_CONTROL");
  CHECK(register_name(TileKind::Compute, 0x3401C) == "EVENT_BROADCAST#[3]");
  CHECK(register_name(TileKind::Compute, 0x1D018) == "unknown+0x1D018");
}

TEST_CASE("array regs: npu1 geometry, addresses and neighbour wiring", "[sim][array]") {
  CHECK(npu1_tile_kind(0, 0) == TileKind::Shim);
  CHECK(npu1_tile_kind(4, 1) == TileKind::Mem);
  CHECK(npu1_tile_kind(2, 5) == TileKind::Compute);
  CHECK_THROWS_AS(npu1_tile_kind(5, 2), InputError);
  CHECK_THROWS_AS(npu1_tile_kind(0, 6), InputError);
  const RegisterAddress a = split_address((3ull << 25) | (4ull << 20) | 0x1D014);
  CHECK(a.col == 3);
  CHECK(a.row == 4);
  CHECK(a.offset == 0x1D014u);
  CHECK(tile_address(3, 4, 0x1D014) == ((3ull << 25) | (4ull << 20) | 0x1D014));
  CHECK_THROWS_AS(split_address(1ull << 32), InputError);
  CHECK_THROWS_AS(split_address(5ull << 25), InputError);
  CHECK_THROWS_AS(split_address(6ull << 20), InputError);

  using T = std::tuple<int, int, StreamPort>;
  CHECK(connected_slave(0, 2, {PortType::North, 5}) == std::optional<T>(T{0, 3, {PortType::South, 5}}));
  CHECK(connected_slave(0, 0, {PortType::North, 5}) == std::optional<T>(T{0, 1, {PortType::South, 5}}));
  CHECK(connected_slave(0, 1, {PortType::South, 3}) == std::optional<T>(T{0, 0, {PortType::North, 3}}));
  CHECK(connected_slave(1, 2, {PortType::East, 0}) == std::optional<T>(T{2, 2, {PortType::West, 0}}));
  CHECK(connected_slave(1, 0, {PortType::West, 3}) == std::optional<T>(T{0, 0, {PortType::East, 3}}));
  CHECK(connected_slave(0, 5, {PortType::North, 0}) == std::nullopt);  // top row
  CHECK(connected_slave(0, 0, {PortType::South, 2}) == std::nullopt);  // to the shim mux, not a tile
  CHECK(connected_slave(1, 1, {PortType::East, 0}) == std::nullopt);   // memory tiles have no east/west ports
  CHECK(connected_slave(4, 2, {PortType::East, 0}) == std::nullopt);   // array edge
  CHECK(connected_slave(0, 2, {PortType::West, 0}) == std::nullopt);
  CHECK(connected_slave(0, 2, {PortType::Dma, 0}) == std::nullopt);    // internal
  // Every North/South master of every tile has its slave in the neighbour: the counts agree.
  for (int c = 0; c < kNpu1Columns; ++c)
    for (int r = 0; r < kNpu1Rows; ++r) {
      const TileKind k = npu1_tile_kind(c, r);
      for (PortType pt : {PortType::North, PortType::South}) {
        const bool edge = pt == PortType::North ? r == kNpu1Rows - 1 : r == 0;
        for (int i = 0; master_index(k, {pt, i}) >= 0; ++i) {
          INFO("tile (" << c << "," << r << ") " << port_name({pt, i}));
          CHECK(connected_slave(c, r, {pt, i}).has_value() == !edge);
        }
      }
    }

  // Shim mux: NOC_MODULE_MUX_CONFIG South3 11:10, South7 15:14; DEMUX_CONFIG South2 5:4, South3 7:6; 1 = DMA.
  using P = std::optional<StreamPort>;
  CHECK(shim_mm2s_slave(0, 1u << 10) == P(StreamPort{PortType::South, 3}));
  CHECK(shim_mm2s_slave(1, 1u << 10) == std::nullopt);
  CHECK(shim_mm2s_slave(1, 1u << 14) == P(StreamPort{PortType::South, 7}));
  CHECK(shim_mm2s_slave(0, 2u << 10) == std::nullopt);  // NOC, not DMA
  CHECK(shim_s2mm_master(0, 1u << 4) == P(StreamPort{PortType::South, 2}));
  CHECK(shim_s2mm_master(1, 1u << 6) == P(StreamPort{PortType::South, 3}));
  CHECK(shim_s2mm_master(1, 1u << 4) == std::nullopt);
  CHECK(shim_mux_select(0xFFFFu, 4) == -1);
  CHECK(shim_demux_select(3u << 10, 5) == 3);
}

// ---------------------------------------------------------------------------------------------
// (c) Every offset the shared PDIs and Riallto's xclbins write is a register params.h names.
// ---------------------------------------------------------------------------------------------

TEST_CASE("array regs: every offset the shared device images write is a known register", "[sim][array]") {
  std::vector<std::string> images;
  for (const char* d : {"int32-2025-11-03", "int8-lut-2025-11-03", "gelu-512-2025-11-03", "layernorm-256-2025-11-03", "matmul-32x32-2025-11-03",
                        "iron-attention-4core-2025-11-03", "gelu-bf16-2025-11-22", "layernorm-bf16-2025-11-22", "matmul-bf16-2025-11-22",
                        "matmul-bf16-vectorized-2025-11-22", "softmax-bf16-2025-11-22", "softmax-bf16-2core-2025-11-22",
                        "encoder-layer-3core-2025-11-22"})
    images.push_back(testing::shared_dir() + "/aie2/" + d + "/main.pdi");
  for (const char* x : {"color_detect_720p", "color_threshold_v1_720p", "denoise_task_parallel_720p", "edge_detect_720p"})
    images.push_back(testing::shared_dir() + "/npu1/riallto-0593d004/binaries/" + x + ".xclbin");
  // Offsets no register of params.h covers (docs/aie2-array-registers.md): none so far.
  const std::set<std::string> expected_unknown = {};
  std::set<std::string> unknown;
  size_t writes = 0;
  for (const std::string& path : images) {
    const Registers r = apply(read_device_image(path));
    REQUIRE(!r.written.empty());
    for (uint64_t a : r.written) {
      const RegisterAddress ra = split_address(a);
      const TileKind k = npu1_tile_kind(ra.col, ra.row);
      ++writes;
      if (classify(k, ra.offset).kind == RegKind::Unknown) unknown.insert(register_name(k, ra.offset));
    }
  }
  CHECK(writes > 40000);  // program and data memories included
  CHECK(unknown == expected_unknown);
}

TEST_CASE("array regs: Riallto's color threshold programs 640-word BDs on its own memories and locks", "[sim][array]") {
  // color_threshold_v1_720p.mlir: object FIFOs of memref<640xi32>, depth 2, shim (0,0) -> memory tile
  // (0,1) -> compute (0,2) and back. Each BD moves one 640-word element, within its own tile: a memory
  // tile's own memory is its 512 KiB..1 MiB window and its own locks are 64..127 (target:
  // getMemLocalBaseAddress, getLockLocalBaseIndex).
  const std::string dir = testing::shared_dir() + "/npu1/riallto-0593d004/binaries/";
  std::ifstream mlir(dir + "color_threshold_v1_720p.mlir");
  std::stringstream text;
  text << mlir.rdbuf();
  std::smatch m;
  const std::string s = text.str();
  REQUIRE(std::regex_search(s, m, std::regex(R"(objectFifo @objFifo_in0\(%0, \{%1\}, 2 : i32\) : !AIE\.objectFifo<memref<(\d+)xi32>>)")));
  const uint32_t words = static_cast<uint32_t>(std::stoul(m[1]));
  REQUIRE(words == 640u);
  const Registers r = apply(read_device_image(dir + "color_threshold_v1_720p.xclbin"));
  int mem_bds = 0, compute_bds = 0;
  for (int row : {1, 2}) {
    const TileKind k = npu1_tile_kind(0, row);
    const TileLayout& t = layout(k);
    for (int bd = 0; bd < t.bds; ++bd) {
      if (!r.has(reg(0, row, t.bd_offset(bd)))) continue;
      std::vector<uint32_t> w;
      for (int i = 0; i < t.bd_words; ++i) w.push_back(r.at(reg(0, row, t.bd_offset(bd, i))));
      const BufferDescriptor b = decode_bd(k, w.data());
      INFO("tile (0," << row << ") BD " << bd);
      CHECK(b.valid);
      CHECK(b.length == words);
      CHECK(b.use_next_bd);
      CHECK(bd_acquire(b.lock_acq_value).acquire_ge);
      CHECK(bd_acquire(b.lock_acq_value).value == 1);
      CHECK(b.lock_rel_value == 1);
      if (k == TileKind::Mem) {
        ++mem_bds;
        CHECK(b.address >= 0x80000u);
        CHECK(b.address + b.length_bytes() <= 0x100000u);
        CHECK(b.lock_acq_id >= 64);
        CHECK(b.lock_acq_id < 128);
        CHECK(b.lock_rel_id >= 64);
        CHECK(b.lock_rel_id < 128);
        // Even channels run BDs 0..23, odd ones 24..47 (target: isBdChannelAccessible).
      } else {
        ++compute_bds;
        CHECK(b.address + b.length_bytes() <= 0x10000u);
        CHECK(b.lock_acq_id < 16);
      }
    }
  }
  CHECK(mem_bds == 8);      // two links of two depth-2 FIFOs: 4 buffers, each filled and drained
  CHECK(compute_bds == 4);  // in and out, depth 2
}

// ---------------------------------------------------------------------------------------------
// The runtime sequence (npu_insts.mlir, lowered by mlir-aie to register writes): the shim BDs it
// block-writes move the whole host buffer whose address it patches in, its queue pushes start
// those BDs on the channels the design allocates, and its S2MM control writes name the shim's
// controller id.
// ---------------------------------------------------------------------------------------------

namespace {

uint32_t memref_bytes(const std::string& count, const std::string& bits) {
  return static_cast<uint32_t>(std::stoul(count)) * static_cast<uint32_t>(std::stoul(bits)) / 8;
}

void check_runtime_sequence(const std::string& dir) {
  std::ifstream in(dir + "/npu_insts.mlir");
  REQUIRE(in.good());
  const std::regex global_re(R"(memref\.global "private" constant @(\w+) : memref<8xi32> = dense<\[([-0-9, ]+)\]>)");
  const std::regex tile_re(R"(%\w+ = aie\.tile\((\d+), (\d+)\) \{controller_id = #aie\.packet_info<pkt_type = \d+, pkt_id = (\d+)>\})");
  const std::regex alloc_re(R"(aie\.shim_dma_allocation @\w+\((MM2S|S2MM), (\d+), (\d+)\))");
  const std::regex seq_re(R"(aiex\.runtime_sequence\((.*)\) \{)");
  const std::regex arg_re(R"(%arg(\d+): memref<(\d+)x(?:i|bf|f)(\d+)>)");
  const std::regex get_re(R"(%(\w+) = memref\.get_global @(\w+))");
  const std::regex block_re(R"(aiex\.npu\.blockwrite\(%(\w+)\) \{address = (\d+) : ui32\})");
  const std::regex patch_re(R"(aiex\.npu\.address_patch \{addr = (\d+) : ui32, arg_idx = (\d+) : i32, arg_plus = (\d+) : i32\})");
  const std::regex write_re(R"(aiex\.npu\.write32 \{address = (\d+) : ui32, value = (\d+) : ui32\})");
  const std::regex mask_re(R"(aiex\.npu\.maskwrite32 \{address = (\d+) : ui32, mask = (\d+) : ui32, value = (\d+) : ui32\})");
  std::map<std::string, std::vector<uint32_t>> globals;
  std::map<std::pair<int, int>, int> controller;
  std::set<std::tuple<bool, int, int>> allocations;  // s2mm, channel, column
  std::map<int, uint32_t> args;                      // arg index -> bytes
  std::map<std::string, std::string> values;         // %x -> global
  std::map<std::tuple<int, int, int>, BufferDescriptor> bds;
  std::map<std::tuple<int, int, int>, bool> patched;
  uint64_t last_bd_address = 0;
  int pushes = 0;
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::smatch m;
  // Declarations first: mlir-aie prints the shim DMA allocations after the runtime sequence.
  for (const std::string& line : lines) {
    if (std::regex_search(line, m, global_re)) {
      std::vector<uint32_t> w;
      std::stringstream ss(m[2].str());
      std::string x;
      while (std::getline(ss, x, ',')) w.push_back(static_cast<uint32_t>(std::stoll(x)));
      REQUIRE(w.size() == 8u);
      globals[m[1]] = w;
    }
    if (std::regex_search(line, m, tile_re)) controller[{std::stoi(m[1]), std::stoi(m[2])}] = std::stoi(m[3]);
    if (std::regex_search(line, m, alloc_re)) allocations.insert({m[1] == "S2MM", std::stoi(m[2]), std::stoi(m[3])});
    if (std::regex_search(line, m, seq_re)) {
      const std::string sig = m[1];
      for (std::sregex_iterator it(sig.begin(), sig.end(), arg_re), end; it != end; ++it)
        args[std::stoi((*it)[1])] = memref_bytes((*it)[2], (*it)[3]);
    }
  }
  for (const std::string& line : lines) {
    if (std::regex_search(line, m, get_re)) values[m[1]] = m[2];
    if (std::regex_search(line, m, block_re)) {
      const uint64_t a = std::stoull(m[2]);
      const RegisterAddress ra = split_address(a);
      const TileKind k = npu1_tile_kind(ra.col, ra.row);
      const RegHit h = classify(k, ra.offset);
      INFO(dir << ": blockwrite to " << register_name(k, ra.offset));
      REQUIRE(k == TileKind::Shim);
      REQUIRE(h.kind == RegKind::Bd);
      REQUIRE(h.word == 0);
      const std::vector<uint32_t>& w = globals.at(values.at(m[1]));
      bds[{ra.col, ra.row, h.index}] = decode_bd(k, w.data());
      last_bd_address = a;
    }
    if (std::regex_search(line, m, patch_re)) {
      const uint64_t a = std::stoull(m[1]);
      const RegisterAddress ra = split_address(a);
      const RegHit h = classify(TileKind::Shim, ra.offset);
      INFO(dir << ": address_patch of " << register_name(TileKind::Shim, ra.offset));
      REQUIRE(h.kind == RegKind::Bd);
      CHECK(h.word == 1);  // Base_Address_Low of the BD just written
      CHECK(a == last_bd_address + 4);
      const BufferDescriptor& b = bds.at({ra.col, ra.row, h.index});
      CHECK(b.valid);
      CHECK(b.length_bytes() == args.at(std::stoi(m[2])) - std::stoul(m[3]));
      for (const auto& d : b.dims) {
        CHECK(d.wrap == 0u);
        CHECK(d.step == 1u);
      }
      patched[{ra.col, ra.row, h.index}] = true;
    }
    if (std::regex_search(line, m, write_re)) {
      const RegisterAddress ra = split_address(std::stoull(m[1]));
      const TileKind k = npu1_tile_kind(ra.col, ra.row);
      const RegHit h = classify(k, ra.offset);
      INFO(dir << ": write32 to " << register_name(k, ra.offset));
      REQUIRE(k == TileKind::Shim);
      REQUIRE(h.kind == RegKind::ChannelQueue);
      const QueueEntry q = decode_queue(k, static_cast<uint32_t>(std::stoul(m[2])));
      CHECK(patched[{ra.col, ra.row, q.start_bd}]);  // starts a BD this sequence wrote and patched
      CHECK(q.repeat_count == 0);
      CHECK(q.enable_token_issue == h.s2mm);          // mlir-aie asks for a token from shim S2MM only
      CHECK(allocations.count({h.s2mm, h.index, ra.col}) == 1);
      ++pushes;
    }
    if (std::regex_search(line, m, mask_re)) {
      const RegisterAddress ra = split_address(std::stoull(m[1]));
      const TileKind k = npu1_tile_kind(ra.col, ra.row);
      const RegHit h = classify(k, ra.offset);
      INFO(dir << ": maskwrite32 to " << register_name(k, ra.offset));
      REQUIRE(h.kind == RegKind::ChannelCtrl);
      REQUIRE(h.s2mm);
      const uint32_t mask = static_cast<uint32_t>(std::stoul(m[2])), value = static_cast<uint32_t>(std::stoul(m[3]));
      CHECK((mask & ~0xFF00u) == 0u);  // within Controller_ID
      CHECK(decode_channel_control(k, true, value).controller_id == controller.at({ra.col, ra.row}));
    }
  }
  CHECK(pushes >= 2);
  CHECK(pushes == static_cast<int>(allocations.size()));
}

}  // namespace

TEST_CASE("array regs: the runtime sequences' shim BDs, queue pushes and channel controls decode to the design's buffers and channels", "[sim][array]") {
  for (const char* d : {"int32-2025-11-03", "int8-lut-2025-11-03", "gelu-512-2025-11-03", "layernorm-256-2025-11-03", "matmul-32x32-2025-11-03",
                        "iron-attention-4core-2025-11-03", "gelu-bf16-2025-11-22", "layernorm-bf16-2025-11-22", "matmul-bf16-2025-11-22",
                        "matmul-bf16-vectorized-2025-11-22", "softmax-bf16-2025-11-22", "softmax-bf16-2core-2025-11-22",
                        "encoder-layer-3core-2025-11-22"})
    check_runtime_sequence(testing::shared_dir() + "/aie2/" + d);
}

TEST_CASE("array regs: register_writes rebuild the memories, locks and Core_Control sim/load/pdi.cpp keeps", "[sim][array]") {
  for (const char* d : {"int32-2025-11-03", "iron-attention-4core-2025-11-03", "softmax-bf16-2core-2025-11-22"}) {
    const DeviceImage img = read_device_image(testing::shared_dir() + "/aie2/" + d + "/main.pdi");
    const Registers r = apply(img);
    REQUIRE(!img.tiles.empty());
    for (const auto& [key, t] : img.tiles) {
      INFO(d << ": tile (" << t.col << "," << t.row << ")");
      const TileLayout& l = layout(npu1_tile_kind(t.col, t.row));
      size_t program = 0, data = 0;
      for (uint32_t off = 0; off < l.program_memory_bytes; off += 4) {
        const uint64_t a = reg(t.col, t.row, l.program_memory_offset + off);
        if (!r.has(a)) continue;
        ++program;
        for (int k = 0; k < 4; ++k) CHECK(t.program[off + k] == static_cast<uint8_t>(r.at(a) >> (8 * k)));
      }
      for (uint32_t off = 0; off < l.data_memory_bytes; off += 4) {
        const uint64_t a = reg(t.col, t.row, l.data_memory_offset + off);
        if (!r.has(a)) continue;
        ++data;
        for (int k = 0; k < 4; ++k) CHECK(t.data[off + k] == static_cast<uint8_t>(r.at(a) >> (8 * k)));
      }
      size_t program_written = 0, data_written = 0;
      for (uint8_t b : t.program_written) program_written += b;
      for (uint8_t b : t.data_written) data_written += b;
      CHECK(program * 4 == program_written);
      CHECK(data * 4 == data_written);
      CHECK(program > 0);
      for (const auto& [id, v] : t.locks) CHECK(lock_register_value(r.at(reg(t.col, t.row, l.lock_offset(id)))) == v);
      CHECK(r.at(reg(t.col, t.row, l.core_control)) == t.core_control);
      CHECK(core_enabled(t.core_control));
      CHECK(!core_reset(t.core_control));
    }
  }
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
