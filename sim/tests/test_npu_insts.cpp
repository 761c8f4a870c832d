// The instruction-stream reader on every form: the user's npu_insts.mlir against their own text, mlir-aie's expected words, hand-built TXN words, Riallto .seq against its sources, RyzenAI-SW transactions, and each refusal.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "ref/errors.hpp"
#include "sim/load/npu_insts.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::aie2;
using attncheck::testing::shared_dir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::vector<std::string> kUserBuilds = {
    "encoder-layer-3core-2025-11-22", "gelu-512-2025-11-03",       "gelu-bf16-2025-11-22",
    "int32-2025-11-03",               "int8-lut-2025-11-03",       "iron-attention-4core-2025-11-03",
    "layernorm-256-2025-11-03",       "layernorm-bf16-2025-11-22", "matmul-32x32-2025-11-03",
    "matmul-bf16-2025-11-22",         "matmul-bf16-vectorized-2025-11-22", "softmax-bf16-2025-11-22",
    "softmax-bf16-2core-2025-11-22"};

std::vector<NpuOp> of_kind(const InstructionStream& s, NpuOpKind k) {
  std::vector<NpuOp> v;
  for (const auto& op : s.ops)
    if (op.kind == k) v.push_back(op);
  return v;
}

// The error message of `f`, which must throw InputError.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return "";
}

// Words a test builds field by field from xaie_txn.h's layouts (not from the encoder).
struct TxnBuilder {
  std::vector<uint32_t> w;
  uint32_t ops = 0;
  explicit TxnBuilder(uint32_t major, uint32_t minor) {
    // XAie_TxnHeader: Major, Minor, DevGen 3, NumRows 6 | NumCols 4, NumMemTileRows 1 | NumOps | TxnSize
    w = {major | minor << 8 | 3u << 16 | 6u << 24, 4u | 1u << 8, 0, 0};
  }
  TxnBuilder& op(std::vector<uint32_t> words) {
    w.insert(w.end(), words.begin(), words.end());
    ++ops;
    return *this;
  }
  std::vector<uint32_t> done() {
    w[2] = ops;
    w[3] = static_cast<uint32_t>(4 * w.size());
    return w;
  }
};

}  // namespace

