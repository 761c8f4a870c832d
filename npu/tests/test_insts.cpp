// Instruction streams: insts.bin words, insts.txt hex lines, and every malformed file named in a one-line error.
#include <catch2/catch.hpp>

#include "fixtures/testing/test_support.hpp"
#include "npu/insts.hpp"
#include "ref/errors.hpp"

// Everything below is this file's own: several test files may compile as one unity batch, where
// ATTNCHECK_TEST_FILE_NS names this file (fixtures/testing/CMakeLists.txt).
namespace { namespace ATTNCHECK_TEST_FILE_NS {

using namespace attncheck;
using attncheck::testing::TempDir;
using attncheck::testing::write_bytes;

TEST_CASE("npu insts: insts.bin is little-endian 32-bit words, counted in words") {
  const std::string b("\x01\x00\x00\x00\xef\xbe\xad\xde\x00\x00\x00\x80", 12);
  const auto w = parse_insts_bin(b, "insts.bin");
  REQUIRE(w.size() == 3);
  CHECK(w[0] == 1u);
  CHECK(w[1] == 0xDEADBEEFu);
  CHECK(w[2] == 0x80000000u);
}

TEST_CASE("npu insts: an insts.bin size that is not a multiple of 4 is an error naming the file") {
  for (size_t n : {1u, 2u, 3u, 5u, 4099u}) {
    const std::string b(n, '\x07');
    try {
      parse_insts_bin(b, "build/insts.bin");
      FAIL("accepted " << n << " bytes");
    } catch (const InputError& e) {
      const std::string m = e.what();
      CHECK(m.rfind("build/insts.bin: ", 0) == 0);
      CHECK(m.find(std::to_string(n) + " bytes") != std::string::npos);
      CHECK(m.find('\n') == std::string::npos);
    }
  }
  CHECK_THROWS_AS(parse_insts_bin("", "e.bin"), InputError);
}

TEST_CASE("npu insts: insts.txt takes one hex word a line, with or without 0x, blank lines skipped") {
  const auto w = parse_insts_txt("06030100\n  0x00000105 \r\n\nFFFFFFFF\n", "insts.txt");
  REQUIRE(w.size() == 3);
  CHECK(w[0] == 0x06030100u);
  CHECK(w[1] == 0x105u);
  CHECK(w[2] == 0xFFFFFFFFu);
}

TEST_CASE("npu insts: a bad insts.txt line is an error with its line number") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"00000001\n0000000g\n", ":2:"},       // not hex
      {"1\n2\n\n123456789\n", ":4:"},        // more than 32 bits
      {"00000001 00000002\n", ":1:"},        // two words on a line
      {"0x\n", ":1:"},                       // prefix alone
  };
  for (const auto& [text, where] : bad) {
    try {
      parse_insts_txt(text, "k/insts.txt");
      FAIL("accepted: " << text);
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).rfind("k/insts.txt" + where, 0) == 0);
    }
  }
  CHECK_THROWS_AS(parse_insts_txt("\n\n", "empty.txt"), InputError);
}

TEST_CASE("npu insts: read_insts picks the parser by extension and names missing files") {
  TempDir t;
  write_bytes(t.file("insts.bin"), std::string("\x02\x00\x00\x00\x03\x00\x00\x00", 8));
  write_bytes(t.file("insts.txt"), "00000002\n00000003\n");
  CHECK(read_insts(t.file("insts.bin")) == std::vector<uint32_t>{2, 3});
  CHECK(read_insts(t.file("insts.txt")) == std::vector<uint32_t>{2, 3});
  // The same text under .bin is 18 bytes: not whole words, so it cannot pass as binary.
  write_bytes(t.file("text.bin"), "00000002\n00000003\n");
  CHECK_THROWS_AS(read_insts(t.file("text.bin")), InputError);
  CHECK_THROWS_WITH(read_insts(t.file("missing.bin")), Catch::Contains("missing.bin"));
}

}}  // namespace ATTNCHECK_TEST_FILE_NS, namespace
