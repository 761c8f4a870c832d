// Parses kernel.json into a KernelPackage, refusing in one line anything a backend could not run as written.
#include "ref/kernel_package.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

#include "ref/errors.hpp"

namespace attncheck {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) { throw InputError(where + ": " + what); }

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool is_package_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string str_field(const nlohmann::json& j, const char* key, const std::string& where, bool required) {
  if (!j.contains(key)) {
    if (required) bad(where, std::string("needs \"") + key + "\"");
    return "";
  }
  if (!j.at(key).is_string() || j.at(key).get<std::string>().empty())
    bad(where, std::string("\"") + key + "\" must be a non-empty string");
  return j.at(key).get<std::string>();
}

int64_t int_field(const nlohmann::json& j, const char* key, const std::string& where, int64_t lo, int64_t hi) {
  if (!j.contains(key)) bad(where, std::string("needs \"") + key + "\"");
  const auto& v = j.at(key);
  if (!v.is_number_integer()) bad(where, std::string("\"") + key + "\" must be an integer");
  // A uint64 above INT64_MAX reads as negative through get<int64_t>: take it as out of range.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    bad(where, std::string("\"") + key + "\" out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    bad(where, std::string("\"") + key + "\" is " + std::to_string(x) + ", out of range " + std::to_string(lo) + ".." +
                   std::to_string(hi));
  return x;
}

void known_keys(const nlohmann::json& j, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : j.items())
    if (!known.count(item.key())) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      bad(where, "unknown key \"" + item.key() + "\" (known: " + list + ")");
    }
}

std::string resolve(const std::string& dir, const std::string& rel) {
  const std::filesystem::path p(rel);
  return (p.is_absolute() ? p : std::filesystem::path(dir) / p).lexically_normal().string();
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string o;
  for (const auto& s : v) o += (o.empty() ? "" : sep) + s;
  return o;
}

PackageArg parse_param(const nlohmann::json& a, const std::string& where) {
  known_keys(a, {"param", "type", "default", "min", "max", "baked", "help"}, where);
  PackageArg p;
  p.kind = PackageArg::param;
  p.name = str_field(a, "param", where, true);
  if (!is_c_identifier(p.name)) bad(where, "parameter name \"" + p.name + "\" is not an identifier");
  p.type = a.contains("type") ? str_field(a, "type", where, true) : "uint32";
  int64_t lo, hi;
  if (p.type == "uint32") {
    lo = 0, hi = std::numeric_limits<uint32_t>::max();
  } else if (p.type == "int32") {
    lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  } else {
    bad(where, "\"type\" is \"" + p.type + "\", expected uint32 or int32 (the core takes 32-bit scalars)");
  }
  p.min = a.contains("min") ? int_field(a, "min", where, lo, hi) : lo;
  p.max = a.contains("max") ? int_field(a, "max", where, lo, hi) : hi;
  if (p.min > p.max) bad(where, "\"min\" " + std::to_string(p.min) + " is above \"max\" " + std::to_string(p.max));
  p.default_value = int_field(a, "default", where, p.min, p.max);
  if (a.contains("baked")) {
    if (!a.at("baked").is_boolean()) bad(where, "\"baked\" must be true or false");
    p.baked = a.at("baked").get<bool>();
  }
  if (a.contains("help")) p.help = str_field(a, "help", where, true);
  return p;
}

}  // namespace

std::string layout_name(PackageLayout l) { return l == PackageLayout::head_tile ? "head-tile" : "q-tile-kv-stream"; }

const std::vector<std::string>& stream_entry_roles() {
  static const std::vector<std::string> roles = {"begin", "max_pass", "acc_pass", "finish"};
  return roles;
}

std::vector<std::string> KernelPackage::entry_symbols() const {
  if (layout == PackageLayout::head_tile) return {entries.at("")};
  std::vector<std::string> v;
  for (const auto& r : stream_entry_roles()) v.push_back(entries.at(r));
  return v;
}

