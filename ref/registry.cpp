// The one list of kernel revisions, and parameter and shape checks every entry point shares.
#include "ref/registry.hpp"

#include <cerrno>
#include <cstdlib>

#include "ref/errors.hpp"
#include "ref/precise_v1.hpp"
#include "ref/uc_int32_lut.hpp"
#include "ref/uc_legacy_int8.hpp"

namespace attncheck {

const std::vector<Revision>& revisions() {
  static const std::vector<Revision> all = {
      uc_legacy_int8::revision(),
      uc_int32_lut::revision(),
      precise_v1::revision(),
  };
  return all;
}

const Revision& find_revision(const std::string& name) {
  std::string known;
  for (const auto& r : revisions()) {
    if (r.name == name) return r;
    known += (known.empty() ? "" : ", ") + r.name;
  }
  throw InputError("--kernel " + name + ": unknown revision (known: " + known + ")");
}

Params resolve_params(const Revision& rev, const std::vector<std::string>& overrides) {
  Params p;
  for (const auto& spec : rev.params) p[spec.name] = spec.default_value;
  for (const auto& kv : overrides) {
    const std::string where = "--param " + kv;
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(where + ": expected NAME=INTEGER");
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    const ParamSpec* spec = nullptr;
    for (const auto& s : rev.params)
      if (s.name == name) spec = &s;
    if (!spec) {
      std::string known;
      for (const auto& s : rev.params) known += (known.empty() ? "" : ", ") + s.name;
      throw InputError(where + ": " + rev.name + " has no parameter '" + name + "' (known: " +
                       (known.empty() ? "none" : known) + ")");
    }
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno == ERANGE) throw InputError(where + ": '" + value + "' is not an integer");
    if (v < spec->min || v > spec->max)
      throw InputError(where + ": out of range " + std::to_string(spec->min) + ".." + std::to_string(spec->max));
    p[name] = v;
  }
  return p;
}

Params runtime_params(const Revision& rev, const AttentionInputs& in, const Params& user) {
  return rev.derive ? rev.derive(in, user) : user;
}

void check_shape(const Revision& rev, const Shape& shape, const std::string& where) {
  if (shape.heads < 1 || shape.seq < 1 || shape.dim < 1) throw InputError(where + ": empty shape " + shape.str());
  if (rev.tile_only && (shape.seq != rev.tile || shape.dim != rev.tile))
    throw InputError(where + ": " + rev.name + " is defined for " + std::to_string(rev.tile) + "x" +
                     std::to_string(rev.tile) + " tiles per head, fixture has S=" + std::to_string(shape.seq) +
                     ", D=" + std::to_string(shape.dim));
  if (rev.head_dim != 0 && shape.dim != rev.head_dim)
    throw InputError(where + ": " + rev.name + " needs head dimension D=" + std::to_string(rev.head_dim) +
                     ", fixture has D=" + std::to_string(shape.dim));
}

}  // namespace attncheck
