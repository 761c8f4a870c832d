// Static analysis of an AIE2 core ELF: decoding, frames from SP adjustments, the call graph, the deepest stack and its overlaps.
#include "sim/inspect.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures/input_file.hpp"
#include "fixtures/npy.hpp"
#include "ref/errors.hpp"
#include "sim/hex.hpp"

namespace attncheck::aie2 {
namespace {

constexpr uint32_t kDefaultStackBytes = 0x400;  // mlir-aie's stack_size default

uint32_t parse_number(const std::string& s) { return static_cast<uint32_t>(std::stoul(s, nullptr, 0)); }

// Immediate SP adjustment of a slot instruction, 0 when it has none.
int64_t sp_adjustment(const SlotInst& s) {
  if (!s.enc || s.enc->sem != Sem::PaddSp) return 0;
  return s.ops.empty() ? 0 : s.ops[0].value;
}

bool is_function_symbol(const ElfSymbol& s) { return s.is_function() && s.size > 0; }

}  // namespace

const LinkSymbol* LinkScript::find(const std::string& name) const {
  for (const auto& s : symbols)
    if (s.name == name) return &s;
  return nullptr;
}

LinkScript parse_link_script(const std::string& text, const std::string& name) {
  LinkScript ld;
  ld.path = name;
  // Only the location-counter statements matter: `. = A;`, `SYM = .;`, `. += N;`. Comments go first.
  std::string clean;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "/*") == 0) {
      const size_t e = text.find("*/", i + 2);
      if (e == std::string::npos) throw InputError(name + ": unterminated comment");
      for (size_t k = i; k < e + 2; ++k) clean += text[k] == '\n' ? '\n' : ' ';
      i = e + 1;
      continue;
    }
    clean += text[i];
  }
  static const std::regex set_dot(R"(^\s*\.\s*=\s*(0[xX][0-9a-fA-F]+|[0-9]+)\s*;\s*$)");
  static const std::regex add_dot(R"(^\s*\.\s*\+=\s*(0[xX][0-9a-fA-F]+|[0-9]+)\s*;\s*$)");
  static const std::regex sym_dot(R"(^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\.\s*;\s*$)");
  std::istringstream in(clean);
  std::string line;
  uint64_t dot = 0;
  bool dot_known = false;
  int depth = 0;  // inside SECTIONS { .text : { ... } } the counter is the linker's, not ours
  LinkSymbol* last = nullptr;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::smatch m;
    const int opens = static_cast<int>(std::count(line.begin(), line.end(), '{'));
    const int closes = static_cast<int>(std::count(line.begin(), line.end(), '}'));
    if (depth <= 1 && std::regex_match(line, m, set_dot)) {
      dot = parse_number(m[1]);
      dot_known = true;
      last = nullptr;
    } else if (depth <= 1 && std::regex_match(line, m, add_dot)) {
      if (!dot_known) throw InputError(name + ":" + std::to_string(lineno) + ": '. +=' before any '. ='");
      const uint32_t n = parse_number(m[1]);
      if (last && last->size == 0) last->size = n;
      dot += n;
      last = nullptr;
    } else if (depth <= 1 && dot_known && std::regex_match(line, m, sym_dot)) {
      ld.symbols.push_back({m[1], static_cast<uint32_t>(dot), 0});
      last = &ld.symbols.back();
    }
    depth += opens - closes;
    if (depth < 0) throw InputError(name + ":" + std::to_string(lineno) + ": unbalanced '}'");
  }
  return ld;
}

LinkScript read_link_script(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, 2, kMaxTextInputBytes, "a link script");
  return parse_link_script(std::string(bytes.begin(), bytes.end()), path);
}

int Program::index_at(uint32_t address) const {
  auto it = std::lower_bound(bundles.begin(), bundles.end(), address,
                             [](const Bundle& b, uint32_t a) { return b.address < a; });
  if (it == bundles.end() || it->address != address) return -1;
  return static_cast<int>(it - bundles.begin());
}

