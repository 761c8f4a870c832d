// AMD Riallto's 720p applications run whole frames on the array simulator (xclbin + .seq, as the host hands them to XRT) and equal host references written from their kernels' sources, bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "fixtures/testing/test_support.hpp"
#include "sim/array/program.hpp"
#include "sim/load/npu_insts.hpp"
#include "sim/core/vector_unit.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using namespace attncheck::aie2;
using namespace attncheck::testing;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr int kWidth = 1280, kHeight = 720, kFrameBytes = kWidth * kHeight * 4;

std::string riallto(const std::string& app, const std::string& ext) {
  return shared_dir() + "/npu1/riallto-0593d004/binaries/" + app + "." + ext;
}

// The three frames every application is held to: random bytes; a gradient (each channel its own
// ramp over x and y); and a "natural" image made from a test pattern: colour bars under a smooth
// radial shading, with a zone plate and mild noise, so neighbouring pixels are correlated as in a
// photograph and every value 0..255 occurs.
Bytes random_frame(uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes f(kFrameBytes);
  for (auto& b : f) b = static_cast<uint8_t>(rng());
  return f;
}
Bytes gradient_frame() {
  Bytes f(kFrameBytes);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      uint8_t* p = &f[4 * (y * kWidth + x)];
      p[0] = static_cast<uint8_t>(x * 255 / (kWidth - 1));
      p[1] = static_cast<uint8_t>(y * 255 / (kHeight - 1));
      p[2] = static_cast<uint8_t>((x + y) & 0xFF);
      p[3] = static_cast<uint8_t>(255 - x * 255 / (kWidth - 1));
    }
  return f;
}
Bytes pattern_frame(uint32_t seed) {
  static const uint8_t bars[8][3] = {{235, 235, 235}, {235, 235, 16}, {16, 235, 235}, {16, 235, 16},
                                     {235, 16, 235},  {235, 16, 16},  {16, 16, 235},  {16, 16, 16}};
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 3.0);
  Bytes f(kFrameBytes);
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const double dx = x - kWidth / 2.0, dy = y - kHeight / 2.0, r2 = dx * dx + dy * dy;
      const double shade = 1.0 - 0.45 * r2 / (kWidth * kWidth / 4.0 + kHeight * kHeight / 4.0);
      const double zone = 0.5 + 0.5 * std::cos(r2 * 0.0004);
      uint8_t* p = &f[4 * (y * kWidth + x)];
      for (int c = 0; c < 3; ++c) {
        double v = y < kHeight * 2 / 3 ? bars[x * 8 / kWidth][c] * shade : 255.0 * zone;
        v += noise(rng);
        p[c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      }
      p[3] = static_cast<uint8_t>(std::clamp(128.0 + 100.0 * std::sin(x * 0.01) * std::cos(y * 0.013) + noise(rng), 0.0, 255.0));
    }
  return f;
}

// The application's .seq with its run-time parameters replaced: Riallto's host writes them as
// write32s into the core's `rtp` buffer (color_threshold_v1_720p.mlir: AIEX.ipu.rtp_write; the
// .seq holds them as `02000200 / <address> / <value>` triples at 0x2C00 + 4 k).
std::string seq_with_rtps(const TempDir& dir, const std::string& app, const std::vector<uint32_t>& rtps) {
  std::ifstream in(riallto(app, "seq"));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t written = 0;
  for (size_t k = 0; k + 1 < lines.size(); ++k)
    for (size_t r = 0; r < rtps.size(); ++r) {
      char addr[16];
      std::snprintf(addr, sizeof addr, "%08X", static_cast<unsigned>(0x2C00 + 4 * r));
      if (lines[k] == addr && k > 0 && lines[k - 1] == "02000200") {
        char v[16];
        std::snprintf(v, sizeof v, "%08X", rtps[r]);
        lines[k + 1] = v;
        ++written;
      }
    }
  REQUIRE(written == rtps.size());
  const std::string path = dir.file(app + ".seq");
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
  return path;
}

