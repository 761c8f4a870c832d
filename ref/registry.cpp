// The one list of kernel revisions, and parameter and shape checks every entry point shares.
#include "ref/registry.hpp"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "ref/errors.hpp"
#include "ref/precise_v1.hpp"
#include "ref/uc_int32_lut.hpp"
#include "ref/uc_legacy_int8.hpp"

namespace attncheck {

const std::vector<Revision>& models() {
  static const std::vector<Revision> all = {
      uc_legacy_int8::revision(),
      uc_int32_lut::revision(),
      precise_v1::revision(),
  };
  return all;
}

const Revision* find_model(const std::string& name) {
  for (const auto& m : models())
    if (m.name == name) return &m;
  return nullptr;
}

Revision revision_from_package(const KernelPackage& pkg) {
  const std::string& where = pkg.path;
  Revision r;
  const Revision* m = nullptr;
  if (!pkg.model.empty()) {
    m = find_model(pkg.model);
    if (!m) {
      std::string known;
      for (const auto& x : models()) known += (known.empty() ? "" : ", ") + x.name;
      throw InputError(where + ": \"model\" " + pkg.model + " is not a built-in integer model (known: " + known + ")");
    }
    r = *m;
  }
  r.name = pkg.name;
  if (!pkg.summary.empty()) r.summary = pkg.summary;
  else if (m && !pkg.builtin) r.summary = "kernel package held to model " + m->name;
  if (!m && pkg.summary.empty()) r.summary = "kernel package (no model: its host-compiled source is the reference)";
  r.params.clear();
  r.baked_params.clear();
  for (const PackageArg* p : pkg.params()) {
    ParamSpec spec{p->name, p->default_value, p->min, p->max, p->help};
    if (m) {
      const ParamSpec* ms = nullptr;
      for (const auto& x : m->params)
        if (x.name == p->name) ms = &x;
      if (!ms) throw InputError(where + ": param " + p->name + " is not a parameter of model " + m->name);
      // Outside the model's range its arithmetic is undefined (a shift by 32 or more).
      if (p->min < ms->min || p->max > ms->max)
        throw InputError(where + ": param " + p->name + " allows " + std::to_string(p->min) + ".." + std::to_string(p->max) +
                         ", model " + m->name + " is defined for " + std::to_string(ms->min) + ".." + std::to_string(ms->max));
      if (spec.help.empty()) spec.help = ms->help;
    }
    r.params.push_back(spec);
    if (p->baked) r.baked_params.push_back(p->name);
  }
  const std::string tile = std::to_string(pkg.tile_seq) + "x" + std::to_string(pkg.tile_dim);
  if (m) {
    for (const auto& ms : m->params) {
      bool declared = false;
      for (const PackageArg* p : pkg.params()) declared = declared || p->name == ms.name;
      if (!declared) throw InputError(where + ": model " + m->name + " takes param " + ms.name + ", \"args\" declares none");
    }
    if (m->tile_only && (pkg.layout != PackageLayout::head_tile || pkg.tile_seq != m->tile || pkg.tile_dim != m->tile_dim))
      throw InputError(where + ": model " + m->name + " is defined for " + std::to_string(m->tile) + "x" +
                       std::to_string(m->tile_dim) + " tiles per head (layout head-tile); the package declares " +
                       layout_name(pkg.layout) + " " + tile);
    if (m->head_dim != 0 && pkg.tile_dim != m->head_dim)
      throw InputError(where + ": model " + m->name + " needs D = " + std::to_string(m->head_dim) + ", the package's tile is " + tile);
  }
  // A head-tile kernel runs one whole head per launch, whatever S the model could take.
  if (pkg.layout == PackageLayout::head_tile) {
    r.tile_only = true;
    r.tile = pkg.tile_seq;
    r.tile_dim = pkg.tile_dim;
  } else {
    r.head_dim = pkg.tile_dim;
  }
  r.package = std::make_shared<KernelPackage>(pkg);
  return r;
}

std::string revision_label(const Revision& rev) {
  return rev.package && !rev.package->builtin ? rev.name + " (" + rev.package->path + ")" : rev.name;
}

const std::vector<Revision>& revisions() {
  static const std::vector<Revision> all = [] {
    std::vector<Revision> v;
    for (const auto& t : builtin_package_texts()) {
      const std::string where = std::string(t.dir) + "/kernel.json";
      KernelPackage pkg = parse_kernel_package(nlohmann::json::parse(t.json), t.dir, where);
      pkg.builtin = true;
      // A built-in revision is one a model holds; kernels/tests checks every one at build time.
      if (pkg.model.empty()) throw std::logic_error(where + ": a built-in revision must name its model");
      v.push_back(revision_from_package(pkg));
    }
    return v;
  }();
  return all;
}

const Revision& find_revision(const std::string& name) {
  std::string known;
  for (const auto& r : revisions()) {
    if (r.name == name) return r;
    known += (known.empty() ? "" : ", ") + r.name;
  }
  throw InputError("--kernel " + name + ": unknown revision (known: " + known + "; or a kernel package: DIR/kernel.json)");
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
  if (rev.tile_only && (shape.seq != rev.tile || shape.dim != rev.tile_dim))
    throw InputError(where + ": " + rev.name + " is defined for " + std::to_string(rev.tile) + "x" +
                     std::to_string(rev.tile_dim) + " tiles per head, fixture has S=" + std::to_string(shape.seq) +
                     ", D=" + std::to_string(shape.dim));
  if (rev.head_dim != 0 && shape.dim != rev.head_dim)
    throw InputError(where + ": " + rev.name + " needs head dimension D=" + std::to_string(rev.head_dim) +
                     ", fixture has D=" + std::to_string(shape.dim));
}

}  // namespace attncheck