TEST_CASE("every shared npu_insts.mlir encodes to ops that match its own text", "[npu_insts]") {
  for (const auto& build : kUserBuilds) {
    INFO(build);
    const std::string path = shared_dir() + "/aie2/" + build + "/npu_insts.mlir";
    const std::string text = slurp(path);
    const InstructionStream s = read_instruction_stream(path);
    CHECK(s.format == "npu_insts.mlir");
    CHECK(s.encoding == "txn-0.1");
    CHECK(s.first_buffer_kernel_arg == 3);
    CHECK(s.device_generation == 3);
    CHECK(s.rows == 6);
    CHECK(s.columns == 4);
    CHECK(s.mem_tile_rows == 1);
    CHECK(s.words[3] == 4 * s.words.size());
    CHECK(s.words[2] == s.ops.size());

    // Independent reading of the text: one regex per op kind, in order.
    auto lines_matching = [&](const std::string& pattern) {
      std::vector<std::smatch> out;
      const std::regex re(pattern);
      for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back(*it);
      return out;
    };
    const auto writes = lines_matching(R"(aiex\.npu\.write32 \{address = (\d+) : ui32, value = (\d+) : ui32\})");
    const auto masks =
        lines_matching(R"(aiex\.npu\.maskwrite32 \{address = (\d+) : ui32, mask = (\d+) : ui32, value = (\d+) : ui32\})");
    const auto patches =
        lines_matching(R"(aiex\.npu\.address_patch \{addr = (\d+) : ui32, arg_idx = (\d+) : i32, arg_plus = (\d+) : i32\})");
    const auto blocks = lines_matching(R"((%\d+) = memref\.get_global @(\w+)[^\n]*\n\s*aiex\.npu\.blockwrite\(\1\) \{address = (\d+) : ui32\})");
    const auto syncs = lines_matching(
        R"(aiex\.npu\.sync \{channel = (\d+) : i32, column = (\d+) : i32, column_num = (\d+) : i32, direction = (\d+) : i32, row = (\d+) : i32, row_num = (\d+) : i32\})");
    const auto all_ops = lines_matching(R"(aiex\.npu\.\w+)");
    REQUIRE(all_ops.size() == writes.size() + masks.size() + patches.size() + blocks.size() + syncs.size());
    REQUIRE(s.ops.size() == all_ops.size());

    const auto w = of_kind(s, NpuOpKind::Write32);
    REQUIRE(w.size() == writes.size());
    for (size_t k = 0; k < w.size(); ++k) {
      CHECK(w[k].address == std::stoull(writes[k][1]));
      CHECK(w[k].value == std::stoull(writes[k][2]));
    }
    const auto m = of_kind(s, NpuOpKind::MaskWrite);
    REQUIRE(m.size() == masks.size());
    for (size_t k = 0; k < m.size(); ++k) {
      CHECK(m[k].address == std::stoull(masks[k][1]));
      CHECK(m[k].mask == std::stoull(masks[k][2]));
      CHECK(m[k].value == std::stoull(masks[k][3]));
    }
    const auto p = of_kind(s, NpuOpKind::DdrPatch);
    REQUIRE(p.size() == patches.size());
    std::set<int> arg_set_text, arg_set_ops;
    for (size_t k = 0; k < p.size(); ++k) {
      CHECK(p[k].address == std::stoull(patches[k][1]));
      CHECK(p[k].arg_index == std::stoi(patches[k][2]));
      CHECK(p[k].arg_offset == std::stoull(patches[k][3]));
      arg_set_text.insert(std::stoi(patches[k][2]));
      arg_set_ops.insert(p[k].arg_index);
    }
    CHECK(arg_set_ops == arg_set_text);
    // Every runtime-sequence argument is patched once: %argN of the sequence line.
    const std::regex seq_arg(R"(%arg(\d+): memref)");
    const auto seq_line = text.substr(text.find("runtime_sequence"), text.find('\n', text.find("runtime_sequence")) -
                                                                         text.find("runtime_sequence"));
    std::set<int> declared;
    for (auto it = std::sregex_iterator(seq_line.begin(), seq_line.end(), seq_arg); it != std::sregex_iterator(); ++it)
      declared.insert(std::stoi((*it)[1]));
    CHECK(arg_set_ops == declared);

    const auto b = of_kind(s, NpuOpKind::BlockWrite);
    REQUIRE(b.size() == blocks.size());
    for (size_t k = 0; k < b.size(); ++k) {
      CHECK(b[k].address == std::stoull(blocks[k][3]));
      // The dense<[...]> of the global the blockwrite names, each element as 32-bit two's complement.
      const std::regex glob("@" + blocks[k][2].str() + R"( : memref<(\d+)xi32> = dense<\[([^\]]*)\]>)");
      std::smatch g;
      REQUIRE(std::regex_search(text, g, glob));
      std::vector<uint32_t> expect;
      std::stringstream elems(g[2].str());
      std::string e;
      while (std::getline(elems, e, ',')) expect.push_back(static_cast<uint32_t>(std::stoll(e)));
      CHECK(expect.size() == std::stoull(g[1]));
      CHECK(b[k].data == expect);
    }
    const auto y = of_kind(s, NpuOpKind::Sync);
    REQUIRE(y.size() == syncs.size());
    for (size_t k = 0; k < y.size(); ++k) {
      CHECK(y[k].channel == std::stoi(syncs[k][1]));
      CHECK(y[k].column == std::stoi(syncs[k][2]));
      CHECK(y[k].column_count == std::stoi(syncs[k][3]));
      CHECK(y[k].direction == std::stoi(syncs[k][4]));
      CHECK(y[k].row == std::stoi(syncs[k][5]));
      CHECK(y[k].row_count == std::stoi(syncs[k][6]));
    }
  }
}