// `rules`: the run's (a mutation test's own).
Bytes run_app(const std::string& app, const std::string& seq, const Bytes& frame, size_t out_bytes, const Rules& rules = Rules{}) {
  const array::ArrayProgram ap = array::load_array_program(riallto(app, "xclbin"), "");
  const InstructionStream insts = read_instruction_stream(seq);
  array::ArrayOptions opt;
  opt.rules = rules;
  auto a = array::make_array(ap, opt);
  Bytes in = frame, out(out_bytes, 0x5A);
  a->call(insts, {{2, &in}, {3, &out}});
  return out;
}

// Where two frames first differ, named as a pixel: "" when they are equal.
std::string first_difference(const Bytes& got, const Bytes& want, int channels) {
  if (got.size() != want.size()) return "sizes differ: " + std::to_string(got.size()) + " vs " + std::to_string(want.size());
  const auto m = std::mismatch(got.begin(), got.end(), want.begin());
  if (m.first == got.end()) return "";
  const size_t i = static_cast<size_t>(m.first - got.begin());
  size_t differing = 0;
  for (size_t k = i; k < got.size(); ++k) differing += got[k] != want[k];
  std::ostringstream s;
  s << differing << " of " << got.size() << " bytes differ; the first is byte " << i << " (line " << i / channels / kWidth << ", pixel "
    << i / channels % kWidth << ", channel " << i % channels << "): got " << int(*m.first) << ", want " << int(*m.second);
  return s.str();
}

// mlir-aie aie_kernels threshold.cc, threshold4Ch_aie<uint8_t, 64> (what color_threshold_v1_720p
// links: `threshold4ChLine`, link_with = "threshold.o"): per channel c of each RGBA pixel,
// with t = thresholdValue_c and m = maxValue_c (255, the design's %maxValue), by thresholdType:
// TRUNC (2) and any type outside 0..4: min(t, src); BINARY (0): lt(t, src) ? m : 0; BINARY_INV (1):
// lt(t, src) ? 0 : m; TOZERO (3): lt(t, src) ? src : 0; TOZERO_INV (4): lt(t, src) ? 0 : src.
// aie::lt and aie::min on uint8_t compare unsigned. The design passes i16 values to uint8_t
// parameters: the low 8 bits.
Bytes threshold_reference(const Bytes& in, const uint32_t t[4], uint32_t type) {
  Bytes out(in.size());
  const uint8_t m = 255;
  for (size_t i = 0; i < in.size(); ++i) {
    const uint8_t s = in[i], th = static_cast<uint8_t>(t[i % 4]);
    const bool lt = th < s;
    switch (static_cast<uint8_t>(type)) {
      case 0: out[i] = lt ? m : 0; break;
      case 1: out[i] = lt ? 0 : m; break;
      case 3: out[i] = lt ? s : 0; break;
      case 4: out[i] = lt ? 0 : s; break;
      default: out[i] = std::min(th, s); break;
    }
  }
  return out;
}

// What the simulator finds the binary computes, under llvm-aie's rules for vlt (bit i = s1[i] <
// s2[i]) and vsel (a 1 bit takes the second source): threshold.cc's TRUNC and default arms exactly,
// and for the other four types the arm of the type's pair partner: type 0 computes BINARY_INV, 1
// BINARY, 3 TOZERO_INV, 4 TOZERO. Chess laid the arms out in case-value order (the jump table at
// 0x72C54 sends 0..4 to 0xA90, 0xB40, 0xBF0, 0xC80, 0xD30) and arm 0 holds `vlt m, thresh, data;
// vsel d, max, zeros, m`: source order would be `vsel d, zeros, max, m`. So either the object
// Riallto linked was built from another source than mlir-aie's threshold.cc (Riallto ships none for
// threshold4ChLine; its own threshold_rgba.cpp has a BINARY_INV arm equal to BINARY), or one of the
// two rules differs on hardware. rgba2hue in color_detect_720p uses vsel after veqz as the source
// says (`select(prev, new, eq)` -> `vsel d, prev, new, m`), which is the vsel rule. Reported in
// docs/aie2-vector.md; the test pins what the binary computes under the rules.
uint32_t arm_the_binary_runs(uint32_t type) {
  switch (static_cast<uint8_t>(type)) {
    case 0: return 1;
    case 1: return 0;
    case 3: return 4;
    case 4: return 3;
    default: return type;
  }
}