std::vector<const PackageArg*> KernelPackage::buffers() const {
  std::vector<const PackageArg*> v;
  for (const auto& a : args)
    if (a.kind == PackageArg::input) v.push_back(&a);
  for (const auto& a : args)
    if (a.kind == PackageArg::output) v.push_back(&a);
  return v;
}

std::vector<const PackageArg*> KernelPackage::params() const {
  std::vector<const PackageArg*> v;
  for (const auto& a : args)
    if (a.kind == PackageArg::param) v.push_back(&a);
  return v;
}

std::string KernelPackage::prototype() const {
  std::vector<std::string> types;
  for (const auto& a : args)
    types.push_back(a.kind == PackageArg::input ? "const int8_t*" : a.kind == PackageArg::output ? "int8_t*" : a.type + "_t");
  return "void " + entries.at("") + "(" + join(types) + ")";
}

std::string entry_declarations(const KernelPackage& pkg) {
  std::string o = "/* attncheck: the entry points kernel.json declares (" + pkg.name + "). */\n#include <stdint.h>\n";
  if (pkg.layout == PackageLayout::head_tile) return o + pkg.prototype() + ";\n";
  const auto& e = pkg.entries;
  o += "void " + e.at("begin") + "(int32_t* row_max, int32_t* acc, uint32_t* row_sum);\n";
  o += "void " + e.at("max_pass") + "(const int8_t* q_rtp, const int8_t* k_tile, int32_t n_keys, int32_t* row_max);\n";
  o += "void " + e.at("acc_pass") +
       "(const int8_t* q_rtp, const int8_t* kv, int32_t n_keys, const int32_t* row_max, int32_t* acc, uint32_t* row_sum);\n";
  o += "void " + e.at("finish") + "(const int8_t* q_rtp, const int32_t* acc, const uint32_t* row_sum, int8_t* out_tile);\n";
  return o;
}