TEST_CASE("the encoder writes the words of mlir-aie's own npu_instgen test", "[npu_insts]") {
  // Xilinx/mlir-aie test/Targets/NPU/npu_instgen.mlir: the ops and the CHECK words
  // aie-translate --aie-npu-to-binary must print for them.
  const std::string mlir = R"(module {
  aie.device(npu1) {
    memref.global "private" constant @write_data : memref<8xi32> = dense<[100, 101, 102, 103, 104 ,105, 106, 107]>
    aie.runtime_sequence(%arg0: memref<16xf32>, %arg1: memref<16xf32>) {
      aiex.npu.write32 { column = 3 : i32, row = 4 : i32, address = 0xabc00def : ui32, value = 0x42 : ui32 }
      aiex.npu.write32 { address = 0xabc00def : ui32, value = 0x314 : ui32 }
      %0 = memref.get_global @write_data : memref<8xi32>
      aiex.npu.blockwrite (%0) {address = 0x12345679 : ui32} : memref<8xi32>
      aiex.npu.blockwrite (%0) { column = 1 : i32, row = 1 : i32, address = 100 : ui32} : memref<8xi32>
      aiex.npu.maskwrite32 { column = 2 : i32, row = 3 : i32, address = 0x0000567A : ui32, value = 0x1001 : ui32, mask = 0xf00ff00f : ui32 }
      aiex.npu.sync { column = 3 : i32, row = 4 : i32, direction = 1 : i32, channel = 5 : i32, column_num = 1 : i32, row_num = 2 : i32 }
      aiex.npu.load_pdi { address = 0xabc12345678 : ui64, id = 2 : i32, size = 1024 : i32 }
    }
  }
}
)";
  const std::vector<uint32_t> expect = {
      0x06030100, 0x00000104, 0x00000007, 0x000000DC,                                      // header 0.1
      0x00000000, 0x00000000, 0x06400DEF, 0x00000000, 0x00000042, 0x00000018,              // write32 col/row
      0x00000000, 0x00000000, 0xABC00DEF, 0x00000000, 0x00000314, 0x00000018,              // write32
      0x00000001, 0x00000000, 0x12345679, 0x00000030, 0x00000064, 0x00000065, 0x00000066,  // blockwrite
      0x00000067, 0x00000068, 0x00000069, 0x0000006A, 0x0000006B,                          //
      0x00000001, 0x00000101, 0x02100064, 0x00000030, 0x00000064, 0x00000065, 0x00000066,  // blockwrite col/row
      0x00000067, 0x00000068, 0x00000069, 0x0000006A, 0x0000006B,                          //
      0x00000003, 0x00000000, 0x0430567A, 0x00000000, 0x00001001, 0xF00FF00F, 0x0000001C,  // maskwrite32
      0x00000080, 0x00000010, 0x00030401, 0x05010200,                                      // sync
      0x00020008, 0x00000400, 0x12345678, 0x00000ABC};                                     // load_pdi
  CHECK(encode_npu_insts_mlir(mlir, "npu_instgen.mlir") == expect);
  const InstructionStream s = parse_instruction_bytes(mlir, "npu_instgen.mlir");
  REQUIRE(s.ops.size() == 7);
  CHECK(s.ops[0].address == 0x06400DEF);
  CHECK(s.ops[3].address == 0x02100064);
  CHECK(s.ops[5].kind == NpuOpKind::Sync);
  CHECK(s.ops[5].direction == 1);
  CHECK(s.ops[5].channel == 5);
  CHECK(s.ops[5].row_count == 2);
  CHECK(s.ops[6].kind == NpuOpKind::LoadPdi);
  CHECK(s.ops[6].value == 2);
  CHECK(s.ops[6].mask == 1024);
  CHECK(s.ops[6].arg_offset == 0xabc12345678ull);
}

TEST_CASE("iron-attention insts.txt is binary TXN holding the same ops as npu_insts.mlir in another order", "[npu_insts]") {
  const std::string dir = shared_dir() + "/aie2/iron-attention-4core-2025-11-03";
  const InstructionStream bin = read_instruction_stream(dir + "/insts.txt");
  const InstructionStream mlir = read_instruction_stream(dir + "/npu_insts.mlir");
  CHECK(bin.format == "txn-bin");  // named .txt, but raw little-endian words
  CHECK(bin.columns == 4);
  REQUIRE(bin.words.size() == mlir.words.size());
  CHECK(bin.words != mlir.words);
  // The header and the first two ops agree; the order then differs.
  CHECK(std::equal(bin.words.begin(), bin.words.begin() + 28, mlir.words.begin()));
  std::multiset<std::string> a, b;
  for (const auto& op : bin.ops) a.insert(describe(op).substr(describe(op).find(':')));
  for (const auto& op : mlir.ops) b.insert(describe(op).substr(describe(op).find(':')));
  CHECK(a == b);
  // insts.txt runs the four columns one after another: each column's sync comes before any op of
  // the next column. npu_insts.mlir (like attention_iron_generated.mlir beside it) configures all
  // eight tasks first and waits at the end.
  auto column_of = [](const NpuOp& op) {
    return op.kind == NpuOpKind::Sync ? op.column : static_cast<int>(op.address >> 25);
  };
  int col = 0;
  bool synced = false, serial = true;
  for (const auto& op : bin.ops) {
    if (column_of(op) != col) {
      serial = serial && synced && column_of(op) == col + 1;
      col = column_of(op);
      synced = false;
    }
    if (op.kind == NpuOpKind::Sync) synced = true;
  }
  CHECK(serial);
  CHECK(col == 3);
  CHECK(mlir.ops[mlir.ops.size() - 4].kind == NpuOpKind::Sync);  // the mlir waits for all four at the end

  // The same words as aiecc's text form (%08X a line) read to the same ops.
  std::string text;
  char line[16];
  for (uint32_t w : bin.words) std::snprintf(line, sizeof line, "%08X\n", w), text += line;
  const InstructionStream txt = parse_instruction_bytes(text, "insts.txt");
  CHECK(txt.format == "txn-txt");
  CHECK(txt.words == bin.words);
  REQUIRE(txt.ops.size() == bin.ops.size());
  for (size_t k = 0; k < txt.ops.size(); ++k) CHECK(describe(txt.ops[k]) == describe(bin.ops[k]));
}