// The .seq with some of its write32s changed: `0200RR00 / <address> / <value>` writes `value` at
// `address` of the core tile in row RR (how the .seq holds AIEX.ipu.rtp_write: denoise's rtp04 at
// 0x2200 of tile (0,4), rtp05 at 0x0E00 of tile (0,5)). Every write named must be found.
struct SeqWrite {
  int row;
  uint32_t address, value;
};
std::string seq_with_writes(const TempDir& dir, const std::string& app, const std::vector<SeqWrite>& writes) {
  std::ifstream in(riallto(app, "seq"));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t written = 0;
  for (const auto& w : writes) {
    char op[16], addr[16], v[16];
    std::snprintf(op, sizeof op, "0200%02X00", w.row);
    std::snprintf(addr, sizeof addr, "%08X", w.address);
    std::snprintf(v, sizeof v, "%08X", w.value);
    for (size_t k = 1; k + 1 < lines.size(); ++k)
      if (lines[k] == addr && lines[k - 1] == op) lines[k + 1] = v, ++written;
  }
  REQUIRE(written == writes.size());
  const std::string path = dir.file(app + ".seq");
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
  return path;
}

// mlir-aie aie_kernels/aie2/rgba2gray.cc (rgba2grayLine; the binary's loop is the
// `accumulate<32>(WT, 0, r, g, b, c1)` form): acc32 lanes WT0 r + WT1 g + WT2 b + WT3 * 1 with
// WT = (round(0.299 * 2^15), round(0.587 * 2^15), round(0.114 * 2^15), 2^14) = (9798, 19235, 3736,
// 16384), then to_vector<uint8_t>(15): shift right 15 rounding by crRnd, which no core writes
// (reset 0: floor), saturating by crSat (the sum stays within 0..255 after the shift either way).
Bytes gray_reference(const Bytes& rgba) {
  Bytes g(rgba.size() / 4);
  for (size_t i = 0; i < g.size(); ++i) {
    const int64_t acc = 9798 * rgba[4 * i] + 19235 * rgba[4 * i + 1] + 3736 * rgba[4 * i + 2] + 16384;
    g[i] = static_cast<uint8_t>(acc >> 15);  // floor: an arithmetic shift (acc >= 0 here)
  }
  return g;
}

// Riallto kernels/median.cpp (median1DLine): per line, out[i] = median of in[i-1], in[i], in[i+1]
// as vsort3 computes it (max(min(a, b), min(max(a, b), c)) on uint8), the first pixel's left
// neighbour itself (shuffle_up_replicate) and the last pixel's right neighbour itself
// (shuffle_down_replicate; the source's `line2[nbytes-cnt] = ...` names lane 32 of a 32-lane vector).
Bytes median_reference(const Bytes& g) {
  Bytes m(g.size());
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const uint8_t* l = &g[static_cast<size_t>(y) * kWidth];
      const int a = l[std::max(x - 1, 0)], b = l[x], c = l[std::min(x + 1, kWidth - 1)];
      m[static_cast<size_t>(y) * kWidth + x] = static_cast<uint8_t>(std::max(std::min(a, b), std::min(std::max(a, b), c)));
    }
  return m;
}

// mlir-aie aie_kernels/aie2/addWeighted.cc (addWeightedLine, uint8_t, N = 32): set_saturation
// (crSat 1), gamma_acc = from_vector(gamma, 0) (gamma in every acc32 lane), acc = gamma_acc +
// alpha in1 + beta in2 (accumulate<N>(gamma_acc, coeff, 0, in1, in2)), out = to_vector<uint8_t>(14):
// floor (crRnd 0) of acc / 2^14, saturated to 0..255.
Bytes add_weighted_reference(const Bytes& in1, const Bytes& in2, int16_t alpha, int16_t beta, uint8_t gamma) {
  Bytes o(in1.size());
  for (size_t i = 0; i < o.size(); ++i) {
    const int64_t acc = gamma + int64_t{alpha} * in1[i] + int64_t{beta} * in2[i];
    o[i] = static_cast<uint8_t>(std::clamp<int64_t>(acc >> 14, 0, 255));  // >> on a negative value: floor
  }
  return o;
}

