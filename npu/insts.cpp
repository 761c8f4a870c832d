// Parses aiecc.py's instruction streams; every malformed input is a one-line InputError naming the file.
#include "npu/insts.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "fixtures/input_file.hpp"
#include "ref/errors.hpp"
#include "sim/load/npu_insts.hpp"

namespace attncheck {

std::vector<uint32_t> parse_insts_bin(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name + ": empty instruction file");
  // A partial trailing word means a truncated or foreign file; passing it would hand the
  // firmware a stream that ends mid-instruction.
  if (bytes.size() % 4 != 0)
    throw InputError(name + ": " + std::to_string(bytes.size()) +
                     " bytes is not a whole number of 32-bit instruction words");
  std::vector<uint32_t> words(bytes.size() / 4);
  for (size_t i = 0; i < words.size(); ++i) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + 4 * i);
    words[i] = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  }
  return words;
}

std::vector<uint32_t> parse_insts_txt(const std::string& text, const std::string& name) {
  std::vector<uint32_t> words;
  std::istringstream in(text);
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    size_t b = 0, e = line.size();
    while (b < e && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(line[e - 1]))) --e;
    if (b == e) continue;  // aiecc ends the file with a newline; blank lines carry nothing
    std::string w = line.substr(b, e - b);
    if (w.size() > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) w = w.substr(2);
    bool ok = !w.empty() && w.size() <= 8;
    for (char c : w) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
    if (!ok)
      throw InputError(name + ":" + std::to_string(line_no) + ": '" + line.substr(b, e - b).substr(0, 40) +
                       "' is not one 32-bit hex word");
    words.push_back(static_cast<uint32_t>(std::stoul(w, nullptr, 16)));
  }
  if (words.empty()) throw InputError(name + ": no instruction words");
  return words;
}

std::vector<uint32_t> read_insts(const std::string& path) {
  // The one place every backend reads an instruction file (--insts, a package's "insts").
  // npu_insts.mlir (aiecc's lowered runtime sequence) is encoded into the words aie-translate
  // --aie-npu-to-binary would write (sim/load/npu_insts.hpp, docs/npu-instructions.md).
  const bool mlir = path.size() >= 5 && path.compare(path.size() - 5, 5, ".mlir") == 0;
  if (mlir) return aie2::read_instruction_stream(path).words;
  const std::string bytes = read_text_file(path, kMaxTextInputBytes, "an instruction stream");
  const bool text = path.size() >= 4 && path.compare(path.size() - 4, 4, ".txt") == 0;
  return text ? parse_insts_txt(bytes, path) : parse_insts_bin(bytes, path);
}

}  // namespace attncheck