Program decode_program(const Elf& elf) {
  Program p;
  p.base = elf.text_address();
  const auto& t = elf.text();
  for (size_t off = 0; off < t.size();) {
    Bundle b = decode_bundle(t.data() + off, t.size() - off, p.base + static_cast<uint32_t>(off));
    if (b.size == 0 || b.size > t.size() - off) {
      // A truncated last bundle: keep it, undecoded, so the report shows its bytes.
      b.size = static_cast<uint8_t>(t.size() - off);
      std::copy(t.begin() + off, t.end(), b.bytes.begin());
      b.format = nullptr;
      p.bundles.push_back(b);
      break;
    }
    off += b.size;
    p.bundles.push_back(std::move(b));
  }
  return p;
}

std::string function_name_at(const Elf& elf, uint32_t address) {
  const ElfSymbol* s = elf.function_at(address);
  return s ? s->name : "";
}

ElfReport inspect_elf(const Elf& elf, const LinkScript* ld, const std::vector<BufferInfo>* buffers) {
  ElfReport r;
  r.path = elf.path;
  r.sha256 = elf.sha256;
  r.link_script = ld ? ld->path : "";
  const Program prog = decode_program(elf);
  r.bundles = prog.bundles.size();
  for (const auto& b : prog.bundles) {
    if (b.ok()) continue;
    std::string what = "no bundle format matches";
    if (b.format)
      for (size_t i = 0; i < b.slots.size(); ++i)
        if (!b.slots[i].enc) what = std::string("no ") + slot_name(b.format->slots[i].slot) + "-slot instruction matches";
    r.undecoded.push_back({b.address, b.bytes_hex(), what});
  }

  // Functions: sized FUNC symbols, in address order; aliases (size 0, e.g. `main`) are skipped.
  std::vector<const ElfSymbol*> funcs;
  for (const auto& s : elf.symbols)
    if (is_function_symbol(s)) funcs.push_back(&s);
  std::sort(funcs.begin(), funcs.end(), [](const ElfSymbol* a, const ElfSymbol* b) { return a->value < b->value; });
  auto func_named_at = [&](uint32_t a) -> std::string {
    for (const ElfSymbol* f : funcs)
      if (f->value == a) return f->name;
    return "";
  };
  for (const ElfSymbol* f : funcs) {
    FunctionInfo fi;
    fi.name = f->name;
    fi.address = f->value;
    fi.size = f->size;
    int64_t sp = 0, peak = 0;
    bool ends_in_transfer = false;
    int last_unconditional = -100;
    const int first = prog.index_at(f->value);
    for (int i = first; i >= 0 && i < static_cast<int>(prog.bundles.size()); ++i) {
      const Bundle& b = prog.bundles[i];
      if (b.address >= f->value + f->size) break;
      if (std::any_of(b.slots.begin(), b.slots.end(), [](const SlotInst& s) { return is_vector_instruction(s); }))
        ++fi.vector_bundles;
      for (const auto& s : b.slots) {
        sp += sp_adjustment(s);
        peak = std::max(peak, sp);
        if (!s.enc) continue;
        const Sem sem = s.enc->sem;
        if (sem == Sem::Call || sem == Sem::Jump || sem == Sem::Jz || sem == Sem::Jnz) {
          const uint32_t target = static_cast<uint32_t>(s.ops.back().value);
          if (prog.index_at(target) < 0) r.bad_targets.push_back(hex32(b.address) + " -> " + hex32(target));
          const bool inside = target >= f->value && target < f->value + f->size;
          if (sem == Sem::Call) fi.calls.push_back({b.address, target, "call", func_named_at(target)});
          else if (!inside) fi.calls.push_back({b.address, target, "tail", func_named_at(target)});
        } else if (sem == Sem::CallInd || (sem == Sem::JumpInd)) {
          fi.calls.push_back({b.address, 0, "indirect", ""});
        }
        if (sem == Sem::Ret || sem == Sem::Jump || sem == Sem::JumpInd) last_unconditional = i;
      }
    }
    // A function whose last control transfer is not within its final six bundles runs into the
    // next symbol: `__start` falls into `main` this way.
    const int last = prog.index_at(f->value + f->size) - 1;
    ends_in_transfer = last >= 0 && last - last_unconditional <= 5;
    if (!ends_in_transfer) {
      const std::string next = func_named_at(f->value + f->size);
      if (!next.empty()) fi.calls.push_back({f->value + f->size, f->value + f->size, "fallthrough", next});
    }
    fi.frame_bytes = static_cast<uint32_t>(peak);
    r.functions.push_back(std::move(fi));
  }

  // Deepest chain from the entry: the frames of every function on the path add up, since SP only
  // returns when a callee does. A tail call or fallthrough replaces the caller's frame by the
  // callee's only after the caller lowered SP, which its epilogue does before the jump, so
  // summing overestimates nothing the running SP does not also reach.
  std::map<std::string, const FunctionInfo*> by_name;
  for (const auto& f : r.functions) by_name[f.name] = &f;
  const ElfSymbol* entry = nullptr;
  for (const ElfSymbol* f : funcs)
    if (f->value == elf.entry) entry = f;
  r.stack.entry = entry ? entry->name : hex32(elf.entry);
  std::set<std::string> on_path;
  std::function<uint32_t(const std::string&, std::vector<std::string>*)> depth =
      [&](const std::string& name, std::vector<std::string>* chain) -> uint32_t {
    const FunctionInfo* f = by_name.count(name) ? by_name[name] : nullptr;
    if (!f) return 0;
    if (on_path.count(name)) {
      r.stack.unbounded = true;
      r.stack.unbounded_reason = "recursion through " + name;
      return 0;
    }
    on_path.insert(name);
    uint32_t best = 0;
    std::vector<std::string> best_chain;
    for (const auto& c : f->calls) {
      if (c.kind == "indirect") {
        r.stack.unbounded = true;
        r.stack.unbounded_reason = "indirect call at " + hex32(c.at) + " in " + name;
        continue;
      }
      if (c.callee.empty()) continue;
      std::vector<std::string> sub;
      // A fallthrough or tail call leaves the caller's frame behind only if the caller keeps it;
      // the frame the callee sees is the caller's running SP at the jump, which for these
      // (prologue-free) entry stubs and epilogue-then-jump tails is the caller's entry SP.
      const uint32_t d = depth(c.callee, &sub);
      const uint32_t here = (c.kind == "call") ? f->frame_bytes + d : std::max(f->frame_bytes, d);
      if (here > best || best_chain.empty()) {
        best = here;
        best_chain = std::move(sub);
      }
    }
    on_path.erase(name);
    best = std::max(best, f->frame_bytes);
    chain->push_back(name);
    chain->insert(chain->end(), best_chain.begin(), best_chain.end());
    return best;
  };
  if (entry) r.stack.max_bytes = depth(entry->name, &r.stack.deepest_chain);

  // The stack region: where SP starts and what the build reserved.
  const ElfSymbol* sp0 = elf.symbol("_sp_start_value_DM_stack");
  const LinkSymbol* ld_sp = ld ? ld->find("_sp_start_value_DM_stack") : nullptr;
  r.stack.base = sp0 ? sp0->value : ld_sp ? ld_sp->address : 0x70000;
  if (ld_sp && ld_sp->size) {
    r.stack.reserved_bytes = ld_sp->size;
    r.stack.reserved_source = "link script";
  } else {
    r.stack.reserved_bytes = kDefaultStackBytes;
    r.stack.reserved_source = "default 0x400 (mlir-aie)";
  }

  // Buffers: the design's when given, else the ObjectFIFO symbols of the ELF.
  if (buffers) {
    r.buffers = *buffers;
  } else {
    for (const auto& s : elf.symbols) {
      if (s.name.rfind("of_", 0) != 0) continue;
      BufferInfo b{s.name, s.value, 0, "unknown"};
      if (const LinkSymbol* l = ld ? ld->find(s.name) : nullptr; l && l->size) b.size = l->size, b.size_source = "link script";
      r.buffers.push_back(b);
    }
    std::sort(r.buffers.begin(), r.buffers.end(), [](const BufferInfo& a, const BufferInfo& b) { return a.address < b.address; });
  }
  const uint32_t lo = r.stack.base, hi = r.stack.reaches();
  for (const auto& b : r.buffers) {
    if (b.size == 0) continue;
    const uint32_t s = std::max(lo, b.address), e = std::min(hi, b.address + b.size);
    if (s < e) r.overlaps.push_back({b.name, s - b.address, e - 1 - b.address, e - s});
  }
  // The ELF's own data is overwritten the same way when the stack runs into it.
  for (auto& o : data_section_overlaps(elf, lo, hi)) r.overlaps.push_back(std::move(o));
  return r;
}