// mlir-aie threshold.cc threshold_aie<uint8_t, 64> (thresholdLine) with thresh t and max m:
// TRUNC (2) and types outside 0..4 min(t, src); BINARY (0) lt(t, src) ? m : 0; BINARY_INV (1)
// lt(t, src) ? 0 : m; TOZERO (3) lt(t, src) ? src : 0; TOZERO_INV (4) lt(t, src) ? 0 : src.
Bytes threshold1_reference(const Bytes& in, uint8_t t, uint8_t m, uint32_t type) {
  Bytes o(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const uint8_t s = in[i];
    const bool lt = t < s;
    switch (static_cast<uint8_t>(type)) {
      case 0: o[i] = lt ? m : 0; break;
      case 1: o[i] = lt ? 0 : m; break;
      case 3: o[i] = lt ? s : 0; break;
      case 4: o[i] = lt ? 0 : s; break;
      default: o[i] = std::min(t, s); break;
    }
  }
  return o;
}

// denoise_task_parallel_720p.mlir: gray = rgba2gray(frame) on (0,2); med = median1D(gray) on
// (0,3); aw = addWeighted(gray, med, alpha, beta, gamma) on (0,4) (rtp04: the RTPs truncated to
// i16, i16, i8); out = threshold(aw, value, max, type) on (0,5) (rtp05, each truncated to i16 and
// passed to uint8_t parameters: the low 8 bits).
struct DenoiseParams {
  int32_t alpha = 16384, beta = -16384, gamma = 0, value = 10, type = 0, max = 255;  // the .seq's own
};
// `arm` is the threshold type whose source arm is applied (the binary's, see arm_the_binary_runs).
Bytes denoise_reference(const Bytes& frame, const DenoiseParams& p, uint32_t arm) {
  const Bytes gray = gray_reference(frame);
  const Bytes aw = add_weighted_reference(gray, median_reference(gray), static_cast<int16_t>(p.alpha), static_cast<int16_t>(p.beta),
                                          static_cast<uint8_t>(p.gamma));
  return threshold1_reference(aw, static_cast<uint8_t>(p.value), static_cast<uint8_t>(p.max), arm);
}
std::string denoise_seq(const TempDir& dir, const DenoiseParams& p) {
  return seq_with_writes(dir, "denoise_task_parallel_720p",
                         {{4, 0x2200, static_cast<uint32_t>(p.alpha)}, {4, 0x2204, static_cast<uint32_t>(p.beta)},
                          {4, 0x2208, static_cast<uint32_t>(p.gamma)}, {5, 0x0E00, static_cast<uint32_t>(p.value)},
                          {5, 0x0E04, static_cast<uint32_t>(p.type)}, {5, 0x0E08, static_cast<uint32_t>(p.max)}});
}

