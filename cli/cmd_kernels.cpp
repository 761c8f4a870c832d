// `attncheck kernels`: the revisions of the registry, one line each.
#include <cstdio>

#include "cli/commands.hpp"
#include "ref/registry.hpp"

namespace attncheck {

void add_kernels_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("kernels", "List the kernel revisions this build knows");
  cmd->callback([&exit_code] {
    std::string text;
    for (const auto& r : revisions()) {
      char head[40];
      std::snprintf(head, sizeof head, "%-16s", r.name.c_str());
      std::string params;
      for (const auto& p : r.params) params += (params.empty() ? "" : " ") + p.name + "=" + std::to_string(p.default_value);
      text += std::string(head) + r.summary + (params.empty() ? "" : " [" + params + "]") + "\n";
    }
    print(text);
    exit_code = 0;
  });
}

}  // namespace attncheck