std::vector<Overlap> data_section_overlaps(const Elf& elf, uint32_t lo, uint32_t hi) {
  // Tables, LUTs, constants: allocated, not executable sections in data memory (0x40000 up).
  std::vector<Overlap> out;
  for (const auto& sec : elf.sections) {
    constexpr uint32_t kShfAlloc = 0x2, kShfExec = 0x4;
    if (!(sec.flags & kShfAlloc) || (sec.flags & kShfExec) || sec.size == 0 || sec.addr < 0x40000) continue;
    const uint32_t s = std::max(lo, sec.addr), e = std::min(hi, sec.addr + sec.size);
    if (s < e) out.push_back({sec.name + " (the ELF's own data)", s - sec.addr, e - 1 - sec.addr, e - s});
  }
  return out;
}

nlohmann::json to_json(const ElfReport& r) {
  nlohmann::json funcs = nlohmann::json::array();
  for (const auto& f : r.functions) {
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& c : f.calls)
      calls.push_back({{"at", c.at}, {"target", c.target}, {"kind", c.kind}, {"callee", c.callee}});
    funcs.push_back({{"name", f.name}, {"address", f.address}, {"size", f.size}, {"frame_bytes", f.frame_bytes},
                     {"vector_bundles", f.vector_bundles}, {"calls", calls}});
  }
  nlohmann::json und = nlohmann::json::array();
  for (const auto& u : r.undecoded) und.push_back({{"address", u.address}, {"bytes", u.bytes}, {"what", u.what}});
  nlohmann::json bufs = nlohmann::json::array();
  for (const auto& b : r.buffers)
    bufs.push_back({{"name", b.name}, {"address", b.address}, {"size", b.size}, {"size_source", b.size_source}});
  nlohmann::json ov = nlohmann::json::array();
  for (const auto& o : r.overlaps)
    ov.push_back({{"buffer", o.buffer}, {"first_byte", o.first_byte}, {"last_byte", o.last_byte}, {"bytes", o.bytes}});
  return {
      {"elf", {{"path", r.path}, {"sha256", r.sha256}}},
      {"link_script", r.link_script.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.link_script)},
      {"bundles", r.bundles},
      {"undecoded", und},
      {"bad_branch_targets", r.bad_targets},
      {"functions", funcs},
      {"stack",
       {{"entry", r.stack.entry},
        {"base", r.stack.base},
        {"reserved_bytes", r.stack.reserved_bytes},
        {"reserved_source", r.stack.reserved_source},
        {"max_bytes", r.stack.max_bytes},
        {"reaches", r.stack.reaches()},
        {"deepest_chain", r.stack.deepest_chain},
        {"unbounded", r.stack.unbounded},
        {"unbounded_reason", r.stack.unbounded_reason}}},
      {"buffers", bufs},
      {"overlaps", ov},
      {"verdict", stack_verdict(r)},
  };
}