// Riallto kernels/filter2d.h, filter2d_3lines_aie (what edge_detect's filter2d.cc.o computes,
// filter2dLine(line0, line1, line2, out, 1280, kernel)), followed vector by vector as its aie_api
// calls specify: kernel_vec[8r + c] = kernel[r][c] >> 8 (int8; lanes 8r+3..8r+7 zero);
// data_buf = 64 uint8 lanes; shuffle_up_replicate(v, 1): lane 0 = v[0], lane i = v[i-1];
// shuffle_up_fill(v, f, 1): lane 0 = f[63], lane i = v[i-1]; shuffle_down_replicate(v, 32):
// lane i = v[min(i + 32, 63)]; sliding_mul_xy_ops<32, 8, 1, 1, int8, uint8>::mul / mac(coeff,
// 8r, data, 0): lane i += sum_k coeff[8r + k] data[i + k]; to_vector<uint8>(12 - 8): shift 4,
// floor (crRnd 0), saturated to 0..255 (set_sat). This version stores prev_buf after the shuffle,
// so from the third 32-pixel block on a block's first pixel takes the pixel two to its left as its
// left neighbour (mlir-aie's later filter2d.cc fixes exactly that; the binary is the older one).
Bytes filter2d_line_reference(const uint8_t* l0, const uint8_t* l1, const uint8_t* l2, const int16_t kernel[9]) {
  int8_t coeff[24] = {};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) coeff[8 * r + c] = static_cast<int8_t>(kernel[3 * r + c] >> 8);
  const uint8_t* line[3] = {l0, l1, l2};
  uint8_t data[3][64], prev[3][64] = {};
  Bytes out;
  auto emit = [&]() {
    for (int i = 0; i < 32; ++i) {
      int64_t acc = 0;
      for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 8; ++k) acc += coeff[8 * r + k] * data[r][i + k];
      out.push_back(static_cast<uint8_t>(std::clamp<int64_t>(acc >> 4, 0, 255)));
    }
  };
  auto shuffle_up_fill = [](uint8_t* v, const uint8_t* fill) {
    uint8_t t[64];
    t[0] = fill[63];
    std::memcpy(t + 1, v, 63);
    std::memcpy(v, t, 64);
  };
  for (int r = 0; r < 3; ++r) {
    std::memcpy(data[r], line[r], 32);
    line[r] += 32;
    std::memcpy(data[r] + 32, line[r], 32);
    std::memcpy(prev[r] + 32, data[r], 32);
    uint8_t t[64];
    t[0] = data[r][0];
    std::memcpy(t + 1, data[r], 63);  // shuffle_up_replicate(data, 1)
    std::memcpy(data[r], t, 64);
  }
  emit();
  for (int i = 64; i < kWidth - 1; i += 32) {
    for (int r = 0; r < 3; ++r) {
      std::memcpy(data[r], line[r], 32);
      line[r] += 32;
      std::memcpy(data[r] + 32, line[r], 32);
      shuffle_up_fill(data[r], prev[r]);
      std::memcpy(prev[r] + 32, data[r], 32);  // after the shuffle, as this source has it
    }
    emit();
  }
  for (int r = 0; r < 3; ++r) {
    std::memcpy(data[r] + 32, line[r], 32);
    uint8_t t[64];
    for (int i = 0; i < 64; ++i) t[i] = data[r][std::min(i + 32, 63)];  // shuffle_down_replicate(data, 32)
    std::memcpy(data[r], t, 64);
    shuffle_up_fill(data[r], prev[r]);
  }
  emit();
  return out;
}

// edge_detect_720p.mlir: gray = rgba2gray(frame) (0,2); f = filter2d over lines (0, 0, 1), (y-1,
// y, y+1), (718, 719, 719) with the 3x3 kernel from rtp1 (0,3); t = threshold(f, rtp2 value, 255,
// type 0) (0,4); out = addWeighted(gray2rgba(t), frame, alpha, beta, gamma) over 5120 bytes a line
// (0,5; rtp3). gray2rgba (Riallto kernels/gray2rgba.cpp): each gray byte four times, lane 4i+3
// or-ed with 255 (alpha255).
struct EdgeParams {
  int16_t kernel[9] = {0, -4096, 0, -4096, 16384, -4096, 0, -4096, 0};  // Riallto's EDGE operator in Q12
  int32_t threshold = 10, alpha = 16384, beta = 16384, gamma = 0;
};
Bytes edge_reference(const Bytes& frame, const EdgeParams& p, uint32_t arm) {
  const Bytes gray = gray_reference(frame);
  Bytes filtered(gray.size());
  for (int y = 0; y < kHeight; ++y) {
    const uint8_t* row = &gray[0];
    const uint8_t* a = row + static_cast<size_t>(std::max(y - 1, 0)) * kWidth;
    const uint8_t* b = row + static_cast<size_t>(y) * kWidth;
    const uint8_t* c = row + static_cast<size_t>(std::min(y + 1, kHeight - 1)) * kWidth;
    const Bytes line = filter2d_line_reference(a, b, c, p.kernel);
    std::copy(line.begin(), line.end(), filtered.begin() + static_cast<long>(y) * kWidth);
  }
  const Bytes t = threshold1_reference(filtered, static_cast<uint8_t>(p.threshold), 255, arm);
  Bytes rgba(frame.size());
  for (size_t i = 0; i < t.size(); ++i) rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = t[i], rgba[4 * i + 3] = 255;
  return add_weighted_reference(rgba, frame, static_cast<int16_t>(p.alpha), static_cast<int16_t>(p.beta), static_cast<uint8_t>(p.gamma));
}
std::string edge_seq(const TempDir& dir, const EdgeParams& p) {
  std::vector<SeqWrite> w = {{5, 0xCC00, static_cast<uint32_t>(p.alpha)}, {5, 0xCC04, static_cast<uint32_t>(p.beta)},
                             {5, 0xCC08, static_cast<uint32_t>(p.gamma)}, {4, 0x0E00, static_cast<uint32_t>(p.threshold)}};
  for (int k = 0; k < 9; ++k) w.push_back({3, static_cast<uint32_t>(0x0E00 + 4 * k), static_cast<uint32_t>(static_cast<int32_t>(p.kernel[k]))});
  return seq_with_writes(dir, "edge_detect_720p", w);
}

}  // namespace