TEST_CASE("hand-built TXN 0.1 words decode field by field", "[npu_insts]") {
  TxnBuilder t(0, 1);
  // XAie_Write32Hdr: op, col/row bytes (aie-rt fills them, ignored), RegOff u64, Value, Size 24.
  t.op({0x00201700, 0, 0x0221D214, 0, 0x80000001, 24});
  // XAie_BlockWrite32Hdr: op, col/row, RegOff u32, Size 16 + 4 * 3, payload.
  t.op({1, 0, 0x0001D000, 28, 7, 8, 9});
  // XAie_MaskWrite32Hdr as aie-rt writes it: sizeof 32 (the last word padding).
  t.op({3, 0, 0x001A0630, 0, 2, 3, 32, 0xDEADBEEF});
  // XAie_MaskPoll32Hdr as mlir-aie would: 28 bytes.
  t.op({4, 0, 0x0001D208, 0, 0, 0x00080000, 28});
  t.op({7, 0, 0x0001D20C, 0, 1, 1, 28});  // MASKPOLL_BUSY
  t.op({5});                               // NOOP
  t.op({6 | 2u << 8});                     // PREEMPT level 2 (AIE_TILE)
  t.op({8 | 9u << 16, 512, 0x1000, 0x2});  // LOADPDI id 9, size 512, address 0x2'00001000
  // TCT: Size 16, word = direction | row << 8 | col << 16, config = rows << 8 | cols << 16 | channel << 24.
  t.op({0x80, 16, 1u | 0u << 8 | 2u << 16, 1u << 8 | 1u << 16 | 1u << 24});
  // DDR patch: Size 48, regaddr words 6-7, argidx 8-9, argplus 10-11.
  t.op({0x81, 48, 0, 0, 0, 0, 0x0401D004, 0, 5, 0, 4096, 1});
  // READ_REGS: count 2, pad, two u64 addresses.
  t.op({0x82, 32, 2, 0, 0x00032004, 0, 0x00032008, 0});
  t.op({0x83, 12, 77});            // RECORD_TIMER id 77
  t.op({0x84, 16, 3 | 4 << 8, 0});  // MERGE_SYNC 3 tokens, 4 columns
  const auto words = t.done();
  const InstructionStream s = parse_instruction_words(words, "hand.bin");
  CHECK(s.encoding == "txn-0.1");
  REQUIRE(s.ops.size() == 13);
  const auto& o = s.ops;
  CHECK(o[0].kind == NpuOpKind::Write32);
  CHECK(o[0].word_index == 4);
  CHECK(o[0].address == 0x0221D214);
  CHECK(o[0].value == 0x80000001);
  CHECK(o[1].kind == NpuOpKind::BlockWrite);
  CHECK(o[1].word_index == 10);
  CHECK(o[1].address == 0x0001D000);
  CHECK(o[1].data == std::vector<uint32_t>{7, 8, 9});
  CHECK(o[2].kind == NpuOpKind::MaskWrite);
  CHECK(o[2].word_count == 8);
  CHECK(o[2].address == 0x001A0630);
  CHECK(o[2].value == 2);
  CHECK(o[2].mask == 3);
  CHECK(o[3].kind == NpuOpKind::MaskPoll);
  CHECK(o[3].word_index == 25);
  CHECK(o[3].mask == 0x00080000);
  CHECK(o[4].kind == NpuOpKind::MaskPollBusy);
  CHECK(o[5].kind == NpuOpKind::Noop);
  CHECK(o[6].kind == NpuOpKind::Preempt);
  CHECK(o[6].value == 2);
  CHECK(o[7].kind == NpuOpKind::LoadPdi);
  CHECK(o[7].value == 9);
  CHECK(o[7].mask == 512);
  CHECK(o[7].arg_offset == 0x200001000ull);
  CHECK(o[8].kind == NpuOpKind::Sync);
  CHECK(o[8].direction == 1);
  CHECK(o[8].row == 0);
  CHECK(o[8].column == 2);
  CHECK(o[8].row_count == 1);
  CHECK(o[8].column_count == 1);
  CHECK(o[8].channel == 1);
  CHECK(o[9].kind == NpuOpKind::DdrPatch);
  CHECK(o[9].address == 0x0401D004);
  CHECK(o[9].arg_index == 5);
  CHECK(o[9].arg_offset == 0x100001000ull);
  CHECK(o[10].kind == NpuOpKind::ReadRegs);
  CHECK(o[10].data == std::vector<uint32_t>{0x00032004, 0, 0x00032008, 0});
  CHECK(o[11].kind == NpuOpKind::RecordTimer);
  CHECK(o[11].value == 77);
  CHECK(o[12].kind == NpuOpKind::MergeSync);
  CHECK(o[12].value == 3);
  CHECK(o[12].column_count == 4);
}