std::string stack_verdict(const ElfReport& r, uint32_t row_bytes) {
  const StackInfo& s = r.stack;
  std::string out;
  if (s.unbounded) out = "stack depth unbounded (" + s.unbounded_reason + "); at least ";
  if (r.overlaps.empty()) {
    const bool fits = s.max_bytes <= s.reserved_bytes;
    return out + (fits ? "stack fits: " : "stack exceeds its reservation but hits no buffer: ") +
           std::to_string(s.max_bytes) + " B of " + std::to_string(s.reserved_bytes) + " B reserved (" +
           s.reserved_source + ")";
  }
  out += "stack reaches " + hex32(s.reaches()) + ":";
  for (size_t i = 0; i < r.overlaps.size(); ++i) {
    const Overlap& o = r.overlaps[i];
    out += (i ? ";" : "") + std::string(" ") + std::to_string(o.bytes) + " B into " + o.buffer + " (bytes " +
           std::to_string(o.first_byte) + ".." + std::to_string(o.last_byte);
    if (row_bytes) out += ", rows " + std::to_string(o.first_byte / row_bytes) + ".." + std::to_string(o.last_byte / row_bytes) +
                          " of " + std::to_string(row_bytes) + " B";
    out += ")";
  }
  return out;
}

std::string inspect_text(const ElfReport& r) {
  std::ostringstream o;
  o << r.path << "  sha256 " << r.sha256.substr(0, 16) << "\n";
  o << "  " << r.bundles << " bundles, " << r.undecoded.size() << " undecoded, " << r.bad_targets.size()
    << " branch targets off a bundle start\n";
  for (const auto& u : r.undecoded) o << "  undecoded at " << hex32(u.address) << ": " << u.bytes << " (" << u.what << ")\n";
  for (const auto& t : r.bad_targets) o << "  branch target off a bundle start: " << t << "\n";
  o << "\n  functions                         address      size   frame  vector bundles\n";
  for (const auto& f : r.functions) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-32s %8s %8u %6u B %8u\n", f.name.c_str(), hex32(f.address).c_str(), f.size, f.frame_bytes,
                  f.vector_bundles);
    o << line;
    for (const auto& c : f.calls)
      if (!c.callee.empty() || c.kind == "indirect")
        o << "      " << c.kind << " at " << hex32(c.at) << " -> " << (c.callee.empty() ? "?" : c.callee) << "\n";
  }
  o << "\n  stack     base " << hex32(r.stack.base) << ", " << r.stack.reserved_bytes << " B reserved (" << r.stack.reserved_source
    << "), deepest chain from " << r.stack.entry << ": " << r.stack.max_bytes << " B\n           ";
  for (size_t i = 0; i < r.stack.deepest_chain.size(); ++i) {
    const std::string& n = r.stack.deepest_chain[i];
    uint32_t fb = 0;
    for (const auto& f : r.functions)
      if (f.name == n) fb = f.frame_bytes;
    o << (i ? " -> " : "") << n << " " << fb;
  }
  o << "\n  buffers\n";
  for (const auto& b : r.buffers)
    o << "    " << b.name << " at " << hex32(b.address) << ", " << (b.size ? std::to_string(b.size) + " B" : "size unknown")
      << " (" << b.size_source << ")\n";
  o << "\n  " << stack_verdict(r) << "\n";
  return o.str();
}