TEST_CASE("riallto: color_threshold_v1_720p runs whole 720p frames: threshold.cc's arithmetic on every threshold type, the binary's own arm order on four") {
  TempDir dir;
  const Bytes frames[3] = {random_frame(20261206), gradient_frame(), pattern_frame(5)};
  const char* frame_names[3] = {"random", "gradient", "test pattern"};
  std::mt19937 rng(1);
  // Every type on the random frame (5 = outside 0..4: the default arm), two on the others.
  const std::vector<std::pair<int, uint32_t>> runs = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5},
                                                      {1, 0}, {1, 2}, {2, 3}, {2, 5}};
  // Under the sanitizers (ten times slower) the first three runs: types 0, 1 and 2 on the random frame.
  for (size_t k = 0; k < testing::scaled(runs.size(), 3); ++k) {
    const auto& [f, type] = runs[k];
    uint32_t t[4];
    for (auto& v : t) v = rng() & 0xFF;
    t[3] = 200 + (rng() % 56);  // include thresholds of 128 and above: unsigned comparisons differ from signed there
    const std::string seq = seq_with_rtps(dir, "color_threshold_v1_720p", {t[0], t[1], t[2], t[3], type});
    INFO(frame_names[f] << " frame, type " << type << ", thresholds " << t[0] << " " << t[1] << " " << t[2] << " " << t[3]);
    const Bytes got = run_app("color_threshold_v1_720p", seq, frames[f], kFrameBytes);
    CHECK(first_difference(got, threshold_reference(frames[f], t, arm_the_binary_runs(type)), 4) == "");
    // Where the binary's arm is not the source's, the difference is the whole arm, nothing else.
    if (arm_the_binary_runs(type) != type) CHECK(first_difference(got, threshold_reference(frames[f], t, type), 4) != "");
  }
}

TEST_CASE("riallto mutations: crVaddSign read the wrong way round, or vsel's sources swapped, fail color_threshold naming the first differing pixel") {
  TempDir dir;
  const Bytes frame = random_frame(3);
  const uint32_t t[4] = {40, 90, 160, 230};
  const std::string seq = seq_with_rtps(dir, "color_threshold_v1_720p", {t[0], t[1], t[2], t[3], 0});
  const Bytes want = threshold_reference(frame, t, arm_the_binary_runs(0));
  REQUIRE(first_difference(run_app("color_threshold_v1_720p", seq, frame, kFrameBytes), want, 4) == "");
  Rules signed_rules, swapped_rules;
  signed_rules.vector.vadd_sign_inverted = true;
  swapped_rules.vector.vsel_inverted = true;
  const std::string signed_cmp = first_difference(run_app("color_threshold_v1_720p", seq, frame, kFrameBytes, signed_rules), want, 4);
  const std::string swapped = first_difference(run_app("color_threshold_v1_720p", seq, frame, kFrameBytes, swapped_rules), want, 4);
  INFO("signed: " << signed_cmp << "\nswapped: " << swapped);
  CHECK(signed_cmp.find("the first is byte") != std::string::npos);
  CHECK(swapped.find("the first is byte 0 (line 0, pixel 0, channel 0)") != std::string::npos);  // every byte flips
}

