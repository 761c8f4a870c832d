// `attncheck xclbin wrap --pdi main.pdi --out F.xclbin`: a design's PDI in an xclbin, for what takes an xclbin (docs/npu.md, "Bring your own xclbin").
#include <memory>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "fixtures/input_file.hpp"
#include "fixtures/sha256.hpp"
#include "ref/errors.hpp"
#include "sim/load/xclbin_wrap.hpp"

namespace attncheck {

void add_xclbin_command(CLI::App& app, int& exit_code) {
  auto* xclbin = app.add_subcommand("xclbin", "Work with xclbins: wrap a PDI into one");
  xclbin->require_subcommand(1);
  struct Args {
    std::string pdi, out, name = "attncheck-wrapped";
  };
  auto a = std::make_shared<Args>();
  auto* wrap = xclbin->add_subcommand("wrap", "Write an xclbin (XRT's axlf layout) whose AIE_PARTITION holds the PDI");
  wrap->add_option("--pdi", a->pdi, "The design's main.pdi (aiecc writes it)")->required();
  wrap->add_option("--out", a->out, "The xclbin to write")->required();
  wrap->add_option("--name", a->name, "The name its metadata carries")->capture_default_str();
  wrap->callback([a, &exit_code] {
    OutputSet::check("--out", a->out);
    check_distinct_paths({{"--pdi", a->pdi}}, {{"--out", a->out}});
    const std::string text = read_text_file(a->pdi, kMaxProgramFileBytes, "a PDI");
    const std::vector<uint8_t> pdi(text.begin(), text.end());
    const std::vector<uint8_t> x = aie2::wrap_pdi_in_xclbin(pdi, a->name, a->pdi);
    OutputSet outputs;
    outputs.write(a->out, std::string(x.begin(), x.end()));
    outputs.commit();
    print("xclbin " + a->out + ": " + std::to_string(x.size()) + " bytes, AIE_PARTITION holding " + a->pdi + " (" +
          std::to_string(pdi.size()) + " bytes, sha256 " + sha256_hex(pdi.data(), pdi.size()).substr(0, 16) +
          "); for the simulator (--backend sim --xclbin) and readers of the AIE partition: a device run needs the kernel "
          "metadata aiecc's xclbinutil step adds\n");
    exit_code = kExitOk;
  });
}

}  // namespace attncheck
