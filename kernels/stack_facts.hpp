// Stack facts of the device kernels: parsing GCC call graphs (.ci) and mlir-aie designs, and the deepest call chain.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attncheck {

// One frame of a call chain, outermost first.
struct StackFrame {
  std::string function;  // as written in the source (GCC clone suffixes such as .constprop.0 dropped)
  int64_t bytes = 0;
};

// What the build measured and what the design reserves, per revision. Generated at build time
// (kernels/CMakeLists.txt runs attncheck_stack_facts over the host compile's .ci files).
struct KernelFacts {
  std::string revision;
  std::vector<std::string> entries;  // every function the core calls, e.g. {attention_64x64}
  std::string entry;                 // the one of them whose chain is deepest (chain.front())
  std::vector<std::string> sources;  // relative to the repository, e.g. kernels/<rev>/attention.c
  std::string design_file;           // relative to the repository
  int64_t stack_need = 0;            // bytes of the deepest chain from any entry point
  std::vector<StackFrame> chain;     // that chain
  bool need_bounded = true;          // false: recursion, dynamic frames or calls GCC could not size
  int64_t stack_reserved = 0;        // bytes of core stack the design reserves
  bool reserved_by_default = true;   // the design sets no stack_size: mlir-aie's default applies
  std::string measured_with;         // compiler and flags of the measuring compile
  std::vector<std::string> notes;    // e.g. "calls memset, size unknown"
  bool overflow() const { return !need_bounded || stack_need > stack_reserved; }
};

// mlir-aie's core stack when a design sets no stack_size.
constexpr int64_t kDefaultCoreStack = 0x400;

// A call graph as GCC's -fcallgraph-info=su writes it (VCG text, one graph per translation unit).
struct CallGraph {
  struct Node {
    std::string name;      // display name
    int64_t bytes = -1;    // -1: GCC gave no size (an external function)
    bool dynamic = false;  // "dynamic" frame (alloca/VLA) without a bound
  };
  std::map<std::string, Node> nodes;                     // by title
  std::map<std::string, std::vector<std::string>> edges;  // title -> callee titles
};

// Adds the graph in `text` to `g`; std::runtime_error naming `where` on malformed input.
void parse_callgraph_info(const std::string& text, const std::string& where, CallGraph* g);

struct ChainResult {
  int64_t bytes = 0;
  std::vector<StackFrame> chain;
  bool bounded = true;
  std::vector<std::string> notes;
};
// The most stack-hungry call chain starting at the function named `entry` (a global, so its title
// is its plain name). std::runtime_error when `entry` is not in the graph.
ChainResult deepest_chain(const CallGraph& g, const std::string& entry);

struct DesignStack {
  int64_t bytes = kDefaultCoreStack;
  bool by_default = true;
};
// stack_size from an IRON Python design (`Worker(..., stack_size=0xA00)`) or MLIR
// (`stack_size = 2560`), comments ignored. Several workers: the smallest, since the kernel runs
// on each. std::runtime_error naming `where` on a value that is not an integer.
DesignStack parse_design_stack(const std::string& text, const std::string& where);

}  // namespace attncheck