TEST_CASE("riallto: denoise_task_parallel_720p runs whole 720p frames equal to its four kernels' sources (rgba2gray, median, addWeighted, threshold)") {
  TempDir dir;
  const Bytes frames[3] = {random_frame(20261207), gradient_frame(), pattern_frame(6)};
  const char* frame_names[3] = {"random", "gradient", "test pattern"};
  // The .seq's own parameters (noise out: gray - median, binary threshold at 10) on every frame,
  // then weights that round (alpha 0.3, beta 0.7 with a gamma) and the other threshold types.
  DenoiseParams own, blend;
  blend.alpha = 4915, blend.beta = 11469, blend.gamma = 7, blend.value = 100, blend.type = 3;
  DenoiseParams negative;  // -median + gray with a large gamma: negative sums saturate to 0
  negative.alpha = -9000, negative.beta = 20000, negative.gamma = 200, negative.value = 60, negative.type = 1;
  DenoiseParams trunc;  // TRUNC (2): the one arm the source and binary agree on; min(200, gray + (gray - median) / 2)
  trunc.alpha = 24576, trunc.beta = -8192, trunc.gamma = 3, trunc.value = 200, trunc.type = 2;
  const std::vector<std::pair<int, DenoiseParams>> runs = {{0, own}, {1, own}, {2, own}, {2, blend}, {0, negative}, {1, trunc}};
  for (size_t k = 0; k < testing::scaled(runs.size(), 1); ++k) {
    const auto& [f, p] = runs[k];
    INFO(frame_names[f] << " frame, alpha " << p.alpha << " beta " << p.beta << " gamma " << p.gamma << " threshold " << p.value
                        << " type " << p.type);
    const Bytes got = run_app("denoise_task_parallel_720p", denoise_seq(dir, p), frames[f], kFrameBytes / 4);
    // threshold.o here pairs the types as color_threshold's threshold4ChLine does (0 <-> 1, 3 <-> 4;
    // docs/aie2-vector.md): the binary's arm matches, the source's own differs.
    const uint32_t arm = arm_the_binary_runs(static_cast<uint32_t>(p.type));
    CHECK(first_difference(got, denoise_reference(frames[f], p, arm), 1) == "");
    if (arm != static_cast<uint32_t>(p.type)) CHECK(first_difference(got, denoise_reference(frames[f], p, p.type), 1) != "");
  }
}

TEST_CASE("riallto: edge_detect_720p runs whole 720p frames equal to its five kernels' sources (rgba2gray, filter2d, threshold, gray2rgba, addWeighted)") {
  TempDir dir;
  const Bytes frames[3] = {random_frame(20261208), gradient_frame(), pattern_frame(7)};
  const char* frame_names[3] = {"random", "gradient", "test pattern"};
  EdgeParams edge;  // Riallto's EDGE operator, both weights 1.0, threshold 10
  EdgeParams sobel;  // SOBEL_X, which makes negative sums (saturating to 0), an edge overlay at 0.7 / 0.3 with a gamma
  const int16_t sobel_x[9] = {4096, 0, -4096, 8192, 0, -8192, 4096, 0, -4096};
  std::copy(sobel_x, sobel_x + 9, sobel.kernel);
  sobel.threshold = 40, sobel.alpha = 11469, sobel.beta = 4915, sobel.gamma = 9;
  EdgeParams sharpen;  // SHARPEN with weights that do not divide evenly and a kernel entry with low bits (dropped by >> 8)
  const int16_t sharpen_k[9] = {0, -4096, 0, -4096, 20480, -4096, 0, -4096, 100};
  std::copy(sharpen_k, sharpen_k + 9, sharpen.kernel);
  sharpen.threshold = 200, sharpen.alpha = 7000, sharpen.beta = 12000, sharpen.gamma = 250;
  const std::vector<std::pair<int, EdgeParams>> runs = {{0, edge}, {1, edge}, {2, edge}, {2, sobel}, {0, sharpen}};
  for (size_t k = 0; k < testing::scaled(runs.size(), 1); ++k) {
    const auto& [f, p] = runs[k];
    INFO(frame_names[f] << " frame, threshold " << p.threshold << ", alpha " << p.alpha << " beta " << p.beta << " gamma " << p.gamma);
    const Bytes got = run_app("edge_detect_720p", edge_seq(dir, p), frames[f], kFrameBytes);
    // Core (0,4) passes thresholdType 1 (`mova r3, #1` at PC 0x188 and 0x238), not the .mlir's
    // constant 0; threshold.o runs the BINARY arm for it, as the pairing of arm_the_binary_runs says.
    CHECK(first_difference(got, edge_reference(frames[f], p, arm_the_binary_runs(1)), 4) == "");
  }
}

