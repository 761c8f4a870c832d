// Seeded corpora for kernel-vs-model testing and the exact comparison that explains every difference.
#include "kernels/tests/differential.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>

namespace attncheck::testing {

DiffStats compare_exact(const Int8Tensor& model, const Int8Tensor& kernel, size_t keep) {
  DiffStats d;
  if (model.shape != kernel.shape) {
    d.elements = model.data.size();
    d.mismatches = model.data.size();
    d.rows = static_cast<size_t>(model.shape.heads * model.shape.seq);
    d.max_abs = 255;
    return d;
  }
  const Shape& s = model.shape;
  d.elements = model.data.size();
  int64_t last_row = -1;
  for (size_t i = 0; i < model.data.size(); ++i) {
    if (model.data[i] == kernel.data[i]) continue;
    ++d.mismatches;
    const int64_t flat_row = static_cast<int64_t>(i) / s.dim;
    if (flat_row != last_row) ++d.rows, last_row = flat_row;
    d.max_abs = std::max(d.max_abs, std::abs(int{model.data[i]} - int{kernel.data[i]}));
    if (d.first.size() < keep)
      d.first.push_back({flat_row / s.seq, flat_row % s.seq, static_cast<int64_t>(i) % s.dim, model.data[i],
                         kernel.data[i]});
  }
  return d;
}

Shape tile_shape(const Revision& rev, int64_t heads) {
  const int64_t seq = rev.tile_only ? rev.tile : 64;
  const int64_t dim = rev.tile_only ? rev.tile : (rev.head_dim ? rev.head_dim : 64);
  return {heads, seq, dim};
}

std::vector<int64_t> param_values(const ParamSpec& spec) {
  std::vector<int64_t> v;
  if (spec.max - spec.min < 64) {
    for (int64_t x = spec.min; x <= spec.max; ++x) v.push_back(x);
    return v;
  }
  v = {spec.min, spec.max, spec.default_value};
  for (int i = 1; i < 14; ++i) v.push_back(spec.min + (spec.max - spec.min) / 14 * i);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

namespace {

using Rng = std::mt19937;

int8_t uniform(Rng& g, int lo, int hi_inclusive) {
  return static_cast<int8_t>(std::uniform_int_distribution<int>(lo, hi_inclusive)(g));
}

// The input recipes; each fills one 64x64 (or S x D) tensor of one head.
struct Recipe {
  const char* name;
  void (*fill)(Rng&, int8_t*, size_t);
};

const Recipe kRecipes[] = {
    {"full int8 [-128,127]", [](Rng& g, int8_t* p, size_t n) { for (size_t i = 0; i < n; ++i) p[i] = uniform(g, -128, 127); }},
    {"[-64,64)", [](Rng& g, int8_t* p, size_t n) { for (size_t i = 0; i < n; ++i) p[i] = uniform(g, -64, 63); }},
    {"small [-4,4)", [](Rng& g, int8_t* p, size_t n) { for (size_t i = 0; i < n; ++i) p[i] = uniform(g, -4, 3); }},
    // Mostly near the negative rail, some anywhere: large same-sign dot products with outliers.
    {"skewed [-128,-100] + 10% full", [](Rng& g, int8_t* p, size_t n) {
       for (size_t i = 0; i < n; ++i) p[i] = uniform(g, 0, 9) == 0 ? uniform(g, -128, 127) : uniform(g, -128, -100);
     }},
    {"sparse 90% zero", [](Rng& g, int8_t* p, size_t n) {
       for (size_t i = 0; i < n; ++i) p[i] = uniform(g, 0, 9) == 0 ? uniform(g, -128, 127) : 0;
     }},
};
constexpr size_t kPlainRecipes = sizeof kRecipes / sizeof kRecipes[0];

void fill_scales(Rng& g, Scales* s) {
  std::uniform_real_distribution<double> in(0.002, 0.05), out(0.02, 0.5);
  s->q = in(g);
  s->k = in(g);
  s->v = in(g);
  s->out = out(g);
  s->given = true;
}

// The parameter grid: slot t takes value t mod |values| of each spec, offset per spec so two
// params with equally many values do not move in lockstep.
Params params_for_slot(const Revision& rev, size_t slot) {
  Params p;
  for (size_t i = 0; i < rev.params.size(); ++i) {
    const auto values = param_values(rev.params[i]);
    p[rev.params[i].name] = values[(slot + 7 * i) % values.size()];
  }
  return p;
}

size_t param_slots(const Revision& rev) {
  size_t n = 1;
  for (const auto& spec : rev.params) n = std::max(n, param_values(spec).size());
  return n;
}

std::string params_text(const Params& p) {
  std::string s;
  for (const auto& [k, v] : p) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return s;
}

}  // namespace

void random_corpus(const Revision& rev, uint32_t seed, size_t min_tiles, const std::function<void(const Batch&)>& visit) {
  const size_t recipes = kPlainRecipes + 1;  // + the mixed recipe
  const size_t slots = param_slots(rev);
  const size_t batches = recipes * slots;
  const int64_t heads = static_cast<int64_t>((min_tiles + batches - 1) / batches);
  for (size_t r = 0; r < recipes; ++r) {
    for (size_t slot = 0; slot < slots; ++slot) {
      const uint32_t batch_seed = seed + static_cast<uint32_t>(r * 1000 + slot);
      Rng g(batch_seed);
      Batch b;
      b.params = params_for_slot(rev, slot);
      const Shape shape = tile_shape(rev, heads);
      b.in.q = Int8Tensor(shape);
      b.in.k = Int8Tensor(shape);
      b.in.v = Int8Tensor(shape);
      const size_t n = shape.head_size();
      for (int64_t h = 0; h < heads; ++h) {
        if (r < kPlainRecipes) {
          kRecipes[r].fill(g, b.in.q.head(h), n);
          kRecipes[r].fill(g, b.in.k.head(h), n);
          kRecipes[r].fill(g, b.in.v.head(h), n);
          b.head_kind.push_back(kRecipes[r].name);
        } else {
          size_t a = g() % kPlainRecipes, c = g() % kPlainRecipes, e = g() % kPlainRecipes;
          kRecipes[a].fill(g, b.in.q.head(h), n);
          kRecipes[c].fill(g, b.in.k.head(h), n);
          kRecipes[e].fill(g, b.in.v.head(h), n);
          b.head_kind.push_back(std::string("mixed Q ") + kRecipes[a].name + ", K " + kRecipes[c].name + ", V " +
                                kRecipes[e].name);
        }
      }
      if (slot % 2 == 1) fill_scales(g, &b.in.scales);
      b.label = "random recipe " + std::string(r < kPlainRecipes ? kRecipes[r].name : "mixed") + ", seed " +
                std::to_string(batch_seed) + ", " + params_text(b.params);
      visit(b);
    }
  }
}

namespace {

struct EdgeTile {
  const char* name;
  // Fills Q, K, V of one head (row-major S x D); `g` for the parts that may be arbitrary.
  void (*fill)(Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d);
};

void fill_all(int8_t* p, size_t n, int8_t x) { std::fill(p, p + n, x); }
void fill_random(Rng& g, int8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = uniform(g, -128, 127);
}

const EdgeTile kEdges[] = {
    {"all -128", [](Rng&, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, -128), fill_all(k, s * d, -128), fill_all(v, s * d, -128);
     }},
    {"all 127", [](Rng&, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, 127), fill_all(v, s * d, 127);
     }},
    {"zeros", [](Rng&, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 0), fill_all(k, s * d, 0), fill_all(v, s * d, 0);
     }},
    // Every key row equal: every score of a row ties with the max.
    {"all scores tie", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_random(g, q, s * d), fill_random(g, k, d), fill_random(g, v, s * d);
       for (int64_t j = 1; j < s; ++j) std::copy(k, k + d, k + j * d);
     }},
    // Key rows in equal pairs: the row max is reached at least twice.
    {"max tied by pairs", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_random(g, q, s * d), fill_random(g, k, s * d), fill_random(g, v, s * d);
       for (int64_t j = 0; j + 1 < s; j += 2) std::copy(k + j * d, k + (j + 1) * d, k + (j + 1) * d);
     }},
    {"one-hot Q and K rows", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 0), fill_all(k, s * d, 0), fill_random(g, v, s * d);
       for (int64_t i = 0; i < s; ++i) {
         q[i * d + g() % d] = (g() & 1) ? 127 : -128;
         k[i * d + g() % d] = (g() & 1) ? 127 : -128;
       }
     }},
    {"one-hot K = identity, Q 127", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, 0), fill_random(g, v, s * d);
       for (int64_t i = 0; i < s; ++i) k[i * d + i % d] = 127;
     }},
    // The largest positive dot product: 64 * (-128)^2.
    {"Q=K=-128 (saturating +)", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, -128), fill_all(k, s * d, -128), fill_random(g, v, s * d);
     }},
    {"Q=127 K=-128 (saturating -)", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, -128), fill_random(g, v, s * d);
     }},
    {"Q=K=127", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, 127), fill_random(g, v, s * d);
     }},
    // Alternating-sign keys: half the scores at +max, half at -max, so the exp spans its whole range.
    {"K rows +-128 alternating, Q -128", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, -128), fill_random(g, v, s * d);
       for (int64_t j = 0; j < s; ++j) fill_all(k + j * d, d, (j & 1) ? 127 : -128);
     }},
    {"one dominant key, V at -128", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, 0), fill_all(v, s * d, -128);
       fill_all(k + (g() % s) * d, d, 127);
     }},
    {"one dominant key, V at 127", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_all(q, s * d, 127), fill_all(k, s * d, 0), fill_all(v, s * d, 127);
       fill_all(k + (g() % s) * d, d, 127);
     }},
    {"Q rows zero / random alternating", [](Rng& g, int8_t* q, int8_t* k, int8_t* v, int64_t s, int64_t d) {
       fill_random(g, q, s * d), fill_random(g, k, s * d), fill_random(g, v, s * d);
       for (int64_t i = 0; i < s; i += 2) fill_all(q + i * d, d, 0);
     }},
};

}  // namespace