TEST_CASE("hand-built TXN 1.0 (optimized) words decode field by field", "[npu_insts]") {
  TxnBuilder t(1, 0);
  t.op({0, 0x0001D214, 5});                           // XAie_Write32Hdr_opt
  t.op({1, 0x0001D000, 20, 10, 11});                  // XAie_BlockWrite32Hdr_opt, Size 12 + 8
  t.op({3, 0x0001D200, 0xF00, 0x1F00});               // XAie_MaskWrite32Hdr_opt
  t.op({4, 0x0001D208, 0, 1});                        // XAie_MaskPoll32Hdr_opt
  t.op({0x80, 16, 0x00010000, 0x00010100});           // TCT column 1
  t.op({0x81, 24, 0x0001D004, 2, 64, 0});             // patch_op_opt_t: regaddr, argidx u8, argplus u64
  const InstructionStream s = parse_instruction_words(t.done(), "opt.bin");
  CHECK(s.encoding == "txn-1.0");
  REQUIRE(s.ops.size() == 6);
  CHECK(s.ops[0].address == 0x0001D214);
  CHECK(s.ops[0].value == 5);
  CHECK(s.ops[1].data == std::vector<uint32_t>{10, 11});
  CHECK(s.ops[2].mask == 0x1F00);
  CHECK(s.ops[3].kind == NpuOpKind::MaskPoll);
  CHECK(s.ops[4].column == 1);
  CHECK(s.ops[5].address == 0x0001D004);
  CHECK(s.ops[5].arg_index == 2);
  CHECK(s.ops[5].arg_offset == 64);
}

