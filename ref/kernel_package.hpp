// A kernel package: kernel.json and the files it names, parsed into what every backend expands (docs/kernel.schema.json).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attncheck {

// How a launch's buffers are cut from the inputs; each is one way a design's runtime sequence feeds
// its core, so a new revision picks one by name instead of the tools matching revision names.
enum class PackageLayout {
  // One launch per head: each input buffer packs named tensors of the head's tile (q, k, v: S x D
  // int8 each) back to back, the output buffer is the head's S x D tile. S and D are the tile's.
  head_tile,
  // One launch per (head, Q tile of tile.seq rows): buffer 0 holds the Q rows then int32 runtime
  // words, buffer 1 every K|V tile pair of the head; the core makes a max pass and an accumulate
  // pass over the pairs (entries begin, max_pass, acc_pass, finish). D = tile.dim, any S.
  q_tile_kv_stream,
};
std::string layout_name(PackageLayout l);

struct PackageArg {
  enum Kind { input, output, param } kind = input;
  std::string name;                  // buffer name (input/output) or parameter name
  std::vector<std::string> tensors;  // input: what it packs, in order; output: {"out"}
  size_t bytes = 0;                  // buffer size; 0 until the tile fixes it
  // param only: C type ("uint32" or "int32"), inclusive range, default, and whether the built design
  // fixes it (a backend running the built binary cannot honour an override).
  std::string type;
  int64_t default_value = 0, min = 0, max = 0;
  bool baked = false;
  std::string help;
  // input of q_tile_kv_stream only: the runtime words after the Q rows, by parameter name ("0": zero).
  std::vector<std::string> words;
};

struct KernelPackage {
  std::string name;
  std::string summary;
  std::string path;       // kernel.json as given (for messages)
  std::string dir;        // the package directory, absolute
  std::string sha256;     // of kernel.json's bytes; empty for a built-in
  bool builtin = false;
  std::vector<std::string> sources;       // absolute
  std::vector<std::string> include_dirs;  // absolute
  // head_tile: {"": symbol}; q_tile_kv_stream: role -> symbol.
  std::map<std::string, std::string> entries;
  PackageLayout layout = PackageLayout::head_tile;
  int64_t tile_seq = 0, tile_dim = 0;
  std::vector<PackageArg> args;  // in the entry's argument order (head_tile) or buffer order
  std::string model;             // a built-in integer model's name, or empty
  // Optional, absolute: the compiled core ELF, its placed design (for the simulator), the xclbin and
  // instruction stream (for the NPU), the mlir-aie design (for the stack check).
  std::string elf, physical, xclbin, insts, design;
  // Optional, absolute: a script of the same arithmetic `attncheck bench` races (numpy/torch).
  std::string peer;
  nlohmann::json json;  // kernel.json as read

  // The symbols the core calls, in a fixed order.
  std::vector<std::string> entry_symbols() const;
  std::vector<const PackageArg*> buffers() const;  // inputs in order, then the output
  std::vector<const PackageArg*> params() const;
  // "void attention_64x64(const int8_t*, int8_t*, uint32_t)": head_tile's C prototype.
  std::string prototype() const;
};

// The C declarations of every entry as the package's args (or layout) call them, with <stdint.h>:
// force-included into each source, so a definition with another argument list fails to compile at
// the user's line ("conflicting types for 'attention_64x64'").
std::string entry_declarations(const KernelPackage& pkg);

// The roles of q_tile_kv_stream's entries, in calling order.
const std::vector<std::string>& stream_entry_roles();

// Parses and checks kernel.json's document. `where` names the file in every message; `dir` is the
// package directory that relative paths resolve against. InputError "WHERE: PROBLEM" on one line.
KernelPackage parse_kernel_package(const nlohmann::json& j, const std::string& dir, const std::string& where);

// The largest buffer set one AIE2 compute tile can hold: 64 KiB of data memory, every ObjectFIFO
// double-buffered (depth 2), less the 1 KiB default stack.
constexpr size_t kAie2TileDataBytes = 64 * 1024;
constexpr size_t kAie2DefaultStackBytes = 1024;

}  // namespace attncheck
