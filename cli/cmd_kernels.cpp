// `attncheck kernels [PKG...]`: the registry's revisions and the packages given, one line each; --details adds host build and stack facts.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "ref/errors.hpp"

#include "cli/commands.hpp"
#include "kernels/host_compile.hpp"
#include "kernels/host_kernels.hpp"
#include "kernels/kernel_worker.hpp"
#include "kernels/packages.hpp"
#include "ref/registry.hpp"
#include "sim/inspect.hpp"

namespace attncheck {
namespace {

std::string hex(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

// The stack lines of one revision: what its deepest call chain needs against what its design reserves.
std::string package_details(const Revision& r);
std::string stack_lines(const KernelFacts& f);

std::string details(const Revision& r) {
  if (!r.package->builtin) return package_details(r);
  std::string s;
  const HostKernel* hk = find_host_kernel(r.name);
  std::string entries;
  if (hk)
    for (const auto& e : hk->entries) entries += (entries.empty() ? "" : ", ") + e;
  s += "    host build   " + (hk ? "yes (--backend host), device entry points " + entries
                               : std::string("none: no device source in kernels/")) +
       "\n";
  const KernelFacts* f = find_kernel_facts(r.name);
  if (!f) return s + "    stack        not measured: no device source in kernels/\n";
  std::string sources;
  for (const auto& src : f->sources) sources += (sources.empty() ? "" : ", ") + src;
  s += "    source       " + sources + "\n";
  return s + stack_lines(*f);
}

// What the deepest call chain needs against what the design reserves, and the verdict.
std::string stack_lines(const KernelFacts& facts) {
  const KernelFacts* f = &facts;
  std::string s;
  std::string chain;
  for (const auto& fr : f->chain) chain += (chain.empty() ? "" : " -> ") + fr.function + " " + std::to_string(fr.bytes);
  s += "    stack est.   " + std::to_string(f->stack_need) + " B" + (f->need_bounded ? "" : " (lower bound)") +
       (chain.empty() ? "" : ": " + chain) + " (host " + f->measured_with.substr(0, f->measured_with.find(' ', 4)) +
       " on the source: an estimate by a different compiler than Peano)\n";
  s += "    reserved     " + std::to_string(f->stack_reserved) + " B (" + hex(f->stack_reserved) + ", " +
       (f->reserved_by_default ? (f->design_file.empty() ? std::string("kernel.json names no \"design\"") : f->design_file + " sets no stack_size") +
                                     ": mlir-aie's default"
                               : "stack_size in " + f->design_file) +
       ")\n";
  for (const auto& n : f->notes) s += "    note         " + n + "\n";
  if (f->overflow()) {
    s += "    verdict      OVERFLOW: " +
         (f->need_bounded ? "needs " + std::to_string(f->stack_need - f->stack_reserved) + " B more than reserved"
                          : std::string("the need is not bounded")) +
         "; frames run into the buffers placed above the stack\n";
  } else {
    s += "    verdict      fits, " + std::to_string(f->stack_reserved - f->stack_need) + " B to spare\n";
  }
  s += "    measured     " + f->measured_with + "\n";
  return s;
}

// The stack of a compiled binary: its frames from the ELF's own SP adjustments (docs/aie2.md).
std::string binary_stack(const std::string& elf_path, const std::string& ld_path) {
  const aie2::Elf e = aie2::read_elf(elf_path);
  std::unique_ptr<aie2::LinkScript> ld;
  if (!ld_path.empty()) ld = std::make_unique<aie2::LinkScript>(aie2::read_link_script(ld_path));
  const aie2::ElfReport r = aie2::inspect_elf(e, ld.get());
  std::string chain;
  for (const auto& n : r.stack.deepest_chain)
    for (const auto& f : r.functions)
      if (f.name == n) chain += (chain.empty() ? "" : " -> ") + n + " " + std::to_string(f.frame_bytes);
  return "  binary " + elf_path + " (sha256 " + e.sha256.substr(0, 16) + ")\n" +
         "    stack        " + std::to_string(r.stack.max_bytes) + " B from " + r.stack.entry + ": " + chain +
         " (the binary's own frames)\n    reserved     " + std::to_string(r.stack.reserved_bytes) + " B (" +
         r.stack.reserved_source + ")\n    verdict      " + aie2::stack_verdict(r) + "\n";
}

// A package on disk: what it declares, and its sources compiled now (the error, if they do not build).
std::string package_details(const Revision& r) {
  const KernelPackage& p = *r.package;
  std::string s = "    package      " + p.path + " (sha256 " + p.sha256.substr(0, 16) + "), layout " + layout_name(p.layout) +
                  ", tile " + std::to_string(p.tile_seq) + "x" + std::to_string(p.tile_dim) + "\n";
  s += "    model        " + (p.model.empty() ? std::string("none: the host-compiled source is the reference") : p.model) + "\n";
  if (p.layout == PackageLayout::head_tile) s += "    entry        " + p.prototype() + "\n";
  try {
    const HostKernel& k = host_kernel(r);
    s += "    host build   yes (--backend host): " + k.build.at("compiler").get<std::string>() +
         (k.build.at("cached").get<bool>() ? " (cached " : " (compiled to ") + k.build.at("library").get<std::string>() + ")\n";
    for (const auto& w : k.build.at("warnings")) s += "    warning      " + w.get<std::string>() + "\n";
  } catch (const InputError& e) {
    s += "    host build   FAILED: " + std::string(e.what()) + "\n";
  } catch (const KernelFault& e) {
    // Its library loads in a worker (never here), whose constructors may fault or exit.
    s += "    host build   FAILED: " + std::string(e.what()) + "\n";
  }
  for (const auto& [what, path] : {std::pair<const char*, const std::string*>{"elf", &p.elf}, {"xclbin", &p.xclbin}, {"insts", &p.insts}})
    if (!path->empty()) s += std::string("    ") + what + std::string(13 - std::string(what).size(), ' ') + *path + "\n";
  // The stack check of the built-ins, on the package's sources and design (the seeds' kernel broke on its stack).
  try {
    s += stack_lines(measure_package_stack(p));
  } catch (const InputError& e) {
    s += "    stack        not measured: " + std::string(e.what()) + "\n";
  }
  // A package with a compiled ELF: its own frames too, against its link script's stack.
  if (!p.elf.empty()) {
    const std::string beside = p.elf.substr(0, p.elf.rfind('.')) + ".ld.script";
    std::error_code ec;
    s += binary_stack(p.elf, std::filesystem::is_regular_file(beside, ec) ? beside : "");
  }
  return s;
}

}  // namespace

void add_kernel_timeout_option(CLI::App* cmd) {
  cmd->add_option_function<double>(
         "--kernel-timeout",
         [](const double& s) {
           if (!(s > 0 && s <= 86400)) throw InputError("--kernel-timeout: " + std::to_string(s) + " is not in 0..86400 seconds");
           set_kernel_timeout(s);
         },
         "A kernel package's launch (or its library's load) running longer than this many seconds is killed: exit 4 "
         "(default 60)")
      ->type_name("SECONDS");
}

void add_kernels_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("kernels", "List the kernel revisions this build knows");
  auto show_details = std::make_shared<bool>(false);
  auto elf = std::make_shared<std::string>();
  auto ld = std::make_shared<std::string>();
  auto packages = std::make_shared<std::vector<std::string>>();
  cmd->add_option("packages", *packages, "Kernel packages to list instead of the built-in revisions (DIR or DIR/kernel.json, or a built-in name)");
  cmd->add_flag("--details", *show_details,
                "Per revision: host build, device stack need (deepest call chain) against the stack its design reserves");
  cmd->add_option("--elf", *elf, "With --details: also the stack of this compiled core ELF, from its own frames");
  cmd->add_option("--ld-script", *ld, "With --elf: its link script (default: beside the ELF)");
  add_kernel_timeout_option(cmd);
  cmd->callback([&exit_code, show_details, elf, ld, packages] {
    if (!elf->empty() && !*show_details) throw InputError("--elf: goes with --details");
    std::string text;
    // The packages named, alone; without any, every built-in revision.
    std::vector<const Revision*> all;
    if (packages->empty())
      for (const auto& r : revisions()) all.push_back(&r);
    for (const auto& p : *packages) all.push_back(&resolve_kernel(p));
    for (const Revision* rp : all) {
      const Revision& r = *rp;
      char head[40];
      std::snprintf(head, sizeof head, "%-16s", r.name.c_str());
      std::string params;
      for (const auto& p : r.params) params += (params.empty() ? "" : " ") + p.name + "=" + std::to_string(p.default_value);
      text += std::string(head) + r.summary + (params.empty() ? "" : " [" + params + "]") +
              (r.package->builtin ? "" : " (" + r.package->path + ")") + "\n";
      if (*show_details) text += details(r);
    }
    if (!elf->empty()) {
      std::string script = *ld;
      if (script.empty()) {
        const std::string beside = elf->substr(0, elf->rfind('.')) + ".ld.script";
        if (FILE* f = std::fopen(beside.c_str(), "r")) std::fclose(f), script = beside;
      }
      text += binary_stack(*elf, script);
    }
    print(text);
    exit_code = 0;
  });
}

}  // namespace attncheck