TEST_CASE("bad instruction words are refused in one line naming the word", "[npu_insts]") {
  auto base = [] {
    TxnBuilder t(0, 1);
    t.op({0, 0, 0x1D214, 0, 1, 24});
    return t;
  };
  {  // an opcode no source defines
    auto t = base();
    t.op({0x0B});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: opcode 0x0000000B is not an npu instruction this reader knows (aie-rt's XAIE_IO_UPDATE_STATE_TABLE)");
  }
  {
    auto t = base();
    t.op({0x42});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: opcode 0x00000042 is not an npu instruction this reader knows");
  }
  {  // an op whose size runs past the end
    auto t = base();
    t.op({1, 0, 0x1D000, 64, 1});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: blockwrite needs 16 words, only 5 remain");
  }
  {  // a size field that is not a whole number of words
    auto t = base();
    t.op({0, 0, 0x1D214, 0, 1, 22});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: write32 size field 22 bytes (word 15) is not a whole number of words of at least 24");
  }
  {  // header op count disagrees
    auto w = base().done();
    w[2] = 2;
    CHECK(error_of([&] { parse_instruction_words(w, "insts.bin"); }) ==
          "insts.bin: word 2: the header counts 2 ops, the stream holds 1");
    w[2] = 0;
    CHECK(error_of([&] { parse_instruction_words(w, "insts.bin"); }) ==
          "insts.bin: word 4: words remain after the 0 ops the header (word 2) counts");
  }
  {  // header size disagrees
    auto w = base().done();
    w[3] = 44;
    CHECK(error_of([&] { parse_instruction_words(w, "insts.bin"); }) ==
          "insts.bin: word 3: the header's transaction size is 44 bytes, the stream holds 40");
  }
  {  // a patch of a negative argument (i32 -1 stored in the u64 field)
    auto t = base();
    t.op({0x81, 48, 0, 0, 0, 0, 0x1D004, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: DDR patch of argument index -1: negative or beyond any kernel's arguments");
  }
  {  // a READ_REGS whose count outruns its size
    auto t = base();
    t.op({0x82, 16, 5, 0});
    CHECK(error_of([&] { parse_instruction_words(t.done(), "insts.bin"); }) ==
          "insts.bin: word 10: READ_REGS counts 5 registers, its size holds 0");
  }
  CHECK(error_of([] { parse_instruction_words({0x12345678}, "x.bin"); }) ==
        "x.bin: word 0: 0x12345678 is neither a TXN header (version 0.1 or 1.0) nor the legacy IPU prolog (0x00000011 ...)");
  CHECK(error_of([] { parse_instruction_words({0x06030100, 0x104}, "x.bin"); }) ==
        "x.bin: word 0: a TXN header needs 4 words, the stream has 2");
  CHECK(error_of([] { parse_instruction_words({}, "x.bin"); }) == "x.bin: no instruction words");
  CHECK(error_of([] { parse_instruction_bytes("", "x.bin"); }) == "x.bin: empty instruction file");
  CHECK(error_of([] { parse_instruction_bytes(std::string("\0\1\3\6\4", 5), "x.bin"); }) ==
        "x.bin: 5 bytes is not a whole number of 32-bit words");
  CHECK(error_of([] { parse_instruction_bytes("06030100\nzz\n", "x.txt"); }) == "x.txt:2: 'zz' is not one 32-bit hex word");
  {  // legacy stream: an opcode AIETargetIPU.cpp does not write
    std::string seq;
    const uint32_t prolog[17] = {0x00000011, 0x01000405, 0x01000100, 0x0B590100, 0x000055FF, 0x00000001,
                                 0x00000010, 0x314E5A5F, 0x635F5F31, 0x676E696C, 0x39354E5F, 0x6E693131,
                                 0x5F727473, 0x64726F77, 0x00004573, 0x07BD9630, 0x000055FF};
    char b[16];
    for (uint32_t w : prolog) std::snprintf(b, sizeof b, "%08X\n", w), seq += b;
    CHECK(parse_instruction_bytes(seq + "03000000\n00010100\n", "a.seq").ops.size() == 1);
    CHECK(error_of([&] { parse_instruction_bytes(seq + "07000000\n", "a.seq"); }) ==
          "a.seq: word 17: opcode 0x07000000 is not an npu instruction this reader knows (legacy IPU stream: 2, 3, 6)");
    CHECK(error_of([&] { parse_instruction_bytes(seq + "02000200\n00100000\n1\n", "a.seq"); }) ==
          "a.seq: word 17: write32 offset 0x00100000 is wider than a tile's 20-bit register offset");
    CHECK(error_of([&] { parse_instruction_bytes(seq + "06000111\n0\n", "a.seq"); }) ==
          "a.seq: word 17: shim BD write needs 10 words, only 2 remain");
  }
}

TEST_CASE("bad npu_insts.mlir is refused with its line number", "[npu_insts]") {
  auto mlir = [](const std::string& body) {
    return "module {\n  aie.device(npu1) {\n    aiex.runtime_sequence(%arg0: memref<16xi32>) {\n" + body + "    }\n  }\n}\n";
  };
  CHECK(encode_npu_insts_mlir(mlir("      aiex.npu.write32 {address = 1 : ui32, value = 2 : ui32}\n"), "a.mlir").size() == 10);
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("      aiex.npu.dma_wait {symbol = @of_out}\n"), "a.mlir"); }) ==
        "a.mlir:4: 'aiex.npu.dma_wait' is not lowered: aie-translate --aie-npu-to-binary takes the sequence after aiecc's "
        "lowering (aie-dma-to-npu), which npu_insts.mlir holds");
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("      aiex.npu.frobnicate {x = 1}\n"), "a.mlir"); }) ==
        "a.mlir:4: 'aiex.npu.frobnicate' is not an op the npu_insts.mlir encoder knows");
  CHECK(error_of([&] {
          encode_npu_insts_mlir(mlir("      aiex.npu.address_patch {addr = 118788 : ui32, arg_idx = -1 : i32, arg_plus = 0 : i32}\n"),
                                "a.mlir");
        }) == "a.mlir:4: address_patch of a negative argument (arg_idx = -1)");
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("      aiex.npu.write32 {address = 1 : ui32}\n"), "a.mlir"); }) ==
        "a.mlir:4: 'aiex.npu.write32' without its value attribute");
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("      aiex.npu.write32 {address = 4294967296 : ui32, value = 0 : ui32}\n"), "a.mlir"); }) ==
        "a.mlir:4: address 4294967296 is out of range");
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("      %0 = memref.get_global @nope : memref<2xi32>\n      aiex.npu.blockwrite(%0) {address = 0 : ui32} : memref<2xi32>\n"), "a.mlir"); }) ==
        "a.mlir:5: blockwrite of @nope: no memref.global of that name");
  CHECK(error_of([] { encode_npu_insts_mlir("module {\n  aie.device(npu2) {\n  }\n}\n", "b.mlir"); }) ==
        "b.mlir:2: device 'npu2': only npu1 (Phoenix) devices are encoded");
  CHECK(error_of([] { encode_npu_insts_mlir("module {\n  aie.device(npu1) {\n  }\n}\n", "b.mlir"); }) ==
        "b.mlir: no aiex.runtime_sequence in the file");
  CHECK(error_of([&] { encode_npu_insts_mlir(mlir("") + mlir("").substr(mlir("").find("aiex")), "c.mlir"); }).find(
            "a second") != std::string::npos);
}

