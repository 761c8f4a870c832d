// The npu1 tile register facts (offsets, field positions, port orders) and their decoders; every number is aie-rt's or mlir-aie's, cited in regs.hpp and here.
#include "sim/array/regs.hpp"

#include <cstdio>

#include "ref/errors.hpp"
#include "sim/array/register_groups.hpp"
#include "sim/hex.hpp"

namespace attncheck::aie2::array {
namespace {

// One register field: `mask` in place, `lsb` its lowest bit (params.h _MASK / _LSB).
struct Field {
  int word = -1;  // -1: the BD kind has no such field
  int lsb = 0;
  uint32_t mask = 0;
  uint32_t get(const uint32_t* w) const { return word < 0 ? 0 : (w[word] & mask) >> lsb; }
  void put(std::vector<uint32_t>& w, uint32_t v) const {
    if (word >= 0) w[static_cast<size_t>(word)] |= (v << lsb) & mask;
  }
};

int sign_extend(uint32_t v, int bits) {
  const uint32_t m = 1u << (bits - 1);
  return static_cast<int>((v ^ m)) - static_cast<int>(m);
}

// The BD fields of one tile kind. Word numbers and masks: params.h
// MEMORY_MODULE_DMA_BD0_0..5 (compute), MEM_TILE_MODULE_DMA_BD0_0..7, NOC_MODULE_DMA_BD0_0..7 (shim).
struct BdFields {
  Field length, base, base_high;
  Field packet_enable, packet_type, packet_id, out_of_order;
  Field wrap[4], step[4];
  Field iter_current, iter_wrap, iter_step;
  Field tlast, next_bd, use_next, valid;
  Field rel_value, rel_id, acq_enable, acq_value, acq_id;
  Field compression;
  Field pad_before[3], pad_after[3];
  Field burst, secure, smid, axcache, axqos;
  int dims = 0;  // d0..d(dims-1); the last has a step only
};

const BdFields& compute_bd() {
  static const BdFields f = [] {
    BdFields b;
    b.dims = 3;
    b.base = {0, 14, 0x0FFFC000};            // DMA_BD0_0 Base_Address 27:14 (words)
    b.length = {0, 0, 0x00003FFF};           // Buffer_Length 13:0 (words)
    b.compression = {1, 31, 0x80000000};     // DMA_BD0_1 Enable_Compression
    b.packet_enable = {1, 30, 0x40000000};   // Enable_Packet
    b.out_of_order = {1, 24, 0x3F000000};    // Out_Of_Order_BD_ID
    b.packet_id = {1, 19, 0x00F80000};       // Packet_ID
    b.packet_type = {1, 16, 0x00070000};     // Packet_Type
    b.step[1] = {2, 13, 0x03FFE000};         // DMA_BD0_2 D1_Stepsize
    b.step[0] = {2, 0, 0x00001FFF};          // D0_Stepsize
    b.wrap[1] = {3, 21, 0x1FE00000};         // DMA_BD0_3 D1_Wrap
    b.wrap[0] = {3, 13, 0x001FE000};         // D0_Wrap
    b.step[2] = {3, 0, 0x00001FFF};          // D2_Stepsize
    b.iter_current = {4, 19, 0x01F80000};    // DMA_BD0_4 Iteration_Current
    b.iter_wrap = {4, 13, 0x0007E000};       // Iteration_Wrap
    b.iter_step = {4, 0, 0x00001FFF};        // Iteration_Stepsize
    b.tlast = {5, 31, 0x80000000};           // DMA_BD0_5 TLAST_Suppress
    b.next_bd = {5, 27, 0x78000000};         // Next_BD
    b.use_next = {5, 26, 0x04000000};        // Use_Next_BD
    b.valid = {5, 25, 0x02000000};           // Valid_BD
    b.rel_value = {5, 18, 0x01FC0000};       // Lock_Rel_Value
    b.rel_id = {5, 13, 0x0001E000};          // Lock_Rel_ID
    b.acq_enable = {5, 12, 0x00001000};      // Lock_Acq_Enable
    b.acq_value = {5, 5, 0x00000FE0};        // Lock_Acq_Value
    b.acq_id = {5, 0, 0x0000000F};           // Lock_Acq_ID
    return b;
  }();
  return f;
}

const BdFields& mem_bd() {
  static const BdFields f = [] {
    BdFields b;
    b.dims = 4;
    b.packet_enable = {0, 31, 0x80000000};   // DMA_BD0_0 Enable_Packet
    b.packet_type = {0, 28, 0x70000000};     // Packet_Type
    b.packet_id = {0, 23, 0x0F800000};       // Packet_ID
    b.out_of_order = {0, 17, 0x007E0000};    // Out_Of_Order_BD_ID
    b.length = {0, 0, 0x0001FFFF};           // Buffer_Length (words)
    b.pad_before[0] = {1, 26, 0xFC000000};   // DMA_BD0_1 D0_Zero_Before
    b.next_bd = {1, 20, 0x03F00000};         // Next_BD
    b.use_next = {1, 19, 0x00080000};        // Use_Next_BD
    b.base = {1, 0, 0x0007FFFF};             // Base_Address (words)
    b.tlast = {2, 31, 0x80000000};           // DMA_BD0_2 TLAST_Suppress
    b.wrap[0] = {2, 17, 0x07FE0000};         // D0_Wrap
    b.step[0] = {2, 0, 0x0001FFFF};          // D0_Stepsize
    b.pad_before[1] = {3, 27, 0xF8000000};   // DMA_BD0_3 D1_Zero_Before
    b.wrap[1] = {3, 17, 0x07FE0000};         // D1_Wrap
    b.step[1] = {3, 0, 0x0001FFFF};          // D1_Stepsize
    b.compression = {4, 31, 0x80000000};     // DMA_BD0_4 Enable_Compression
    b.pad_before[2] = {4, 27, 0x78000000};   // D2_Zero_Before
    b.wrap[2] = {4, 17, 0x07FE0000};         // D2_Wrap
    b.step[2] = {4, 0, 0x0001FFFF};          // D2_Stepsize
    b.pad_after[2] = {5, 28, 0xF0000000};    // DMA_BD0_5 D2_Zero_After
    b.pad_after[1] = {5, 23, 0x0F800000};    // D1_Zero_After
    b.pad_after[0] = {5, 17, 0x007E0000};    // D0_Zero_After
    b.step[3] = {5, 0, 0x0001FFFF};          // D3_Stepsize
    b.iter_current = {6, 23, 0x1F800000};    // DMA_BD0_6 Iteration_Current
    b.iter_wrap = {6, 17, 0x007E0000};       // Iteration_Wrap
    b.iter_step = {6, 0, 0x0001FFFF};        // Iteration_Stepsize
    b.valid = {7, 31, 0x80000000};           // DMA_BD0_7 Valid_BD
    b.rel_value = {7, 24, 0x7F000000};       // Lock_Rel_Value
    b.rel_id = {7, 16, 0x00FF0000};          // Lock_Rel_ID
    b.acq_enable = {7, 15, 0x00008000};      // Lock_Acq_Enable
    b.acq_value = {7, 8, 0x00007F00};        // Lock_Acq_Value
    b.acq_id = {7, 0, 0x000000FF};           // Lock_Acq_ID
    return b;
  }();
  return f;
}

const BdFields& shim_bd() {
  static const BdFields f = [] {
    BdFields b;
    b.dims = 3;
    b.length = {0, 0, 0xFFFFFFFF};           // DMA_BD0_0 Buffer_Length (words)
    b.base = {1, 0, 0xFFFFFFFC};             // DMA_BD0_1 Base_Address_Low 31:2, a byte address (AddrAlignShift 0)
    b.packet_enable = {2, 30, 0x40000000};   // DMA_BD0_2 Enable_Packet
    b.out_of_order = {2, 24, 0x3F000000};    // Out_Of_Order_BD_ID
    b.packet_id = {2, 19, 0x00F80000};       // Packet_ID
    b.packet_type = {2, 16, 0x00070000};     // Packet_Type
    b.base_high = {2, 0, 0x0000FFFF};        // Base_Address_High
    b.secure = {3, 30, 0x40000000};          // DMA_BD0_3 Secure_Access
    b.wrap[0] = {3, 20, 0x3FF00000};         // D0_Wrap
    b.step[0] = {3, 0, 0x000FFFFF};          // D0_Stepsize
    b.burst = {4, 30, 0xC0000000};           // DMA_BD0_4 Burst_Length
    b.wrap[1] = {4, 20, 0x3FF00000};         // D1_Wrap
    b.step[1] = {4, 0, 0x000FFFFF};          // D1_Stepsize
    b.smid = {5, 28, 0xF0000000};            // DMA_BD0_5 SMID
    b.axcache = {5, 24, 0x0F000000};         // AxCache
    b.axqos = {5, 20, 0x00F00000};           // AxQoS
    b.step[2] = {5, 0, 0x000FFFFF};          // D2_Stepsize
    b.iter_current = {6, 26, 0xFC000000};    // DMA_BD0_6 Iteration_Current
    b.iter_wrap = {6, 20, 0x03F00000};       // Iteration_Wrap
    b.iter_step = {6, 0, 0x000FFFFF};        // Iteration_Stepsize
    b.tlast = {7, 31, 0x80000000};           // DMA_BD0_7 TLAST_Suppress
    b.next_bd = {7, 27, 0x78000000};         // Next_BD
    b.use_next = {7, 26, 0x04000000};        // Use_Next_BD
    b.valid = {7, 25, 0x02000000};           // Valid_BD
    b.rel_value = {7, 18, 0x01FC0000};       // Lock_Rel_Value
    b.rel_id = {7, 13, 0x0001E000};          // Lock_Rel_ID
    b.acq_enable = {7, 12, 0x00001000};      // Lock_Acq_Enable
    b.acq_value = {7, 5, 0x00000FE0};        // Lock_Acq_Value
    b.acq_id = {7, 0, 0x0000000F};           // Lock_Acq_ID
    return b;
  }();
  return f;
}

const BdFields& bd_fields(TileKind k) {
  switch (k) {
    case TileKind::Compute: return compute_bd();
    case TileKind::Mem: return mem_bd();
    case TileKind::Shim: break;
  }
  return shim_bd();
}

TileLayout make_compute() {
  TileLayout t;
  t.kind = TileKind::Compute;
  t.data_memory_offset = 0x0, t.data_memory_bytes = 0x10000;         // MEMORY_MODULE_DATAMEMORY; AieMlTileMemMod .Size
  t.program_memory_offset = 0x20000, t.program_memory_bytes = 0x4000;  // CORE_MODULE_PROGRAM_MEMORY; AieMlCoreMod .ProgMemSize 16 KiB
  t.locks = 16, t.lock_base = 0x1F000, t.lock_stride = 0x10;          // MEMORY_MODULE_LOCK0_VALUE..LOCK15_VALUE
  t.lock_request_base = 0x40000;                                      // MEMORY_MODULE_LOCK_REQUEST
  t.bds = 16, t.bd_base = 0x1D000, t.bd_stride = 0x20, t.bd_words = 6;  // MEMORY_MODULE_DMA_BD0_0; AieMlTileDmaMod .NumBds 16, .IdxOffset 0x20; BD0_0..BD0_5
  t.s2mm_channels = 2, t.mm2s_channels = 2;                          // AieMlTileDmaMod .NumChannels 2
  t.s2mm_base = 0x1DE00, t.mm2s_base = 0x1DE10, t.channel_stride = 0x8;  // DMA_S2MM_0_CTRL, DMA_MM2S_0_CTRL; .ChIdxOffset 8
  t.start_queue_depth = 4;                                     // AieMl*DmaChProp .StartQSizeMax
  t.s2mm_status_base = 0x1DF00, t.mm2s_status_base = 0x1DF10;  // MEMORY_MODULE_DMA_S2MM_STATUS_0, DMA_MM2S_STATUS_0 (.ChStatusOffset 0x10)
  t.core_control = 0x32000, t.core_status = 0x32004;                  // CORE_MODULE_CORE_CONTROL, CORE_STATUS
  t.master_base = 0x3F000, t.slave_base = 0x3F100, t.slot_base = 0x3F200, t.slots_per_slave = 4;  // *_AIE_CORE0 and *_AIE_CORE0_SLOT0
  // AieMlTileStrmMstr / AieMlTileStrmSlv (reginit.c), in params.h register order.
  t.masters = {{PortType::Core, 1}, {PortType::Dma, 2}, {PortType::Ctrl, 1}, {PortType::Fifo, 1},
               {PortType::South, 4}, {PortType::West, 4}, {PortType::North, 6}, {PortType::East, 4}};
  t.slaves = {{PortType::Core, 1}, {PortType::Dma, 2}, {PortType::Ctrl, 1}, {PortType::Fifo, 1}, {PortType::South, 6},
              {PortType::West, 4}, {PortType::North, 4}, {PortType::East, 4}, {PortType::Trace, 2}};  // Trace 0 AIE_TRACE, 1 MEM_TRACE
  t.mux_config = 0, t.demux_config = 0;
  return t;
}

TileLayout make_mem() {
  TileLayout t;
  t.kind = TileKind::Mem;
  t.data_memory_offset = 0x0, t.data_memory_bytes = 0x80000;  // MEM_TILE_MODULE_DATAMEMORY; AieMlMemTileMemMod .Size 512 KiB
  t.program_memory_offset = 0, t.program_memory_bytes = 0;
  t.locks = 64, t.lock_base = 0xC0000, t.lock_stride = 0x10;   // MEM_TILE_MODULE_LOCK0_VALUE..LOCK63_VALUE; AieMlMemTileLockMod .NumLocks 64
  t.lock_request_base = 0xD0000;                               // MEM_TILE_MODULE_LOCK_REQUEST
  t.bds = 48, t.bd_base = 0xA0000, t.bd_stride = 0x20, t.bd_words = 8;  // MEM_TILE_MODULE_DMA_BD0_0; AieMlMemTileDmaMod .NumBds 48
  t.s2mm_channels = 6, t.mm2s_channels = 6;                    // AieMlMemTileDmaMod .NumChannels 6
  t.s2mm_base = 0xA0600, t.mm2s_base = 0xA0630, t.channel_stride = 0x8;  // DMA_S2MM_0_CTRL, DMA_MM2S_0_CTRL
  t.start_queue_depth = 4;                                     // AieMl*DmaChProp .StartQSizeMax
  t.s2mm_status_base = 0xA0660, t.mm2s_status_base = 0xA0680;  // MEM_TILE_MODULE_DMA_S2MM_STATUS_0, DMA_MM2S_STATUS_0 (.ChStatusOffset 0x20)
  t.core_control = 0, t.core_status = 0;
  t.master_base = 0xB0000, t.slave_base = 0xB0100, t.slot_base = 0xB0200, t.slots_per_slave = 4;  // *_DMA0, *_DMA_0, *_DMA_0_SLOT0
  t.masters = {{PortType::Dma, 6}, {PortType::Ctrl, 1}, {PortType::South, 4}, {PortType::North, 6}};
  t.slaves = {{PortType::Dma, 6}, {PortType::Ctrl, 1}, {PortType::South, 6}, {PortType::North, 4}, {PortType::Trace, 1}};
  t.mux_config = 0, t.demux_config = 0;
  return t;
}

TileLayout make_shim() {
  TileLayout t;
  t.kind = TileKind::Shim;
  t.data_memory_offset = 0, t.data_memory_bytes = 0;
  t.program_memory_offset = 0, t.program_memory_bytes = 0;
  t.locks = 16, t.lock_base = 0x14000, t.lock_stride = 0x10;   // NOC_MODULE_LOCK0_VALUE; AieMlShimNocLockMod .NumLocks 16
  t.lock_request_base = 0x40000;                               // NOC_MODULE_LOCK_REQUEST
  t.bds = 16, t.bd_base = 0x1D000, t.bd_stride = 0x20, t.bd_words = 8;  // NOC_MODULE_DMA_BD0_0; AieMlShimDmaMod .NumBds 16
  t.s2mm_channels = 2, t.mm2s_channels = 2;
  t.s2mm_base = 0x1D200, t.mm2s_base = 0x1D210, t.channel_stride = 0x8;  // NOC_MODULE_DMA_S2MM_0_CTRL, DMA_MM2S_0_CTRL (queue: *_TASK_QUEUE)
  t.start_queue_depth = 4;                                     // AieMl*DmaChProp .StartQSizeMax
  t.s2mm_status_base = 0x1D220, t.mm2s_status_base = 0x1D228;  // NOC_MODULE_DMA_S2MM_STATUS_0, DMA_MM2S_STATUS_0 (.ChStatusOffset 0x8)
  t.core_control = 0, t.core_status = 0;
  t.master_base = 0x3F000, t.slave_base = 0x3F100, t.slot_base = 0x3F200, t.slots_per_slave = 4;  // PL_MODULE_*_TILE_CTRL(_SLOT0)
  t.masters = {{PortType::Ctrl, 1}, {PortType::Fifo, 1}, {PortType::South, 6}, {PortType::West, 4},
               {PortType::North, 6}, {PortType::East, 4}};
  t.slaves = {{PortType::Ctrl, 1}, {PortType::Fifo, 1}, {PortType::South, 8}, {PortType::West, 4},
              {PortType::North, 4}, {PortType::East, 4}, {PortType::Trace, 1}};
  t.mux_config = 0x1F000, t.demux_config = 0x1F004;            // NOC_MODULE_MUX_CONFIG, DEMUX_CONFIG
  return t;
}

std::optional<StreamPort> port_at(const std::vector<PortRun>& runs, int index) {
  if (index < 0) return std::nullopt;
  for (const PortRun& r : runs) {
    if (index < r.count) return StreamPort{r.type, index};
    index -= r.count;
  }
  return std::nullopt;
}

int index_of(const std::vector<PortRun>& runs, StreamPort p) {
  int base = 0;
  for (const PortRun& r : runs) {
    if (r.type == p.type) return p.channel >= 0 && p.channel < r.count ? base + p.channel : -1;
    base += r.count;
  }
  return -1;
}

int count_of(const std::vector<PortRun>& runs, PortType type) {
  for (const PortRun& r : runs)
    if (r.type == type) return r.count;
  return 0;
}

std::string upper_port(PortType t) {
  switch (t) {
    case PortType::Core: return "Core";
    case PortType::Dma: return "DMA";
    case PortType::Ctrl: return "Tile_Ctrl";
    case PortType::Fifo: return "FIFO";
    case PortType::South: return "South";
    case PortType::West: return "West";
    case PortType::North: return "North";
    case PortType::East: return "East";
    case PortType::Trace: return "Trace";
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TileKind npu1_tile_kind(int col, int row) {
  if (col < 0 || col >= kNpu1Columns || row < 0 || row >= kNpu1Rows)
    throw InputError("tile (" + std::to_string(col) + "," + std::to_string(row) + ") is outside the npu1 array (columns 0..4, rows 0..5)");
  if (row == 0) return TileKind::Shim;
  if (row == 1) return TileKind::Mem;
  return TileKind::Compute;
}

RegisterAddress split_address(uint64_t absolute) {
  if (absolute >> 32) throw InputError("register address " + hex(absolute) + " is above the 4 GiB an npu1 array occupies");
  RegisterAddress a;
  a.col = static_cast<int>(absolute >> kColShift);
  a.row = static_cast<int>((absolute >> kRowShift) & 0x1F);
  a.offset = static_cast<uint32_t>(absolute & ((1u << kRowShift) - 1));
  npu1_tile_kind(a.col, a.row);  // refuses a tile outside the array
  return a;
}

uint64_t tile_address(int col, int row, uint32_t offset) {
  return (uint64_t(col) << kColShift) | (uint64_t(row) << kRowShift) | offset;
}

const char* port_type_name(PortType t) {
  switch (t) {
    case PortType::Core: return "Core";
    case PortType::Dma: return "DMA";
    case PortType::Ctrl: return "Ctrl";
    case PortType::Fifo: return "FIFO";
    case PortType::South: return "South";
    case PortType::West: return "West";
    case PortType::North: return "North";
    case PortType::East: return "East";
    case PortType::Trace: return "Trace";
  }
  return "?";
}

int TileLayout::master_count() const {
  int n = 0;
  for (const PortRun& r : masters) n += r.count;
  return n;
}
int TileLayout::slave_count() const {
  int n = 0;
  for (const PortRun& r : slaves) n += r.count;
  return n;
}

const TileLayout& layout(TileKind k) {
  static const TileLayout compute = make_compute(), mem = make_mem(), shim = make_shim();
  switch (k) {
    case TileKind::Compute: return compute;
    case TileKind::Mem: return mem;
    case TileKind::Shim: break;
  }
  return shim;
}

// ---------------------------------------------------------------------------------------------

const char* reg_kind_name(RegKind k) {
  switch (k) {
    case RegKind::DataMemory: return "data memory";
    case RegKind::ProgramMemory: return "program memory";
    case RegKind::Bd: return "BD";
    case RegKind::ChannelCtrl: return "channel control";
    case RegKind::ChannelQueue: return "channel start queue";
    case RegKind::ChannelStatus: return "channel status (read-only)";
    case RegKind::Lock: return "lock value";
    case RegKind::LockRequest: return "lock request";
    case RegKind::CoreControl: return "core control";
    case RegKind::CoreStatus: return "core status";
    case RegKind::StreamMaster: return "stream switch master";
    case RegKind::StreamSlave: return "stream switch slave";
    case RegKind::StreamSlot: return "stream switch slot";
    case RegKind::ShimMux: return "shim mux";
    case RegKind::ShimDemux: return "shim demux";
    case RegKind::KnownUnmodelled: return "known, not modelled";
    case RegKind::Unknown: return "unknown";
  }
  return "?";
}

RegHit classify(TileKind kind, uint32_t off) {
  const TileLayout& t = layout(kind);
  RegHit h;
  auto in = [](uint32_t o, uint32_t base, uint64_t bytes) { return o >= base && uint64_t{o} < uint64_t{base} + bytes; };
  if (t.data_memory_bytes && in(off, t.data_memory_offset, t.data_memory_bytes)) {
    h.kind = RegKind::DataMemory, h.index = static_cast<int>(off - t.data_memory_offset);
    return h;
  }
  if (t.program_memory_bytes && in(off, t.program_memory_offset, t.program_memory_bytes)) {
    h.kind = RegKind::ProgramMemory, h.index = static_cast<int>(off - t.program_memory_offset);
    return h;
  }
  if (off % 4 == 0) {
    if (in(off, t.bd_base, uint64_t{t.bd_stride} * t.bds)) {
      const uint32_t r = off - t.bd_base;
      if (static_cast<int>((r % t.bd_stride) / 4) < t.bd_words) {
        h.kind = RegKind::Bd, h.index = static_cast<int>(r / t.bd_stride), h.word = static_cast<int>((r % t.bd_stride) / 4);
        return h;
      }
    }
    for (int dir = 0; dir < 2; ++dir) {
      const bool s2mm = dir == 0;
      const int n = s2mm ? t.s2mm_channels : t.mm2s_channels;
      for (int c = 0; c < n; ++c) {
        if (off == t.channel_ctrl(s2mm, c) || off == t.channel_queue(s2mm, c)) {
          h.kind = off == t.channel_ctrl(s2mm, c) ? RegKind::ChannelCtrl : RegKind::ChannelQueue;
          h.index = c, h.s2mm = s2mm;
          return h;
        }
        if (off == t.channel_status(s2mm, c)) {
          h.kind = RegKind::ChannelStatus, h.index = c, h.s2mm = s2mm;
          return h;
        }
      }
    }
    if (in(off, t.lock_base, uint64_t{t.lock_stride} * t.locks) && (off - t.lock_base) % t.lock_stride == 0) {
      h.kind = RegKind::Lock, h.index = static_cast<int>((off - t.lock_base) / t.lock_stride);
      return h;
    }
    if (decode_lock_request(kind, off)) {
      h.kind = RegKind::LockRequest, h.index = decode_lock_request(kind, off)->lock;
      return h;
    }
    if (t.core_control && off == t.core_control) return {RegKind::CoreControl, 0, 0, false};
    if (t.core_status && off == t.core_status) return {RegKind::CoreStatus, 0, 0, false};
    if (in(off, t.master_base, 4ull * t.master_count())) return {RegKind::StreamMaster, static_cast<int>((off - t.master_base) / 4), 0, false};
    if (in(off, t.slave_base, 4ull * t.slave_count())) return {RegKind::StreamSlave, static_cast<int>((off - t.slave_base) / 4), 0, false};
    if (in(off, t.slot_base, 0x10ull * t.slave_count()))
      return {RegKind::StreamSlot, static_cast<int>((off - t.slot_base) / 0x10), static_cast<int>((off - t.slot_base) % 0x10 / 4), false};
    if (t.mux_config && off == t.mux_config) return {RegKind::ShimMux, 0, 0, false};
    if (t.demux_config && off == t.demux_config) return {RegKind::ShimDemux, 0, 0, false};
  }
  for (const RegisterGroup& g : register_groups()) {
    if (g.kind != kind) continue;
    const uint32_t last = g.first + g.stride * static_cast<uint32_t>(g.count - 1);
    if (off < g.first || off > last) continue;
    if (g.count == 1 ? off == g.first : (off - g.first) % g.stride == 0) return {RegKind::KnownUnmodelled, 0, 0, false};
  }
  return h;
}

std::string register_name(TileKind kind, uint32_t off) {
  const RegHit h = classify(kind, off);
  const std::string dir = h.s2mm ? "S2MM" : "MM2S";
  switch (h.kind) {
    case RegKind::DataMemory: return "Data_Memory+" + hex(static_cast<uint32_t>(h.index));
    case RegKind::ProgramMemory: return "Program_Memory+" + hex(static_cast<uint32_t>(h.index));
    case RegKind::Bd: return "DMA_BD" + std::to_string(h.index) + "_" + std::to_string(h.word);
    case RegKind::ChannelCtrl: return "DMA_" + dir + "_" + std::to_string(h.index) + "_Ctrl";
    case RegKind::ChannelQueue:
      return "DMA_" + dir + "_" + std::to_string(h.index) + (kind == TileKind::Shim ? "_Task_Queue" : "_Start_Queue");
    case RegKind::ChannelStatus: return "DMA_" + dir + "_Status_" + std::to_string(h.index);
    case RegKind::Lock: return "Lock" + std::to_string(h.index) + "_value";
    case RegKind::LockRequest: {
      const LockRequest r = *decode_lock_request(kind, off);
      return std::string("Lock_Request(") + (r.acquire ? "acquire" : "release") + " lock " + std::to_string(r.lock) + ", " +
             std::to_string(r.value) + ")";
    }
    case RegKind::CoreControl: return "Core_Control";
    case RegKind::CoreStatus: return "Core_Status";
    case RegKind::StreamMaster: {
      const StreamPort p = *master_port(kind, h.index);
      return "Stream_Switch_Master_Config_" + upper_port(p.type) + std::to_string(p.channel);
    }
    case RegKind::StreamSlave: {
      const StreamPort p = *slave_port(kind, h.index);
      return "Stream_Switch_Slave_Config_" + upper_port(p.type) + std::to_string(p.channel);
    }
    case RegKind::StreamSlot: {
      const StreamPort p = *slave_port(kind, h.index);
      return "Stream_Switch_Slave_" + upper_port(p.type) + std::to_string(p.channel) + "_Slot" + std::to_string(h.word);
    }
    case RegKind::ShimMux: return "Mux_Config";
    case RegKind::ShimDemux: return "Demux_Config";
    case RegKind::KnownUnmodelled:
      for (const RegisterGroup& g : register_groups()) {
        if (g.kind != kind) continue;
        if (g.count == 1 && off == g.first) return g.name;
        if (g.count > 1 && off >= g.first && off <= g.first + g.stride * static_cast<uint32_t>(g.count - 1) && (off - g.first) % g.stride == 0)
          return std::string(g.name) + "[" + std::to_string((off - g.first) / g.stride) + "]";
      }
      break;
    case RegKind::Unknown: break;
  }
  return "unknown+" + hex(off);
}

// ---------------------------------------------------------------------------------------------

BufferDescriptor decode_bd(TileKind kind, const uint32_t* w) {
  const BdFields& f = bd_fields(kind);
  BufferDescriptor b;
  b.length = f.length.get(w);
  if (kind == TileKind::Shim)
    b.address = uint64_t{f.base_high.get(w)} << 32 | (w[f.base.word] & f.base.mask);
  else
    b.address = uint64_t{f.base.get(w)} * 4;
  b.packet_enable = f.packet_enable.get(w);
  b.packet_type = static_cast<int>(f.packet_type.get(w));
  b.packet_id = static_cast<int>(f.packet_id.get(w));
  b.out_of_order_bd_id = static_cast<int>(f.out_of_order.get(w));
  for (int d = 0; d < f.dims; ++d) {
    BufferDescriptor::Dim dim;
    dim.wrap = d + 1 < f.dims ? f.wrap[d].get(w) : 0;
    dim.step = f.step[d].get(w) + 1;
    b.dims.push_back(dim);
  }
  b.iteration_current = f.iter_current.get(w);
  b.iteration_wrap = f.iter_wrap.get(w) + 1;
  b.iteration_step = f.iter_step.get(w) + 1;
  b.tlast_suppress = f.tlast.get(w);
  b.next_bd = static_cast<int>(f.next_bd.get(w));
  b.use_next_bd = f.use_next.get(w);
  b.valid = f.valid.get(w);
  b.lock_rel_value = sign_extend(f.rel_value.get(w), 7);
  b.lock_rel_id = static_cast<int>(f.rel_id.get(w));
  b.lock_acq_enable = f.acq_enable.get(w);
  b.lock_acq_value = sign_extend(f.acq_value.get(w), 7);
  b.lock_acq_id = static_cast<int>(f.acq_id.get(w));
  b.compression = f.compression.get(w);
  for (int d = 0; d < 3; ++d) {
    b.pad_before[d] = static_cast<int>(f.pad_before[d].get(w));
    b.pad_after[d] = static_cast<int>(f.pad_after[d].get(w));
  }
  b.burst_length = static_cast<int>(f.burst.get(w));
  b.secure_access = f.secure.get(w);
  b.smid = static_cast<int>(f.smid.get(w));
  b.axcache = static_cast<int>(f.axcache.get(w));
  b.axqos = static_cast<int>(f.axqos.get(w));
  return b;
}

BufferDescriptor decode_bd(TileKind kind, const std::vector<uint32_t>& w) {
  if (static_cast<int>(w.size()) != layout(kind).bd_words)
    throw InputError("a BD of this tile kind has " + std::to_string(layout(kind).bd_words) + " words, not " + std::to_string(w.size()));
  return decode_bd(kind, w.data());
}

std::vector<uint32_t> encode_bd(TileKind kind, const BufferDescriptor& b) {
  const BdFields& f = bd_fields(kind);
  std::vector<uint32_t> w(static_cast<size_t>(layout(kind).bd_words), 0);
  f.length.put(w, b.length);
  if (kind == TileKind::Shim) {
    w[static_cast<size_t>(f.base.word)] |= static_cast<uint32_t>(b.address) & f.base.mask;
    f.base_high.put(w, static_cast<uint32_t>(b.address >> 32));
  } else {
    f.base.put(w, static_cast<uint32_t>(b.address / 4));
  }
  f.packet_enable.put(w, b.packet_enable);
  f.packet_type.put(w, static_cast<uint32_t>(b.packet_type));
  f.packet_id.put(w, static_cast<uint32_t>(b.packet_id));
  f.out_of_order.put(w, static_cast<uint32_t>(b.out_of_order_bd_id));
  for (int d = 0; d < f.dims && d < static_cast<int>(b.dims.size()); ++d) {
    if (d + 1 < f.dims) f.wrap[d].put(w, b.dims[static_cast<size_t>(d)].wrap);
    f.step[d].put(w, b.dims[static_cast<size_t>(d)].step - 1);
  }
  f.iter_current.put(w, b.iteration_current);
  f.iter_wrap.put(w, b.iteration_wrap - 1);
  f.iter_step.put(w, b.iteration_step - 1);
  f.tlast.put(w, b.tlast_suppress);
  f.next_bd.put(w, static_cast<uint32_t>(b.next_bd));
  f.use_next.put(w, b.use_next_bd);
  f.valid.put(w, b.valid);
  f.rel_value.put(w, static_cast<uint32_t>(b.lock_rel_value) & 0x7F);
  f.rel_id.put(w, static_cast<uint32_t>(b.lock_rel_id));
  f.acq_enable.put(w, b.lock_acq_enable);
  f.acq_value.put(w, static_cast<uint32_t>(b.lock_acq_value) & 0x7F);
  f.acq_id.put(w, static_cast<uint32_t>(b.lock_acq_id));
  f.compression.put(w, b.compression);
  for (int d = 0; d < 3; ++d) {
    f.pad_before[d].put(w, static_cast<uint32_t>(b.pad_before[d]));
    f.pad_after[d].put(w, static_cast<uint32_t>(b.pad_after[d]));
  }
  f.burst.put(w, static_cast<uint32_t>(b.burst_length));
  f.secure.put(w, b.secure_access);
  f.smid.put(w, static_cast<uint32_t>(b.smid));
  f.axcache.put(w, static_cast<uint32_t>(b.axcache));
  f.axqos.put(w, static_cast<uint32_t>(b.axqos));
  return w;
}

// ---------------------------------------------------------------------------------------------

QueueEntry decode_queue(TileKind kind, uint32_t v) {
  // *_START_QUEUE / NOC_MODULE_*_TASK_QUEUE: Enable_Token_Issue 31, Repeat_Count 23:16, Start_BD_ID
  // 3:0 (compute, shim) or 5:0 (memory tile) (params.h).
  QueueEntry q;
  q.start_bd = static_cast<int>(v & (kind == TileKind::Mem ? 0x3Fu : 0xFu));
  q.repeat_count = static_cast<int>((v >> 16) & 0xFF);
  q.enable_token_issue = (v >> 31) & 1;
  return q;
}

ChannelControl decode_channel_control(TileKind kind, bool s2mm, uint32_t v) {
  ChannelControl c;
  c.controller_id = static_cast<int>((v >> 8) & 0xFF);  // Controller_ID 15:8 (all kinds, both directions)
  if (s2mm) c.fot_mode = static_cast<int>((v >> 16) & 0x3);  // S2MM FoT_Mode 17:16
  if (kind == TileKind::Shim) {
    if (s2mm) c.enable_out_of_order = (v >> 3) & 1;  // NOC_MODULE_DMA_S2MM_0_CTRL Enable_Out_of_Order 3
    c.pause_stream = (v >> 2) & 1;                   // Pause_Stream 2
    c.pause_mem = (v >> 1) & 1;                      // Pause_Mem 1
    return c;
  }
  c.reset = (v >> 1) & 1;  // Reset 1
  if (s2mm) {
    c.enable_out_of_order = (v >> 3) & 1;  // Enable_Out_of_Order 3
    c.decompression = (v >> 4) & 1;        // Decompression_Enable 4
  } else {
    c.compression = (v >> 4) & 1;          // Compression_Enable 4
  }
  return c;
}

int lock_register_value(uint32_t v) { return static_cast<int>(v & 0x3F); }

LockOp bd_acquire(int v) { return v < 0 ? LockOp{true, -v} : LockOp{false, v}; }

std::optional<LockRequest> decode_lock_request(TileKind kind, uint32_t off) {
  const TileLayout& t = layout(kind);
  // LockIdOff 0x400 per lock, RelAcqOff 0x200 for acquire, value (7 bits) << 2 (reginit.c AieMl*LockMod; locks.c).
  if (off < t.lock_request_base || off >= t.lock_request_base + 0x400u * static_cast<uint32_t>(t.locks) || off % 4) return std::nullopt;
  const uint32_t r = off - t.lock_request_base;
  LockRequest q;
  q.lock = static_cast<int>(r / 0x400);
  q.acquire = (r & 0x200) != 0;
  q.value = sign_extend((r >> 2) & 0x7F, 7);
  return q;
}

bool core_enabled(uint32_t v) { return v & 1; }
bool core_reset(uint32_t v) { return (v >> 1) & 1; }
bool core_done(uint32_t v) { return (v >> 20) & 1; }

// ---------------------------------------------------------------------------------------------

std::string port_name(StreamPort p) { return std::string(port_type_name(p.type)) + " " + std::to_string(p.channel); }

std::optional<StreamPort> master_port(TileKind k, int index) { return port_at(layout(k).masters, index); }
std::optional<StreamPort> slave_port(TileKind k, int index) { return port_at(layout(k).slaves, index); }
int master_index(TileKind k, StreamPort p) { return index_of(layout(k).masters, p); }
int slave_index(TileKind k, StreamPort p) { return index_of(layout(k).slaves, p); }

MasterConfig decode_master(uint32_t v) {
  MasterConfig m;
  m.enable = (v >> 31) & 1;
  m.packet_enable = (v >> 30) & 1;
  m.drop_header = (v >> 7) & 1;
  m.config = static_cast<int>(v & 0x7F);
  return m;
}

SlaveConfig decode_slave(uint32_t v) { return {((v >> 31) & 1) != 0, ((v >> 30) & 1) != 0}; }

SlotConfig decode_slot(uint32_t v) {
  SlotConfig s;
  s.id = static_cast<int>((v >> 24) & 0x1F);
  s.mask = static_cast<int>((v >> 16) & 0x1F);
  s.enable = (v >> 8) & 1;
  s.msel = static_cast<int>((v >> 4) & 0x3);
  s.arbiter = static_cast<int>(v & 0x7);
  return s;
}

std::optional<std::tuple<int, int, StreamPort>> connected_slave(int col, int row, StreamPort m) {
  const TileKind from = npu1_tile_kind(col, row);
  if (master_index(from, m) < 0) return std::nullopt;
  int c = col, r = row;
  PortType into;
  switch (m.type) {
    case PortType::North: r = row + 1, into = PortType::South; break;
    case PortType::South: r = row - 1, into = PortType::North; break;
    case PortType::East: c = col + 1, into = PortType::West; break;
    case PortType::West: c = col - 1, into = PortType::East; break;
    default: return std::nullopt;
  }
  if (c < 0 || c >= kNpu1Columns || r < 0 || r >= kNpu1Rows) return std::nullopt;
  const StreamPort s{into, m.channel};
  if (m.channel >= count_of(layout(npu1_tile_kind(c, r)).slaves, into)) return std::nullopt;
  return std::make_tuple(c, r, s);
}

int shim_mux_select(uint32_t mux, int port) {
  // NOC_MODULE_MUX_CONFIG: South2 9:8, South3 11:10, South6 13:12, South7 15:14.
  switch (port) {
    case 2: return static_cast<int>((mux >> 8) & 3);
    case 3: return static_cast<int>((mux >> 10) & 3);
    case 6: return static_cast<int>((mux >> 12) & 3);
    case 7: return static_cast<int>((mux >> 14) & 3);
    default: return -1;
  }
}

int shim_demux_select(uint32_t demux, int port) {
  // NOC_MODULE_DEMUX_CONFIG: South2 5:4, South3 7:6, South4 9:8, South5 11:10.
  if (port < 2 || port > 5) return -1;
  return static_cast<int>((demux >> (4 + 2 * (port - 2))) & 3);
}

std::optional<StreamPort> shim_mm2s_slave(int channel, uint32_t mux) {
  if (channel < 0 || channel > 1) return std::nullopt;
  const int port = channel == 0 ? 3 : 7;
  if (shim_mux_select(mux, port) != 1) return std::nullopt;  // 1 = XAIE_MUX_DEMUX_CONFIG_TYPE_DMA
  return StreamPort{PortType::South, port};
}

std::optional<StreamPort> shim_s2mm_master(int channel, uint32_t demux) {
  if (channel < 0 || channel > 1) return std::nullopt;
  const int port = channel == 0 ? 2 : 3;
  if (shim_demux_select(demux, port) != 1) return std::nullopt;
  return StreamPort{PortType::South, port};
}

}  // namespace attncheck::aie2::array
