// Where a device output differs from the model: per-head counts, contiguous row ranges, the input bytes behind them, and a one-sentence summary.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/metrics.hpp"
#include "ref/tensor.hpp"

namespace attncheck {

// The input bytes one device launch reads for its output rows (built from the revision's
// LaunchPlan by npu/launch_loop.hpp's launch_spans): output row r of `head`, first_row <= r <
// first_row + rows, reads row_bytes bytes at row_offset + (r - first_row) * row_bytes of
// row_buffer, and every row of the launch also reads `shared`.
struct LaunchSpan {
  size_t launch = 0;
  int64_t head = 0, first_row = 0, rows = 0;
  std::string row_buffer;
  int row_group_id = 0;
  size_t row_offset = 0, row_bytes = 0;
  std::string shared;
};

struct RowRange {
  int64_t head = 0, first_row = 0, last_row = 0;  // inclusive
  size_t mismatches = 0;
  int64_t full_rows = 0;  // rows of the range in which every element differs
  // When spans were given: the launch and the row-buffer bytes [byte_begin, byte_end] the range's
  // rows read. A range that crosses launches is split, so each range has one launch.
  std::optional<LaunchSpan> span;
  size_t byte_begin = 0, byte_end = 0;
};

struct Localization {
  std::vector<size_t> per_head;          // mismatching elements per head
  std::vector<RowRange> ranges;          // at most kMaxRanges, in index order
  size_t range_count = 0;                // all of them
  std::optional<double> constant_offset;  // device - model, when the same for every mismatch
  size_t zero_rows = 0;                  // mismatching rows the device left all zero
  size_t untouched_rows = 0;             // mismatching rows that hold the runner's sentinel in every element
  std::string summary;                   // one sentence
};

constexpr size_t kMaxRanges = 64;
// The NPU runner's sentinel byte 0x5A read as int8.
constexpr double kSentinelValue = 90;

// `spans` may be empty (arrays from `compare` carry no layout). Shapes must match (as compare_to_model).
Localization localize(const DoubleTensor& dut, const DoubleTensor& model, const VsModel& vm,
                      const std::vector<LaunchSpan>& spans = {});

// The fields added to the report's vs_model object: mismatches_per_head always, pattern when not bit-exact.
void add_localization(nlohmann::json* vs_model, const Localization& loc, bool bit_exact);

// What the simulator's write watch saw one launch's core do to its input buffer: which functions
// stored into it, and which bytes were overwritten before the core first read them. Offsets are
// in the launch's row buffer (LaunchSpan::row_buffer), as the design places it.
struct InputWriter {
  std::string function;
  size_t first_byte = 0, last_byte = 0, bytes = 0, stores = 0;
  uint32_t min_sp = 0, max_sp = 0;
  bool in_frame = false;  // every store landed below SP: the function's own stack frame
};
struct InputWrites {
  size_t launch = 0;
  std::string buffer;  // the design's name for the buffer, e.g. of_QKV_cons_buff_0
  std::vector<InputWriter> writers;
  std::vector<std::pair<size_t, size_t>> clobbered;  // inclusive ranges overwritten before first read
};

// Whether the watched writes explain the mismatches: a row is predicted wrong when a byte it
// reads (its row bytes, or any shared byte of its launch) was overwritten before its first read.
struct Attribution {
  bool any_writes = false;
  bool explained = false;  // every mismatching row is predicted
  size_t predicted_rows = 0, mismatching_rows = 0, unexplained_rows = 0, predicted_but_exact = 0;
  std::string summary;     // one sentence
  nlohmann::json json;
};
Attribution attribute_writes(const std::vector<LaunchSpan>& spans, const std::vector<InputWrites>& writes,
                             const VsModel& vm);

}  // namespace attncheck