std::string disassemble(const Elf& elf) {
  const Program prog = decode_program(elf);
  // Labels: every symbol in .text (functions and the compiler's .LBB/.L_LEnd block labels);
  // a function wins over a block label at the same address.
  uint16_t text_index = 0;
  for (size_t i = 0; i < elf.sections.size(); ++i)
    if (elf.sections[i].name == ".text") text_index = static_cast<uint16_t>(i);
  std::map<uint32_t, std::string> labels;
  for (const auto& s : elf.symbols)
    if (s.shndx == text_index && !s.name.empty() && s.type != 4 && !labels.count(s.value)) labels[s.value] = s.name;
  for (const auto& s : elf.symbols)
    if (s.is_function() && s.size > 0 && s.shndx == text_index) labels[s.value] = s.name;
  std::ostringstream o;
  o << elf.path << ":  file format elf32-aie2 (sha256 " << elf.sha256 << ")\n\nDisassembly of section .text:\n";
  for (const auto& b : prog.bundles) {
    if (auto it = labels.find(b.address); it != labels.end()) {
      char h[32];
      std::snprintf(h, sizeof h, "\n%08x ", b.address);
      o << h << "<" << it->second << ">:\n";
    }
    std::vector<std::string> targets;
    for (const auto& s : b.slots) {
      std::string t;
      if (s.enc && !s.ops.empty() && s.ops.back().kind == OperandKind::Target) {
        const uint32_t a = static_cast<uint32_t>(s.ops.back().value);
        if (auto it = labels.find(a); it != labels.end()) t = it->second;
        else if (const ElfSymbol* f = elf.function_at(a)) t = f->name + "+" + hex32(a - f->value);
      }
      targets.push_back(t);
    }
    char head[128];
    std::snprintf(head, sizeof head, "%8x: %-47s  %-26s ", b.address, b.bytes_hex().c_str(), b.format ? b.format->name : "?");
    o << head << format_bundle(b, targets) << "\n";
  }
  return o.str();
}

std::vector<Overlap> stack_over_data(const Elf& elf, std::optional<uint32_t> stack_at, uint32_t max_sp) {
  const ElfSymbol* sp0 = elf.symbol("_sp_start_value_DM_stack");
  if (!stack_at && !sp0) return {};
  const uint32_t start = stack_at ? *stack_at : sp0->value;
  return max_sp > start ? data_section_overlaps(elf, start, max_sp) : std::vector<Overlap>{};
}

}  // namespace attncheck::aie2
