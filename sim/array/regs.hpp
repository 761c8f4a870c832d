// The npu1 (Phoenix, AIE-ML) tile registers a PDI and a runtime sequence write, and their decoders: memories, locks, DMA BDs and channels, stream switches, shim mux.
//
// Sources, cited below by their short names (all public):
//   params.h    Xilinx/aie-rt driver/src/global/xaiemlgbl_params.h (commit 1ad203de): the AIE-ML register map,
//               every XAIEMLGBL_<MODULE>_<REGISTER> offset and its _LSB/_MASK fields
//   reginit.c   Xilinx/aie-rt driver/src/global/xaiemlgbl_reginit.c: per tile kind the DMA, lock, stream switch
//               and memory module property tables (AieMlTileDmaMod, AieMlMemTileDmaMod, AieMlShimDmaMod,
//               AieMl*LockMod, AieMl*StrmMstr/Slv/SlaveSlot, AieMl*MemMod, AieMlCoreMod)
//   dma_aieml.c Xilinx/aie-rt driver/src/dma/xaie_dma_aieml.c: how a BD's fields are written (_XAieMl_*DmaWriteBd)
//               and read back (_XAieMl_*DmaReadBd)
//   dma.c       Xilinx/aie-rt driver/src/dma/xaie_dma.c: address and length units, the start queue
//   ss.c        Xilinx/aie-rt driver/src/stream_switch/xaie_ss.c; helper.c: driver/src/common/xaie_helper.c
//   plif.c      Xilinx/aie-rt driver/src/pl/xaie_plif.c: the shim mux/demux
//   locks.c     Xilinx/aie-rt driver/src/locks/xaie_locks_aieml.c
//   AIERT.cpp   Xilinx/mlir-aie lib/Targets/AIERT.cpp: how mlir-aie drives aie-rt (lock signs, repeat counts,
//               packet master config, mem-tile neighbour offsets)
//   target      Xilinx/mlir-aie include/aie/Dialect/AIE/IR/AIETargetModel.h and lib/Dialect/AIE/IR/AIETargetModel.cpp
//   UG1583      AMD AI Engine-ML Intrinsics User Guide, "Locks"
// docs/aie2-array-registers.md tabulates all of it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "sim/array/tile_kind.hpp"

