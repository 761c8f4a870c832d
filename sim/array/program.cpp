// Loads an xclbin or PDI for the array simulator, finds the core ELFs beside it, and makes configured arrays.
#include "sim/array/program.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>

#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"

namespace attncheck::aie2::array {

ArrayProgram load_array_program(const std::string& xclbin, const std::string& pdi) {
  if (xclbin.empty() == pdi.empty()) throw InputError("the array simulator needs exactly one of an xclbin and a PDI");
  ArrayProgram p;
  p.path = xclbin.empty() ? pdi : xclbin;
  p.kind = xclbin.empty() ? "pdi" : "xclbin";
  p.image = read_device_image(p.path);
  p.sha256 = p.image.sha256;
  for (const auto& [key, t] : p.image.tiles)
    if (t.core_control_written && core_enabled(t.core_control)) p.cores.push_back(key);
  // The toolchain leaves main_core_C_R.elf beside main.pdi and the xclbin in the .prj folder.
  const auto dir = std::filesystem::path(p.path).parent_path();
  for (const auto& [col, row] : p.cores) {
    const auto f = dir / ("main_core_" + std::to_string(col) + "_" + std::to_string(row) + ".elf");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) continue;
    try {
      Elf e = read_elf(f.string());
      if (compare_with_elf(p.image, col, row, e).empty()) p.symbol_elfs.emplace(std::make_pair(col, row), std::move(e));
    } catch (const InputError&) {
      // A file beside the image that is not its ELF only costs the function names.
    }
  }
  return p;
}

std::unique_ptr<Array> make_array(const ArrayProgram& prog, ArrayOptions opt) {
  opt.core_elf = [&prog](int col, int row) -> const Elf* {
    auto it = prog.symbol_elfs.find({col, row});
    return it == prog.symbol_elfs.end() ? nullptr : &it->second;
  };
  // A partition that can start at column 0 only covers the columns its CDO names from 0 on: the
  // physical column of each tile is the design's (docs/aie2.md, CORE_ID).
  opt.core_id_known = prog.image.partition_start_columns == std::vector<int>{0};
  auto a = std::make_unique<Array>(std::move(opt));
  try {
    a->configure(prog.image);
  } catch (const SimError& e) {
    throw InputError(e.what());
  }
  return a;
}

size_t ring_period(const ArrayProgram& prog) {
  Array a;
  a.configure(prog.image);
  return a.ring_period();
}

std::vector<int> patched_arguments(const InstructionStream& insts) {
  std::set<int> s;
  for (const auto& op : insts.ops)
    if (op.kind == NpuOpKind::DdrPatch || op.kind == NpuOpKind::WriteShimBd) s.insert(op.arg_index + insts.first_buffer_kernel_arg);
  return {s.begin(), s.end()};
}

// Run by run: within one run of d0 the offsets grow by d0's step (steps are at least one word),
// so a run's last word is its furthest; a 720p BD is 921,600 words, and walking them one by one
// was most of a short design's set-up.
int64_t furthest_word(const BufferDescriptor& bd) {
  AddressPattern p(bd, 0);
  int64_t hi = 0;
  for (uint32_t left = p.words(); left;) {
    const uint32_t n = p.run_length();
    const int64_t first = p.take(n);
    hi = std::max({hi, first, first + static_cast<int64_t>(n - 1) * p.stride_words()});
    left -= n;
  }
  return hi;
}

std::map<int, uint64_t> argument_extents(const InstructionStream& insts) {
  std::map<uint64_t, uint32_t> shadow;  // the registers as the stream has written them so far
  std::map<int, uint64_t> out;
  // The bytes past the argument's address the BD reaches: the patch offset plus its furthest word.
  auto note_extent = [&](const BufferDescriptor& bd, const NpuOp& op) {
    if (bd.length > (256u << 20) / 4)
      throw InputError(insts.path + ": word " + std::to_string(op.word_index) + ": the shim BD moves " + std::to_string(bd.length) +
                       " words, more than a 256 MiB host buffer");
    const int64_t hi = furthest_word(bd);
    uint64_t& e = out[op.arg_index + insts.first_buffer_kernel_arg];
    e = std::max(e, op.arg_offset + (bd.length ? 4 * static_cast<uint64_t>(hi) + 4 : 0));
  };
  for (const auto& op : insts.ops) {
    switch (op.kind) {
      case NpuOpKind::Write32: shadow[op.address] = op.value; break;
      case NpuOpKind::MaskWrite: shadow[op.address] = (shadow[op.address] & ~op.mask) | (op.value & op.mask); break;
      case NpuOpKind::BlockWrite:
        for (size_t k = 0; k < op.data.size(); ++k) shadow[op.address + 4 * k] = op.data[k];
        break;
      case NpuOpKind::DdrPatch: {
        const RegisterAddress a = split_address(op.address);
        const TileKind kind = npu1_tile_kind(a.col, a.row);
        const RegHit hit = classify(kind, a.offset);
        if (kind != TileKind::Shim || hit.kind != RegKind::Bd)
          throw InputError(insts.path + ": word " + std::to_string(op.word_index) + ": a DDR patch of " + register_name(kind, a.offset) +
                           ", which is not a shim buffer descriptor");
        const TileLayout& L = layout(kind);
        const uint64_t base = op.address - 4 * static_cast<uint64_t>(hit.word);
        std::vector<uint32_t> words(L.bd_words);
        for (int w = 0; w < L.bd_words; ++w) words[w] = shadow.count(base + 4 * w) ? shadow[base + 4 * w] : 0;
        note_extent(decode_bd(kind, words.data()), op);
        break;
      }
      case NpuOpKind::WriteShimBd: {
        if (op.data.size() != static_cast<size_t>(layout(TileKind::Shim).bd_words))
          throw InputError(insts.path + ": word " + std::to_string(op.word_index) + ": a shim BD of " + std::to_string(op.data.size()) + " words");
        note_extent(decode_bd(TileKind::Shim, op.data.data()), op);
        break;
      }
      default: break;
    }
  }
  return out;
}

}  // namespace attncheck::aie2::array