KernelPackage parse_kernel_package(const nlohmann::json& j, const std::string& dir, const std::string& where) {
  if (!j.is_object()) bad(where, "expected a JSON object");
  known_keys(j, {"$schema", "name", "summary", "sources", "include_dirs", "entry", "layout", "tile", "args", "model", "elf",
                 "physical", "xclbin", "insts", "design", "peer"},
             where);
  KernelPackage k;
  k.path = where;
  k.dir = dir;
  k.json = j;
  k.name = str_field(j, "name", where, true);
  if (!is_package_name(k.name)) bad(where, "\"name\" \"" + k.name + "\" must be 1..64 of A-Z a-z 0-9 . _ -");
  k.summary = str_field(j, "summary", where, false);

  auto paths = [&](const char* key, bool required) {
    std::vector<std::string> out;
    if (!j.contains(key)) {
      if (required) bad(where, std::string("needs \"") + key + "\": the C files to compile");
      return out;
    }
    const auto& v = j.at(key);
    if (!v.is_array() || (required && v.empty()))
      bad(where, std::string("\"") + key + "\" must be " + (required ? "a non-empty" : "an") + " array of paths");
    for (const auto& s : v) {
      if (!s.is_string() || s.get<std::string>().empty()) bad(where, std::string("\"") + key + "\" holds a non-path");
      out.push_back(resolve(dir, s.get<std::string>()));
    }
    return out;
  };
  k.sources = paths("sources", true);
  k.include_dirs = paths("include_dirs", false);

  const std::string layout = j.contains("layout") ? str_field(j, "layout", where, true) : "head-tile";
  if (layout == "head-tile") {
    k.layout = PackageLayout::head_tile;
  } else if (layout == "q-tile-kv-stream") {
    k.layout = PackageLayout::q_tile_kv_stream;
  } else {
    bad(where, "\"layout\" \"" + layout + "\" is not one attncheck knows (head-tile, q-tile-kv-stream)");
  }

  if (!j.contains("entry")) bad(where, "needs \"entry\": the symbol the core calls");
  const auto& e = j.at("entry");
  if (k.layout == PackageLayout::head_tile) {
    if (!e.is_string()) bad(where, "\"entry\" must be the name of one C function for layout head-tile");
    k.entries[""] = e.get<std::string>();
  } else {
    if (!e.is_object()) bad(where, "\"entry\" must map " + join(stream_entry_roles()) + " to C functions for layout q-tile-kv-stream");
    for (const auto& role : stream_entry_roles()) {
      if (!e.contains(role) || !e.at(role).is_string()) bad(where, "\"entry\" needs \"" + role + "\" (a C function name)");
      k.entries[role] = e.at(role).get<std::string>();
    }
    if (e.size() != stream_entry_roles().size()) bad(where, "\"entry\" has roles beyond " + join(stream_entry_roles()));
  }
  for (const auto& [role, sym] : k.entries)
    if (!is_c_identifier(sym)) bad(where, "\"entry\" \"" + sym + "\" is not a C identifier");

  if (!j.contains("tile") || !j.at("tile").is_object()) bad(where, "needs \"tile\": {\"seq\": S, \"dim\": D}");
  known_keys(j.at("tile"), {"seq", "dim"}, where + ": tile");
  k.tile_seq = int_field(j.at("tile"), "seq", where + ": tile", 1, 4096);
  k.tile_dim = int_field(j.at("tile"), "dim", where + ": tile", 1, 4096);
  const size_t tile_bytes = static_cast<size_t>(k.tile_seq * k.tile_dim);

  if (!j.contains("args") || !j.at("args").is_array()) bad(where, "needs \"args\": the entry's arguments in order");
  std::set<std::string> names, tensors;
  const std::vector<std::string> tile_tensors = {"q", "k", "v"};
  for (size_t i = 0; i < j.at("args").size(); ++i) {
    const auto& a = j.at("args")[i];
    const std::string at = where + ": args[" + std::to_string(i) + "]";
    if (!a.is_object()) bad(at, "expected an object with one of \"input\", \"output\", \"param\"");
    const int kinds = static_cast<int>(a.contains("input")) + a.contains("output") + a.contains("param");
    if (kinds != 1) bad(at, "needs exactly one of \"input\", \"output\", \"param\"");
    PackageArg arg;
    if (a.contains("param")) {
      arg = parse_param(a, at);
    } else {
      known_keys(a, {"input", "output", "name", "bytes", "words"}, at);
      if (a.contains("input")) {
        arg.kind = PackageArg::input;
        const auto& t = a.at("input");
        if (!t.is_array() || t.empty()) bad(at, "\"input\" must be a non-empty array of tensor names");
        for (const auto& n : t) {
          if (!n.is_string()) bad(at, "\"input\" holds a non-name");
          arg.tensors.push_back(n.get<std::string>());
        }
      } else {
        arg.kind = PackageArg::output;
        if (!a.at("output").is_string() || a.at("output").get<std::string>() != "out")
          bad(at, "\"output\" must be \"out\" (the attention output, S x D int8)");
        arg.tensors = {"out"};
      }
      arg.name = a.contains("name") ? str_field(a, "name", at, true) : join(arg.tensors, "");
      if (a.contains("words")) {
        if (!a.at("words").is_array()) bad(at, "\"words\" must be an array of parameter names");
        for (const auto& w : a.at("words")) {
          if (!w.is_string()) bad(at, "\"words\" holds a non-name");
          arg.words.push_back(w.get<std::string>());
        }
      }
      // What the tensors take of one launch's buffer; the stream layout's K|V pairs grow with S.
      size_t need = 0;
      for (const auto& t : arg.tensors) {
        const bool stream = k.layout == PackageLayout::q_tile_kv_stream;
        const bool ok = t == "out" || (!stream && std::count(tile_tensors.begin(), tile_tensors.end(), t)) ||
                        (stream && (t == "q_rows" || t == "runtime_words" || t == "kv_pairs"));
        if (!ok)
          bad(at, "tensor \"" + t + "\" is not one layout " + layout + " packs (" +
                      (stream ? "q_rows, runtime_words, kv_pairs" : "q, k, v") + ")");
        if (!tensors.insert(t).second) bad(at, "tensor \"" + t + "\" is packed twice");
        need += t == "runtime_words" ? 4 * arg.words.size() : t == "kv_pairs" ? 0 : tile_bytes;
      }
      if (!arg.words.empty() && !std::count(arg.tensors.begin(), arg.tensors.end(), "runtime_words"))
        bad(at, "\"words\" given, but the buffer packs no runtime_words");
      if (a.contains("bytes")) {
        arg.bytes = static_cast<size_t>(int_field(a, "bytes", at, 1, 1 << 30));
        if (arg.bytes < need)
          bad(at, "packs " + join(arg.tensors) + " of a " + std::to_string(k.tile_seq) + "x" + std::to_string(k.tile_dim) +
                      " tile (" + std::to_string(need) + " B), but its buffer holds " + std::to_string(arg.bytes) + " B");
      } else {
        arg.bytes = need;
      }
    }
    if (!names.insert(arg.name).second) bad(at, "\"" + arg.name + "\" names two arguments");
    k.args.push_back(arg);
  }
  // The host calls an entry with up to 8 pointer or 32-bit arguments (kernels/host_kernels.cpp).
  if (k.args.size() > 8) bad(where, "\"args\" has " + std::to_string(k.args.size()) + " arguments, attncheck calls at most 8");
  size_t outputs = 0, inputs = 0;
  for (const auto& a : k.args) outputs += a.kind == PackageArg::output, inputs += a.kind == PackageArg::input;
  if (outputs != 1 || inputs == 0) bad(where, "\"args\" needs at least one input and exactly one output");
  const std::vector<std::string> required = k.layout == PackageLayout::head_tile
                                                ? tile_tensors
                                                : std::vector<std::string>{"q_rows", "runtime_words", "kv_pairs"};
  for (const auto& t : required)
    if (!tensors.count(t)) bad(where, "\"args\" never passes tensor " + t + " to the kernel");
  if (k.layout == PackageLayout::q_tile_kv_stream) {
    // The stream core's entries take the Q|words buffer, then the K|V pairs: that order, no params.
    const auto b = k.buffers();
    if (b.size() != 3 || b[0]->tensors != std::vector<std::string>{"q_rows", "runtime_words"} ||
        b[1]->tensors != std::vector<std::string>{"kv_pairs"})
      bad(where, "layout q-tile-kv-stream takes args [{\"input\": [\"q_rows\", \"runtime_words\"]}, {\"input\": [\"kv_pairs\"]}, "
                 "{\"output\": \"out\"}] and params");
  } else {
    // One compute tile holds every buffer twice (ObjectFIFOs of depth 2) beside its stack.
    size_t total = 0;
    for (const auto* b : k.buffers()) total += 2 * b->bytes;
    if (total + kAie2DefaultStackBytes > kAie2TileDataBytes)
      bad(where, "tile " + std::to_string(k.tile_seq) + "x" + std::to_string(k.tile_dim) + ": its buffers take " +
                     std::to_string(total) + " B double-buffered plus a 1 KiB stack, more than an AIE2 compute tile's " +
                     std::to_string(kAie2TileDataBytes / 1024) + " KiB of data memory");
  }

  k.model = str_field(j, "model", where, false);
  for (const auto& [key, field] : {std::pair<const char*, std::string*>{"elf", &k.elf},
                                   {"physical", &k.physical},
                                   {"xclbin", &k.xclbin},
                                   {"insts", &k.insts},
                                   {"design", &k.design},
                                   {"peer", &k.peer}}) {
    const std::string v = str_field(j, key, where, false);
    if (!v.empty()) *field = resolve(dir, v);
  }
  return k;
}

}  // namespace attncheck
