// Parses GCC's -fcallgraph-info=su output and mlir-aie designs into stack needs and reserves.
#include "kernels/stack_facts.hpp"

#include <algorithm>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace attncheck {
namespace {

// The raw text of `key: "..."` on a VCG line (escapes kept as written), or false.
bool quoted_field(const std::string& line, const std::string& key, std::string* out) {
  const std::string open = key + ": \"";
  size_t p = line.find(open);
  if (p == std::string::npos) return false;
  p += open.size();
  std::string v;
  for (; p < line.size(); ++p) {
    if (line[p] == '\\' && p + 1 < line.size()) {
      v += line[p];
      v += line[++p];
      continue;
    }
    if (line[p] == '"') {
      *out = v;
      return true;
    }
    v += line[p];
  }
  return false;
}

// GCC writes the label's line breaks as the two characters backslash and n.
std::vector<std::string> label_lines(const std::string& label) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (;;) {
    size_t p = label.find("\\n", start);
    lines.push_back(label.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 2;
  }
  return lines;
}

// Clones GCC makes (foo.constprop.0, foo.isra.0, foo.part.0, foo.cold) are still `foo` in the source.
std::string source_name(const std::string& name) {
  size_t dot = name.find('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

int64_t parse_int(const std::string& s, const std::string& where) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used, 0);
    if (used != s.size() || v < 0) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw std::runtime_error(where + ": '" + s + "' is not a non-negative integer");
  }
}

}  // namespace

void parse_callgraph_info(const std::string& text, const std::string& where, CallGraph* g) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool saw_graph = false;
  static const std::regex bytes_re(R"(^(\d+) bytes \(([a-z,]+)\)$)");
  while (std::getline(in, line)) {
    ++line_no;
    const std::string at = where + ":" + std::to_string(line_no);
    if (line.rfind("graph:", 0) == 0) saw_graph = true;
    if (line.rfind("node:", 0) == 0) {
      std::string title, label;
      if (!quoted_field(line, "title", &title)) throw std::runtime_error(at + ": node without a title");
      CallGraph::Node n;
      n.name = source_name(title.substr(title.rfind(':') == std::string::npos ? 0 : title.rfind(':') + 1));
      if (quoted_field(line, "label", &label)) {
        auto lines = label_lines(label);
        n.name = source_name(lines.front());
        for (const auto& l : lines) {
          std::smatch m;
          if (!std::regex_match(l, m, bytes_re)) continue;
          n.bytes = parse_int(m[1].str(), at);
          // "dynamic" alone means alloca/VLA of unknown size; "dynamic,bounded" has a known bound.
          n.dynamic = m[2].str() == "dynamic";
        }
      }
      g->nodes[title] = n;
    } else if (line.rfind("edge:", 0) == 0) {
      std::string from, to;
      if (!quoted_field(line, "sourcename", &from) || !quoted_field(line, "targetname", &to))
        throw std::runtime_error(at + ": edge without sourcename/targetname");
      g->edges[from].push_back(to);
    }
  }
  if (!saw_graph) throw std::runtime_error(where + ": not a -fcallgraph-info file (no 'graph:' line)");
}

ChainResult deepest_chain(const CallGraph& g, const std::string& entry) {
  if (!g.nodes.count(entry))
    throw std::runtime_error("entry point '" + entry + "' is not defined in the call graph (was it renamed or made static?)");
  std::map<std::string, ChainResult> memo;
  std::set<std::string> active;
  std::function<ChainResult(const std::string&)> visit = [&](const std::string& title) -> ChainResult {
    auto hit = memo.find(title);
    if (hit != memo.end()) return hit->second;
    ChainResult r;
    auto node = g.nodes.find(title);
    const std::string name = node != g.nodes.end() ? node->second.name : source_name(title);
    if (node == g.nodes.end() || node->second.bytes < 0) {
      // A callee GCC did not compile here (libc, a compiler helper): its frame is unknown.
      r.bounded = false;
      r.notes.push_back("calls " + name + ", whose frame size is unknown");
      r.chain.push_back({name, 0});
      return memo[title] = r;
    }
    if (active.count(title)) {
      r.bounded = false;
      r.notes.push_back("recursion through " + name);
      return r;  // not memoized: the partial result depends on the path
    }
    active.insert(title);
    ChainResult best;
    bool bounded = true;
    std::vector<std::string> notes;
    auto callees = g.edges.find(title);
    if (callees != g.edges.end()) {
      for (const auto& callee : callees->second) {
        ChainResult sub = visit(callee);
        bounded = bounded && sub.bounded;
        for (const auto& n : sub.notes)
          if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(n);
        if (sub.bytes > best.bytes || best.chain.empty()) best = sub;
      }
    }
    active.erase(title);
    r.bytes = node->second.bytes + best.bytes;
    r.chain.push_back({name, node->second.bytes});
    r.chain.insert(r.chain.end(), best.chain.begin(), best.chain.end());
    r.bounded = bounded && !node->second.dynamic;
    r.notes = notes;
    if (node->second.dynamic) r.notes.push_back(name + " has a frame of dynamic size");
    return memo[title] = r;
  };
  return visit(entry);
}

DesignStack parse_design_stack(const std::string& text, const std::string& where) {
  const bool mlir = where.size() >= 5 && where.compare(where.size() - 5, 5, ".mlir") == 0;
  // Comments and docstrings may talk about stack_size (ours do); only code counts.
  std::string code;
  if (mlir) {
    code = std::regex_replace(text, std::regex(R"(//[^\n]*)"), "");
  } else {
    code = std::regex_replace(text, std::regex(R"("""[\s\S]*?"""|'''[\s\S]*?''')"), "");
    code = std::regex_replace(code, std::regex(R"(#[^\n]*)"), "");
  }
  static const std::regex any_re(R"(\bstack_size\s*[=:])");
  static const std::regex value_re(R"(\bstack_size\s*[=:]\s*(0[xX][0-9a-fA-F]+|[0-9]+)\b)");
  DesignStack d;
  size_t mentions = std::distance(std::sregex_iterator(code.begin(), code.end(), any_re), std::sregex_iterator());
  size_t values = 0;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), value_re); it != std::sregex_iterator(); ++it) {
    int64_t v = parse_int((*it)[1].str(), where + ": stack_size");
    d.bytes = d.by_default ? v : std::min(d.bytes, v);
    d.by_default = false;
    ++values;
  }
  if (mentions != values)
    throw std::runtime_error(where + ": stack_size must be a literal integer (e.g. stack_size=0xA00) for the stack check to read it");
  return d;
}

}  // namespace attncheck