namespace attncheck::aie2::array {

// ---------------------------------------------------------------------------------------------
// Geometry and addresses
// ---------------------------------------------------------------------------------------------

// A tile's registers sit at col << 25 | row << 20 | offset (target: AIE2TargetModel getColumnShift() 25,
// getRowShift() 20; aie-rt driver/src/common/xaie_helper.h _XAie_GetTileAddr).
constexpr int kColShift = 25, kRowShift = 20;
// npu1: 5 columns, 6 rows: row 0 shim, row 1 memory tiles, rows 2..5 compute (target: NPUTargetModel
// columns() 5, BaseNPUTargetModel rows() 6, isMemTile row == 1, isCoreTile row > 1). In the full
// device the shim of column 0 has no DMA (target: NPUTargetModel isShimNOCTile row == 0 && col > 0;
// AIERT.cpp "The first column in the NPU lacks a shim tile"); aie.device(npu1) is a partition whose
// columns are numbered from 0 and whose shims are all NOC shims (target: VirtualizedNPUTargetModel
// isShimNOCTile row == 0), and its CDO addresses use those partition columns.
constexpr int kNpu1Columns = 5, kNpu1Rows = 6;

// InputError for a tile outside the 5 x 6 array.
TileKind npu1_tile_kind(int col, int row);

struct RegisterAddress {
  int col = 0, row = 0;
  uint32_t offset = 0;  // within the tile, below 1 << 20
};
// InputError for an address at or above 4 GiB or naming a tile outside the array.
RegisterAddress split_address(uint64_t absolute);
uint64_t tile_address(int col, int row, uint32_t offset);

// ---------------------------------------------------------------------------------------------
// Per tile kind: where everything is
// ---------------------------------------------------------------------------------------------

enum class PortType { Core, Dma, Ctrl, Fifo, South, West, North, East, Trace };
const char* port_type_name(PortType);  // "Core", "DMA", "Ctrl", "FIFO", "South", ...

// `count` ports of one type, consecutive among a tile's config registers.
struct PortRun {
  PortType type;
  int count;
};

struct TileLayout {
  TileKind kind;
  // Memories (0 bytes when the tile has none).
  uint32_t data_memory_offset, data_memory_bytes;        // DATAMEMORY at 0: 64 KiB compute, 512 KiB memory tile (reginit.c AieMlTileMemMod / AieMlMemTileMemMod .Size)
  uint32_t program_memory_offset, program_memory_bytes;  // compute: PROGRAM_MEMORY 0x20000 (params.h), 16 KiB (reginit.c AieMlCoreMod .ProgMemSize)
  // Locks: LOCKn_VALUE at lock_base + n * lock_stride (params.h; reginit.c AieMl*LockMod .NumLocks, .LockSetValOff).
  int locks;
  uint32_t lock_base, lock_stride;
  // Lock requests: LOCK_REQUEST + id * 0x400 (+ 0x200 acquire) + (value & 0x7F) << 2 (locks.c; reginit.c .LockIdOff, .RelAcqOff).
  uint32_t lock_request_base;
  // BDs: DMA_BDn_w at bd_base + n * bd_stride + 4 * w (params.h; reginit.c AieMl*DmaMod .BaseAddr, .IdxOffset, .NumBds).
  int bds;
  uint32_t bd_base, bd_stride;
  int bd_words;
  // Channels: DMA_S2MM_c_CTRL at s2mm_base + c * channel_stride, its start queue (TASK_QUEUE in the shim)
  // 4 bytes above; MM2S likewise (params.h; reginit.c .ChCtrlBase, .StartQueueBase, .ChIdxOffset, .NumChannels).
  int s2mm_channels, mm2s_channels;
  uint32_t s2mm_base, mm2s_base, channel_stride;
  // Tasks a channel's start queue holds (reginit.c AieMl*DmaChProp .StartQSizeMax 4); a task repeats
  // at most 256 times (.MaxRepeatCount).
  int start_queue_depth;
  // Channel status (read-only): DMA_S2MM_c_STATUS at s2mm_status_base + 4c, MM2S likewise (params.h;
  // reginit.c .ChStatusBase, .ChStatusOffset; xaie_dma_aieml.c XAIEML_DMA_STATUS_CHNUM_OFFSET 4).
  uint32_t s2mm_status_base, mm2s_status_base;
  // Core (compute only, else 0): CORE_CONTROL, CORE_STATUS (params.h).
  uint32_t core_control, core_status;
  // Stream switch: master n's config at master_base + 4n, slave n's at slave_base + 4n, slave n's
  // slot k at slot_base + 0x10 n + 4k (reginit.c AieMl*StrmSw .MstrConfigBaseAddr, .SlvConfigBaseAddr,
  // .PortOffset 4, .NumSlaveSlots 4, .SlotOffsetPerPort 0x10, .SlotOffset 4; helper.c _XAie_GetSlaveIdx:
  // a slave's index is its register's position).
  uint32_t master_base, slave_base, slot_base;
  int slots_per_slave;
  std::vector<PortRun> masters, slaves;  // in register order (reginit.c AieMl*StrmMstr / AieMl*StrmSlv)
  int master_count() const, slave_count() const;
  // Shim only (else 0): MUX_CONFIG, DEMUX_CONFIG (params.h NOC_MODULE).
  uint32_t mux_config, demux_config;

