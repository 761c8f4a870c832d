// `attncheck fixture make`: seeded fixtures from a named recipe, reproducible by a numpy script.
#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "fixtures/fixture.hpp"
#include "fixtures/realistic.hpp"
#include "fixtures/memory_guard.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct MakeArgs {
  std::string recipe, shape = "64x64", out;
  int64_t seed = 42, low = -64, high = 64, heads = 0;
  double logit_std = 3.0;
  bool range_given = false, logit_std_given = false;
};

// "SxD" with positive integers, e.g. 1500x64.
void parse_shape(const std::string& text, int64_t* seq, int64_t* dim) {
  auto x = text.find('x');
  auto positive = [](const std::string& s, int64_t* v) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    *v = std::stoll(s);
    return *v > 0;
  };
  if (x == std::string::npos || !positive(text.substr(0, x), seq) || !positive(text.substr(x + 1), dim))
    throw InputError("--shape " + text + ": expected SxD with positive integers, e.g. 64x64");
}

// Peak bytes of making a fixture of `heads` x `seq` x `dim` (heads 0: one): three int8 tensors and
// their encoded .npy images, plus three double tensors while the realistic recipe draws them.
uint64_t make_peak_bytes(const MakeArgs& a, int64_t seq, int64_t dim) {
  const uint64_t n = mul_sat(mul_sat(static_cast<uint64_t>(std::max<int64_t>(a.heads, 1)), static_cast<uint64_t>(seq)),
                             static_cast<uint64_t>(dim));
  return mul_sat(n, a.recipe == "realistic" ? 3 * (1 + 1 + 8) : 3 * (1 + 1));
}

void make_cmd(const MakeArgs& a) {
  if (a.seed < 0 || a.seed > 4294967295LL) throw InputError("--seed " + std::to_string(a.seed) + ": must be in 0..2^32-1");
  if (a.heads < 0) throw InputError("--heads " + std::to_string(a.heads) + ": must be positive");
  if (a.recipe == "realistic") {
    if (a.range_given) throw InputError("--low/--high: not used by --recipe realistic (values come from the scales)");
    RealisticRecipe r;
    r.seed = static_cast<uint32_t>(a.seed);
    parse_shape(a.shape, &r.seq, &r.dim);
    r.heads = a.heads;
    r.logit_std = a.logit_std;
    require_memory(make_peak_bytes(a, r.seq, r.dim), "--shape " + a.shape + " --heads " + std::to_string(a.heads));
    const RealisticFixture f = make_realistic(r);
    save_fixture(a.out, f.inputs, r.heads == 0, f.meta);
    print("fixture " + a.out + ": recipe realistic, seed " + std::to_string(a.seed) + ", shape " +
          f.inputs.shape().str() + ", logit std " + std::to_string(f.meta["logit_std"].get<double>()) + "\n");
    return;
  }
  if (a.logit_std_given) throw InputError("--logit-std: only used by --recipe realistic");
  RandintRecipe r;
  r.seed = static_cast<uint32_t>(a.seed);
  parse_shape(a.shape, &r.seq, &r.dim);
  r.heads = a.heads;
  if (a.low < -128 || a.high > 128 || a.low >= a.high)
    throw InputError("--low " + std::to_string(a.low) + " --high " + std::to_string(a.high) +
                     ": need -128 <= low < high <= 128 (high exclusive, as numpy)");
  r.low = static_cast<int>(a.low);
  r.high = static_cast<int>(a.high);
  require_memory(make_peak_bytes(a, r.seq, r.dim), "--shape " + a.shape + " --heads " + std::to_string(a.heads));
  const AttentionInputs in = make_numpy_randint(r);
  save_fixture(a.out, in, r.heads == 0, randint_meta(r));
  print("fixture " + a.out + ": recipe " + a.recipe + ", seed " + std::to_string(a.seed) + ", shape " +
        in.shape().str() + "\n");
}

}  // namespace

void add_fixture_command(CLI::App& app, int& exit_code) {
  auto* fixture = app.add_subcommand("fixture", "Make fixtures");
  fixture->require_subcommand(1, 1);
  auto m = std::make_shared<MakeArgs>();
  auto* make = fixture->add_subcommand("make", "Make a seeded fixture directory (q.npy, k.npy, v.npy, fixture.json)");
  make->add_option("--recipe", m->recipe,
                   "numpy-randint: np.random.seed(SEED); Q, K, V = randint(LOW, HIGH, shape, int8) in that order. "
                   "realistic: Gaussian Q, K, V quantized per tensor with scales in fixture.json, logits with "
                   "standard deviation --logit-std")
      ->required()
      ->check(CLI::IsMember({"numpy-randint", "realistic"}));
  make->add_option("--seed", m->seed, "Seed, 0..2^32-1")->capture_default_str();
  auto* low = make->add_option("--low", m->low, "numpy-randint: lowest value (inclusive)")->capture_default_str();
  auto* high = make->add_option("--high", m->high, "numpy-randint: highest value (exclusive)")->capture_default_str();
  auto* logit = make->add_option("--logit-std", m->logit_std, "realistic: standard deviation of the real logits")
                    ->capture_default_str();
  make->add_option("--shape", m->shape, "SxD per head")->capture_default_str();
  make->add_option("--heads", m->heads, "Heads H: arrays are (H, S, D); without it (S, D)");
  make->add_option("--out", m->out, "Output directory")->required();
  make->callback([m, low, high, logit, &exit_code] {
    m->range_given = low->count() > 0 || high->count() > 0;
    m->logit_std_given = logit->count() > 0;
    // The fixture's files are replaced as a unit (save_fixture), so a failed or interrupted make
    // leaves the previous fixture whole; a directory it created is removed again when empty.
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(m->out, ec) && !fs::is_directory(m->out, ec))
      throw InputError("--out " + m->out + ": exists and is not a directory");
    const bool dir_existed = fs::exists(m->out, ec);
    try {
      make_cmd(*m);
    } catch (...) {
      if (!dir_existed) fs::remove(m->out, ec);  // only when empty: never a user's files
      throw;
    }
    exit_code = 0;
  });
}

}  // namespace attncheck