void edge_corpus(const Revision& rev, const std::function<void(const Batch&)>& visit) {
  const size_t n_edges = sizeof kEdges / sizeof kEdges[0];
  const size_t slots = param_slots(rev);
  for (size_t slot = 0; slot < slots; ++slot) {
    Rng g(static_cast<uint32_t>(7000 + slot));
    Batch b;
    b.params = params_for_slot(rev, slot);
    const Shape shape = tile_shape(rev, static_cast<int64_t>(n_edges));
    b.in.q = Int8Tensor(shape);
    b.in.k = Int8Tensor(shape);
    b.in.v = Int8Tensor(shape);
    for (size_t e = 0; e < n_edges; ++e) {
      const int64_t h = static_cast<int64_t>(e);
      kEdges[e].fill(g, b.in.q.head(h), b.in.k.head(h), b.in.v.head(h), shape.seq, shape.dim);
      b.head_kind.push_back(std::string("edge: ") + kEdges[e].name);
    }
    if (slot % 2 == 1) fill_scales(g, &b.in.scales);
    b.label = "edge tiles, seed " + std::to_string(7000 + slot) + ", " + params_text(b.params);
    visit(b);
  }
}

void run_batch(const Revision& rev, const AttentionFn& model, const AttentionFn& kernel, const Batch& b,
               CorpusResult* acc) {
  const Params params = runtime_params(rev, b.in, b.params);
  const Int8Tensor want = model(b.in, params);
  const Int8Tensor got = kernel(b.in, params);
  const DiffStats d = compare_exact(want, got);
  ++acc->batches;
  acc->tiles += static_cast<size_t>(b.in.shape().heads);
  acc->elements += d.elements;
  acc->mismatches += d.mismatches;
  acc->max_abs = std::max(acc->max_abs, d.max_abs);
  if (d.mismatches == 0) return;
  // Only the first few failing batches are spelled out: one is usually enough to localize a bug.
  if (acc->failing_batches++ >= 3) return;
  acc->report += "  batch [" + b.label + "]: " + std::to_string(d.mismatches) + " of " + std::to_string(d.elements) +
                 " elements differ in " + std::to_string(d.rows) + " rows, max |diff| " + std::to_string(d.max_abs) +
                 "\n";
  if (want.shape != got.shape) acc->report += "    shape model " + want.shape.str() + " kernel " + got.shape.str() + "\n";
  for (const auto& m : d.first) {
    const std::string kind = m.head < static_cast<int64_t>(b.head_kind.size()) ? b.head_kind[m.head] : "";
    acc->report += "    head " + std::to_string(m.head) + " (" + kind + ") row " + std::to_string(m.row) + " col " +
                   std::to_string(m.col) + ": model " + std::to_string(m.model) + " kernel " +
                   std::to_string(m.kernel) + "\n";
  }
}

std::string summary(const std::string& what, const CorpusResult& r) {
  return what + ": " + std::to_string(r.tiles) + " tiles in " + std::to_string(r.batches) + " batches, " +
         std::to_string(r.mismatches) + " of " + std::to_string(r.elements) + " elements differ in " +
         std::to_string(r.failing_batches) + " batches, max |diff| " + std::to_string(r.max_abs) + "\n" + r.report;
}

}  // namespace attncheck::testing