  uint32_t bd_offset(int bd, int word = 0) const { return bd_base + static_cast<uint32_t>(bd) * bd_stride + 4u * static_cast<uint32_t>(word); }
  uint32_t channel_ctrl(bool s2mm, int ch) const { return (s2mm ? s2mm_base : mm2s_base) + static_cast<uint32_t>(ch) * channel_stride; }
  uint32_t channel_queue(bool s2mm, int ch) const { return channel_ctrl(s2mm, ch) + 4; }
  uint32_t channel_status(bool s2mm, int ch) const { return (s2mm ? s2mm_status_base : mm2s_status_base) + 4u * static_cast<uint32_t>(ch); }
  uint32_t lock_offset(int lock) const { return lock_base + static_cast<uint32_t>(lock) * lock_stride; }
  uint32_t master_offset(int m) const { return master_base + 4u * static_cast<uint32_t>(m); }
  uint32_t slave_offset(int s) const { return slave_base + 4u * static_cast<uint32_t>(s); }
  uint32_t slot_offset(int s, int k) const { return slot_base + 0x10u * static_cast<uint32_t>(s) + 4u * static_cast<uint32_t>(k); }
};
const TileLayout& layout(TileKind);

// ---------------------------------------------------------------------------------------------
// What an offset is
// ---------------------------------------------------------------------------------------------

enum class RegKind {
  DataMemory, ProgramMemory, Bd, ChannelCtrl, ChannelQueue, ChannelStatus, Lock, LockRequest, CoreControl, CoreStatus,
  StreamMaster, StreamSlave, StreamSlot, ShimMux, ShimDemux,
  KnownUnmodelled,  // a register params.h names that the simulator does not model (events, trace, counters, ...)
  Unknown           // no register params.h names
};
// index: the BD, channel, lock, master or slave number, or the byte offset into a memory;
// word: the word within a BD, or the slot number; s2mm: for channel registers.
struct RegHit {
  RegKind kind = RegKind::Unknown;
  int index = 0;
  int word = 0;
  bool s2mm = false;
};
RegHit classify(TileKind, uint32_t offset);
const char* reg_kind_name(RegKind);
// "DMA_BD3_5", "Lock12_value", "Stream_Switch_Master_Config_South2", "Stream_Switch_Slave_South3_Slot1",
// "DMA_S2MM_0_Ctrl", "DMA_MM2S_1_Start_Queue", "Core_Control", "Data_Memory+0x1F0", "Mux_Config";
// for the rest aie-rt's name ("TIMER_CONTROL", "EVENT_BROADCAST#[3]"), or "unknown+0x..."
std::string register_name(TileKind, uint32_t offset);

// ---------------------------------------------------------------------------------------------
// Buffer descriptors
// ---------------------------------------------------------------------------------------------

struct BufferDescriptor {
  // Bytes. Compute and memory tile: Base_Address holds 32-bit words (dma.c XAie_DmaSetAddrLen:
  // Address = Addr >> AddrAlignShift, reginit.c AddrAlignShift 2), so this is register * 4; a
  // memory tile's address space spans its west neighbour (0..512 KiB), itself (512 KiB..1 MiB)
  // and its east neighbour (1..1.5 MiB) (target: getMemLocalBaseAddress). Shim: the DDR byte
  // address Base_Address_High << 32 | Base_Address_Low (dma_aieml.c _XAieMl_ShimDmaWriteBd;
  // AddrAlignShift 0, the low word's bits 1:0 are not part of the field).
  uint64_t address = 0;
  // 32-bit words, exactly the Buffer_Length field (dma.c: Length = (Len >> 2) - LenActualOffset,
  // LenActualOffset 0 for every AIE-ML DMA in reginit.c).
  uint32_t length = 0;
  uint64_t length_bytes() const { return uint64_t{length} * 4; }
  // Steps in 32-bit words as the hardware applies them: the register holds step - 1
  // (dma_aieml.c writes StepSize - 1U and reads back 1U + field). Wraps are the register as it is
  // (written and read back without an offset). A BD written without dimensions (dma.c
  // XAie_DmaSetAddrLen) has every wrap 0 and every step 1: a linear transfer of `length` words.
  struct Dim {
    uint32_t wrap = 0;
    uint32_t step = 1;
  };
  // d0, d1, d2 (compute, shim), d0..d3 (memory tile). The outermost dimension has a step and no
  // wrap register: its wrap is reported as 0 (the length ends it).
  std::vector<Dim> dims;
  // The iteration dimension: Iteration_Current as it is; Iteration_Wrap and Iteration_Stepsize hold
  // value - 1 (dma_aieml.c writes IterDesc.Wrap - 1U and StepSize - 1U), reported + 1.
  uint32_t iteration_current = 0, iteration_wrap = 1, iteration_step = 1;
  bool packet_enable = false;
  int packet_type = 0, packet_id = 0;
  int out_of_order_bd_id = 0;
  bool use_next_bd = false;
  int next_bd = 0;
  bool valid = false;
  // Lock ids: compute and shim 0..15 (4-bit field), memory tile 0..191 (8-bit field; 0..63 the west
  // neighbour's locks, 64..127 its own, 128..191 the east neighbour's: target getLockLocalBaseIndex).
  bool lock_acq_enable = false;
  int lock_acq_id = 0;
  int lock_acq_value = 0;  // signed 7-bit field, sign-extended (see bd_acquire)
  int lock_rel_id = 0;     // AIE-ML BDs have no release enable (AIERT.cpp "no RelEn in the arch spec")
  int lock_rel_value = 0;  // signed 7-bit field, sign-extended: added to the lock
  bool tlast_suppress = false;
  bool compression = false;  // Enable_Compression (compute, memory tile): decoded, not modelled
  // Memory tile only: zero padding before/after d0..d2 (d0 in 32-bit words, d1 and d2 in units
  // of the dimension below: AIERT.cpp passes pad d0 * element width in words, higher dims as counts).
  int pad_before[3] = {0, 0, 0}, pad_after[3] = {0, 0, 0};
  // Shim only, decoded and not modelled: AXI fields.
  int burst_length = 0;  // the 2-bit Burst_Length code
  bool secure_access = false;
  int smid = 0, axcache = 0, axqos = 0;
};
// `words`: layout(kind).bd_words of them.
BufferDescriptor decode_bd(TileKind, const uint32_t* words);
// The same from a vector: InputError unless it holds exactly layout(kind).bd_words words.
BufferDescriptor decode_bd(TileKind, const std::vector<uint32_t>& words);
// The words a BD is written as (the inverse of decode_bd for every field decode_bd reports). For tests
// and for tools that patch a BD.
std::vector<uint32_t> encode_bd(TileKind, const BufferDescriptor&);

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

// A write to DMA_<dir>_<c>_START_QUEUE (TASK_QUEUE in the shim) pushes one task: run the BD chain
// from start_bd, repeat_count + 1 times (dma.c XAie_DmaChannelSetStartQueueGeneric writes
// RepeatCount - 1; AIERT.cpp: mlir-aie's repeat_count 0 means once). enable_token_issue: a task
// completion token is sent when the task ends (mlir-aie sets it for shim S2MM, AIERT.cpp).
struct QueueEntry {
  int start_bd = 0;  // 4 bits compute/shim, 6 bits memory tile
  int repeat_count = 0;
  bool enable_token_issue = false;
};
QueueEntry decode_queue(TileKind, uint32_t value);

// DMA_<dir>_<c>_CTRL (params.h). Compute and memory tile: Reset (bit 1), Enable_Out_of_Order (S2MM),
// Decompression_Enable (S2MM) / Compression_Enable (MM2S), Controller_ID, FoT_Mode (S2MM). Shim: no
// reset; bit 1 is Pause_Mem, bit 2 Pause_Stream.
struct ChannelControl {
  bool reset = false;
  bool enable_out_of_order = false;
  bool decompression = false, compression = false;
  int controller_id = 0;
  int fot_mode = 0;
  bool pause_mem = false, pause_stream = false;
};
ChannelControl decode_channel_control(TileKind, bool s2mm, uint32_t value);

// ---------------------------------------------------------------------------------------------
// Locks and the core
// ---------------------------------------------------------------------------------------------

// LOCKn_VALUE: Lock_Value is bits 5:0 (params.h *_LOCK0_VALUE_LOCK_VALUE_MASK 0x3F); a write sets the
// lock to that value.
int lock_register_value(uint32_t value);
// A BD's (or a core's) acquire value: negative v = acquire-greater-equal -v, otherwise acquire-equal v
// (AIERT.cpp configureLocksInBdBlock: "if (op.acquireGE()) acqValue = -acqValue"). Acquire-equal
// waits until the lock equals v and leaves it unchanged (UG1583 acquire_equal "doesn't modify the
// value"). Acquire-greater-equal waits until lock >= v and subtracts v: the subtraction is inferred
// from mlir-aie's ObjectFIFO lock protocol (docs/aie2.md states the same for the core).
struct LockOp {
  bool acquire_ge = false;
  int value = 0;
};
LockOp bd_acquire(int signed_value);
// Lock state bounds (reginit.c AieMl*LockMod .LockValLowerBound -64, .LockValUpperBound 63).
constexpr int kLockMin = -64, kLockMax = 63;

// LOCK_REQUEST region: a read there acquires or releases (locks.c _XAieMl_LockAcquire/Release).
struct LockRequest {
  int lock = 0;
  bool acquire = false;
  int value = 0;  // signed 7-bit
};
std::optional<LockRequest> decode_lock_request(TileKind, uint32_t offset);

// CORE_CONTROL: Enable bit 0, Reset bit 1 (params.h CORE_MODULE_CORE_CONTROL_ENABLE/RESET).
bool core_enabled(uint32_t core_control);
bool core_reset(uint32_t core_control);
// DMA_{S2MM,MM2S}_c_STATUS fields the simulator produces (params.h *_DMA_S2MM_STATUS_0_*, the same
// bits in all three modules): Task_Queue_Size [22:20], Channel_Running [19], Stalled_TCT [5],
// Stalled_Stream_Starvation / Backpressure [4], Stalled_Lock_Rel [3], Stalled_Lock_Acq [2]: the
// mask aie-rt's _XAieMl_DmaWaitForDone polls for 0 (xaie_dma_aieml.c). Cur_BD, Status [1:0], the
// error and overflow bits are not produced.
constexpr uint32_t kDmaStatusQueueSizeLsb = 20, kDmaStatusRunning = 1u << 19, kDmaStatusStalledTct = 1u << 5,
                   kDmaStatusStalledStream = 1u << 4, kDmaStatusStalledLockRel = 1u << 3, kDmaStatusStalledLockAcq = 1u << 2;
constexpr uint32_t kDmaStatusProduced = (7u << kDmaStatusQueueSizeLsb) | kDmaStatusRunning | kDmaStatusStalledTct |
                                        kDmaStatusStalledStream | kDmaStatusStalledLockRel | kDmaStatusStalledLockAcq;

// CORE_STATUS bit 20 Core_Done (params.h CORE_MODULE_CORE_STATUS_CORE_DONE).
bool core_done(uint32_t core_status);

// ---------------------------------------------------------------------------------------------
// Stream switch
// ---------------------------------------------------------------------------------------------

struct StreamPort {
  PortType type = PortType::Core;
  int channel = 0;
  bool operator==(const StreamPort& o) const { return type == o.type && channel == o.channel; }
  bool operator!=(const StreamPort& o) const { return !(*this == o); }
};
std::string port_name(StreamPort);  // "South 3"
// index: the port's position among the tile's master (slave) config registers; nullopt past the end.
std::optional<StreamPort> master_port(TileKind, int index);
std::optional<StreamPort> slave_port(TileKind, int index);
int master_index(TileKind, StreamPort);  // -1 when the tile has no such master
int slave_index(TileKind, StreamPort);

// Stream_Switch_Master_Config (params.h *_MASTER_CONFIG_*: Master_Enable 31, Packet_Enable 30,
// Drop_Header 7, Configuration 6:0). Circuit mode: Configuration is the slave index feeding this
// master (ss.c _XAie_StreamSwitchConfigureCct passes _XAie_GetSlaveIdx as Config). Packet mode: bits
// 2:0 the arbiter, bits 6:3 the msel enable mask (ss.c XAIE_SS_MASTER_PORT_ARBITOR_*, _MSELEN_*).
struct MasterConfig {
  bool enable = false, packet_enable = false, drop_header = false;
  int config = 0;
  int slave_select() const { return config; }
  int arbiter() const { return config & 0x7; }
  int msel_mask() const { return (config >> 3) & 0xF; }
};
// Stream_Switch_Slave_Config: Slave_Enable 31, Packet_Enable 30.
struct SlaveConfig {
  bool enable = false, packet_enable = false;
};
// Stream_Switch_Slave_<port>_Slot<k>: ID 28:24, Mask 20:16, Enable 8, Msel 5:4, Arbit 2:0. A packet
// whose id ANDed with mask equals id ANDed with mask matches the slot (mlir-aie aie.rule(mask, id)).
struct SlotConfig {
  bool enable = false;
  int id = 0, mask = 0, msel = 0, arbiter = 0;
};
MasterConfig decode_master(uint32_t);
SlaveConfig decode_slave(uint32_t);
SlotConfig decode_slot(uint32_t);

// Neighbour wiring: master North i of (c, r) feeds slave South i of (c, r + 1); South i feeds North i
// of (c, r - 1); East i feeds West i of (c + 1, r); West i feeds East i of (c - 1, r) (mlir-aie
// aie.wire(%sw_c_r : North, %sw_c_r+1 : South) in every placed design; target validate() asserts the
// counts agree). The counts do: a compute or memory tile has 6 North masters and every tile above
// row 0 has 6 South slaves; compute and memory tiles have 4 South masters and 4 North slaves, as the
// shim has; compute tiles and shims have 4 East/West of each; memory tiles have none (reginit.c).
// nullopt for a master with no neighbour there (array edge, a memory tile's missing east/west ports,
// internal ports, shim South masters: those go to the shim mux, see below).
std::optional<std::tuple<int, int, StreamPort>> connected_slave(int col, int row, StreamPort master);

// Shim DMA through the mux/demux. MUX_CONFIG selects what drives the stream switch's South 2, 3, 6, 7
// slaves (fields 2 bits at 8, 10, 12, 14; 0 PL, 1 DMA, 2 NOC: plif.c XAIE_MUX_DEMUX_CONFIG_TYPE_*,
// params.h NOC_MODULE_MUX_CONFIG_SOUTH*); DEMUX_CONFIG where the South 2..5 masters go (fields at 4,
// 6, 8, 10). Only South 3 and 7 slaves can be DMA-fed (plif.c XAie_EnableShimDmaToAieStrmPort) and only
// South 2 and 3 masters can feed the DMA (XAie_EnableAieToShimDmaStrmPort). MM2S channel c feeds slave
// South 3 (c = 0) or South 7 (c = 1); master South 2 feeds S2MM 0 and South 3 S2MM 1 (mlir-aie
// aie.shim_mux connect<DMA : c, North : p>; the shared placed designs use all four and their PDIs
// agree, tested).
int shim_mux_select(uint32_t mux_config, int south_slave);      // -1 for a port the mux does not switch
int shim_demux_select(uint32_t demux_config, int south_master);  // -1 likewise
// The slave the shim's MM2S channel feeds, nullopt if the mux does not select the DMA there.
std::optional<StreamPort> shim_mm2s_slave(int channel, uint32_t mux_config);
// The master that feeds the shim's S2MM channel, nullopt if the demux does not select the DMA there.
std::optional<StreamPort> shim_s2mm_master(int channel, uint32_t demux_config);

}  // namespace attncheck::aie2::array
