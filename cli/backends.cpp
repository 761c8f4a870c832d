// The backends of `attncheck run`; each says in its report object what produced the numbers.
#include "cli/backends.hpp"

#include "kernels/host_kernels.hpp"
#include "ref/errors.hpp"

namespace attncheck {

std::vector<BackendInfo> backend_list() {
  return {
      {"model", "the integer model of the revision (ref/), the bit-exact reference", true},
      {"host", "the revision's device source compiled for this CPU (kernels/)", true},
  };
}

BackendResult run_backend(const std::string& name, const Revision& rev, const Params& params, const Fixture& fx,
                          const BackendOptions&) {
  for (const auto& b : backend_list()) {
    if (b.name != name) continue;
    if (name == "model") {
      BackendResult r;
      r.output = rev.model(fx.inputs, params);
      r.info = {{"name", "model"}, {"description", b.description}};
      r.is_model = true;
      return r;
    }
    if (name == "host") {
      const HostKernel* k = find_host_kernel(rev.name);
      if (!k) throw InputError("--backend host: revision " + rev.name + " has no device source in kernels/");
      BackendResult r;
      r.output = k->run(fx.inputs, params);
      r.info = {{"name", "host"}, {"description", b.description}, {"compiler", host_compiler()}};
      if (const KernelFacts* f = find_kernel_facts(rev.name)) r.info["sources"] = f->sources;
      return r;
    }
  }
  std::string known;
  for (const auto& b : backend_list()) known += (known.empty() ? "" : ", ") + b.name;
  throw InputError("--backend " + name + ": unknown backend (known: " + known + ")");
}

}  // namespace attncheck
