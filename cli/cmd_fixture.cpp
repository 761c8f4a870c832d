// `attncheck fixture make`: seeded fixtures from a named recipe, reproducible by a numpy script.
#include <memory>

#include "cli/commands.hpp"
#include "fixtures/fixture.hpp"
#include "ref/errors.hpp"

namespace attncheck {
namespace {

struct MakeArgs {
  std::string recipe, shape = "64x64", out;
  int64_t seed = 42, low = -64, high = 64, heads = 0;
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

void make_cmd(const MakeArgs& a) {
  if (a.seed < 0 || a.seed > 4294967295LL) throw InputError("--seed " + std::to_string(a.seed) + ": must be in 0..2^32-1");
  if (a.heads < 0) throw InputError("--heads " + std::to_string(a.heads) + ": must be positive");
  RandintRecipe r;
  r.seed = static_cast<uint32_t>(a.seed);
  parse_shape(a.shape, &r.seq, &r.dim);
  r.heads = a.heads;
  if (a.low < -128 || a.high > 128 || a.low >= a.high)
    throw InputError("--low " + std::to_string(a.low) + " --high " + std::to_string(a.high) +
                     ": need -128 <= low < high <= 128 (high exclusive, as numpy)");
  r.low = static_cast<int>(a.low);
  r.high = static_cast<int>(a.high);
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
                   "numpy-randint: np.random.seed(SEED); Q, K, V = randint(LOW, HIGH, shape, int8) in that order")
      ->required()
      ->check(CLI::IsMember({"numpy-randint"}));
  make->add_option("--seed", m->seed, "Seed, 0..2^32-1")->capture_default_str();
  make->add_option("--low", m->low, "Lowest value (inclusive)")->capture_default_str();
  make->add_option("--high", m->high, "Highest value (exclusive)")->capture_default_str();
  make->add_option("--shape", m->shape, "SxD per head")->capture_default_str();
  make->add_option("--heads", m->heads, "Heads H: arrays are (H, S, D); without it (S, D)");
  make->add_option("--out", m->out, "Output directory")->required();
  make->callback([m, &exit_code] {
    make_cmd(*m);
    exit_code = 0;
  });
}

}  // namespace attncheck