TEST_CASE("riallto mutations: rounding by conv_even, vshuffle's orientation transposed, or crSat ignored fail denoise or edge_detect naming the first differing pixel") {
  TempDir dir;
  const Bytes frame = pattern_frame(8);
  DenoiseParams blend;  // weights that round: floor and conv_even differ on ties and above them
  blend.alpha = 4915, blend.beta = 11469, blend.gamma = 7, blend.value = 100, blend.type = 2;
  const std::string seq = denoise_seq(dir, blend);
  const Bytes want = denoise_reference(frame, blend, 2);
  REQUIRE(first_difference(run_app("denoise_task_parallel_720p", seq, frame, kFrameBytes / 4), want, 1) == "");
  Rules even_rules, transposed_rules, wrap_rules;
  even_rules.vector.force_srs_crRnd = 12;
  transposed_rules.vector.shuffle_transposed = true;
  wrap_rules.vector.srs_ignores_crSat = true;
  const std::string even = first_difference(run_app("denoise_task_parallel_720p", seq, frame, kFrameBytes / 4, even_rules), want, 1);
  const std::string transposed =
      first_difference(run_app("denoise_task_parallel_720p", seq, frame, kFrameBytes / 4, transposed_rules), want, 1);
  // Saturation: edge_detect's SOBEL sums go negative and past 255 (filter2d's set_sat), addWeighted's too.
  EdgeParams sobel;
  const int16_t sobel_x[9] = {4096, 0, -4096, 8192, 0, -8192, 4096, 0, -4096};
  std::copy(sobel_x, sobel_x + 9, sobel.kernel);
  const Bytes edge_frame = random_frame(11);
  const std::string eseq = edge_seq(dir, sobel);
  const Bytes ewant = edge_reference(edge_frame, sobel, arm_the_binary_runs(1));
  INFO("conv_even: " << even << "\ntransposed: " << transposed);
  CHECK(even.find("the first is byte") != std::string::npos);
  CHECK(transposed.find("the first is byte") != std::string::npos);
  if (testing::scaled(1, 0)) {  // the edge_detect frame: Release only (the sanitizer run keeps the two above)
    const std::string wrapped = first_difference(run_app("edge_detect_720p", eseq, edge_frame, kFrameBytes, wrap_rules), ewant, 4);
    INFO("wrapped: " << wrapped);
    CHECK(wrapped.find("the first is byte") != std::string::npos);
  }
}

TEST_CASE("riallto: color_detect_720p stops at its first instruction no public fact fixes, named with its PC") {
  // Core (0,2) (rgba2hue) runs its acc64 SRS by s2 = 62 (shift -2, aie_api parallel_lookup's byte
  // offsets) and stops at the table load itself, vldb.4x16, whose lanes and addresses no public
  // text describes (docs/aie2-vector.md "Refused").
  std::string msg;
  try {
    run_app("color_detect_720p", riallto("color_detect_720p", "seq"), random_frame(4), kFrameBytes);
  } catch (const std::exception& e) {
    msg = e.what();
  }
  INFO(msg);
  CHECK(msg.find("core (0,2)") != std::string::npos);
  CHECK(msg.find("at PC 0x5B6") != std::string::npos);
  CHECK(msg.find("vldb.4x16.lo wl4, wl0") != std::string::npos);
  CHECK(msg.find("decoded but not simulated") != std::string::npos);
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