TEST_CASE("Riallto .seq files are the legacy IPU stream and match their sources", "[npu_insts]") {
  // Per app, the ops its .mlir sequence asks for (Riallto's AIEX.ipu ops): an rtp_write is one
  // write32, a dma_memcpy_nd a shim BD write and a queue write32, a sync a sync.
  const std::string dir = shared_dir() + "/npu1/riallto-0593d004/binaries/";
  for (const std::string app : {"color_detect_720p", "color_threshold_v1_720p", "denoise_task_parallel_720p", "edge_detect_720p"}) {
    INFO(app);
    const std::string text = slurp(dir + app + ".mlir");
    auto count = [&](const std::string& needle) {
      size_t n = 0;
      for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
      return n;
    };
    const size_t rtp = count("ipu.rtp_write("), memcpy = count("ipu.dma_memcpy_nd"), sync = count("ipu.sync");
    const InstructionStream s = read_instruction_stream(dir + app + ".seq");
    CHECK(s.format == "ipu-legacy-txt");
    CHECK(s.first_buffer_kernel_arg == 2);
    CHECK(of_kind(s, NpuOpKind::Write32).size() == rtp + memcpy);
    CHECK(of_kind(s, NpuOpKind::WriteShimBd).size() == memcpy);
    CHECK(of_kind(s, NpuOpKind::Sync).size() == sync);
    CHECK(s.ops.size() == rtp + 2 * memcpy + sync);
    // The RTP values: rtp_write(col, row, index, value) -> write32 of that value.
    std::multiset<uint32_t> rtp_values, written;
    const std::regex re(R"(ipu\.rtp_write\(\s*(\d+),\s*(\d+),\s*(\d+),\s*(-?\d+)\s*\))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
      rtp_values.insert(static_cast<uint32_t>(std::stoll((*it)[4])));  // i32, as the word holds it
    for (const auto& op : of_kind(s, NpuOpKind::Write32))
      if (((op.address >> 20) & 0x1f) >= 2) written.insert(op.value);  // core-tile writes
    CHECK(written == rtp_values);
    // func.func @sequence(%in : memref<AxBxi32>, %out : ...): argument k holds A*B words.
    std::vector<uint64_t> arg_words;
    const size_t seq_at = text.find("func.func @sequence");
    REQUIRE(seq_at != std::string::npos);
    const std::string seq_line = text.substr(seq_at, text.find('\n', seq_at) - seq_at);
    const std::regex arg_re(R"(memref<([0-9x]+)xi32>)");
    for (auto it = std::sregex_iterator(seq_line.begin(), seq_line.end(), arg_re); it != std::sregex_iterator(); ++it) {
      uint64_t n = 1;
      std::stringstream dims((*it)[1].str());
      std::string d;
      while (std::getline(dims, d, 'x')) n *= std::stoull(d);
      arg_words.push_back(n);
    }
    const auto bds = of_kind(s, NpuOpKind::WriteShimBd);
    std::set<int> bd_args;
    for (const auto& bd : bds) {
      CHECK(bd.data.size() == 8);
      CHECK(bd.address == (uint64_t(bd.column) << 25 | (0x1D000u + 0x20u * uint32_t(bd.bd_id))));
      REQUIRE(bd.arg_index < static_cast<int>(arg_words.size()));
      CHECK(bd.data[0] == arg_words[bd.arg_index]);  // BD length in words = the whole argument
      bd_args.insert(bd.arg_index);
    }
    CHECK(bd_args.size() == arg_words.size());
  }
}

TEST_CASE("RyzenAI-SW transaction buffers are TXN 0.1 from aie-rt", "[npu_insts]") {
  const std::string dir = shared_dir() + "/npu1/ryzenai-sw-2a3c4afe/txn/";
  for (const std::string f : {"a8w8acc32_8_2048_2048.bin", "mladf_a8w8acc32_32_2048_51200.bin"}) {
    INFO(f);
    const InstructionStream s = read_instruction_stream(dir + f);
    CHECK(s.format == "txn-bin");
    CHECK(s.device_generation == 3);
    CHECK(s.columns == 5);
    CHECK(s.rows == 6);
    CHECK(s.words[2] == s.ops.size());
    // Every patch names one of the three GEMM buffers and a shim BD's address word (BD word 1).
    for (const auto& p : of_kind(s, NpuOpKind::DdrPatch)) {
      CHECK(p.arg_index >= 0);
      CHECK(p.arg_index <= 2);
      CHECK(((p.address >> 20) & 0x1f) == 0);
      CHECK((p.address & 0xFFFFF) >= 0x1D004);
      CHECK(((p.address & 0xFFFFF) - 0x1D004) % 0x20 == 0);
    }
  }
}

TEST_CASE("insts dump prints the format, the header and one line per op", "[npu_insts]") {
  using attncheck::testing::run_cli;
  const std::string dir = shared_dir() + "/aie2/iron-attention-4core-2025-11-03";
  const auto r = run_cli({"insts", "dump", dir + "/insts.txt"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(": txn-bin (txn-0.1), 288 words, 32 ops, sha256 ") != std::string::npos);
  CHECK(r.out.find("header: version 0.1, device generation 3, 6 rows, 4 columns, 1 mem tile row(s)") != std::string::npos);
  CHECK(r.out.find("runtime-sequence argument i is XRT kernel argument i + 3") != std::string::npos);
  CHECK(r.out.find("word 4: blockwrite 8 words at 0x0001D000 (col 0 row 0 +0x0001D000)\n") != std::string::npos);
  CHECK(r.out.find("word 16: ddr_patch 0x0001D004 (col 0 row 0 +0x0001D004) <- address of argument 0 + 0\n") != std::string::npos);
  size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  CHECK(lines == 3 + 32);

  const auto seq = run_cli({"insts", "dump", shared_dir() + "/npu1/riallto-0593d004/binaries/color_threshold_v1_720p.seq"});
  REQUIRE(seq.exit_code == 0);
  CHECK(seq.out.find("ipu-legacy-txt (ipu-legacy), 60 words, 10 ops") != std::string::npos);
  CHECK(seq.out.find("XRT kernel argument i + 2") != std::string::npos);

  attncheck::testing::TempDir d;
  {
    std::ofstream f(d.file("bad.txt"));
    f << "06030100\nnot-a-word\n";
  }
  const auto bad = run_cli({"insts", "dump", d.file("bad.txt")});
  CHECK(bad.exit_code == 2);
  REQUIRE(bad.err_lines().size() == 1);
  CHECK(bad.err_lines()[0].find(d.file("bad.txt") + ":2: 'not-a-word' is not one 32-bit hex word") != std::string::npos);
  const auto missing = run_cli({"insts", "dump", d.file("missing.bin")});
  CHECK(missing.exit_code == 2);
  REQUIRE(missing.err_lines().size() == 1);
  CHECK(missing.err_lines()[0].find("missing.bin") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
