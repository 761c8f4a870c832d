// An xclbin around a PDI: the axlf header, an EMBEDDED_METADATA section and an AIE_PARTITION holding the PDI (offsets in xclbin_wrap.hpp).
#include "sim/load/xclbin_wrap.hpp"

#include <cstring>

#include "fixtures/sha256.hpp"
#include "sim/load/pdi.hpp"

namespace attncheck::aie2 {

namespace {

template <class T>
void put(std::vector<uint8_t>& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);  // little-endian, as the x86 and Arm hosts of XRT write it
}

size_t align8(size_t v) { return (v + 7) & ~size_t{7}; }

std::string xml_text(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else if (static_cast<unsigned char>(c) >= 0x20) o += c;
  }
  return o;
}

}  // namespace

std::vector<uint8_t> wrap_pdi_in_xclbin(const std::vector<uint8_t>& pdi, const std::string& name, const std::string& where) {
  (void)parse_pdi(pdi.data(), pdi.size(), where);  // a PDI the simulator reads, or InputError naming `where`
  namespace L = axlf_layout;
  const std::string metadata = "<?xml version=\"1.0\"?><project name=\"" + xml_text(name) + "\"/>";
  const uint32_t nsec = 2;
  const size_t headers = L::kAxlfSize + (nsec - 1) * L::kSectionHeaderSize;
  const size_t meta_off = align8(headers);
  const size_t part_off = align8(meta_off + metadata.size());
  const size_t pdi_entry = L::kPartitionSize, image = pdi_entry + L::kPdiSize;
  const size_t part_len = image + pdi.size();
  std::vector<uint8_t> out(part_off + part_len, 0);
  const std::string hash = sha256_hex(pdi.data(), pdi.size());
  uint8_t uuid[16];
  for (size_t i = 0; i < 16; ++i) uuid[i] = static_cast<uint8_t>(std::stoi(hash.substr(2 * i, 2), nullptr, 16));

  std::memcpy(out.data(), "xclbin2", 8);
  put<int32_t>(out, L::kSignatureLength, -1);
  put<uint64_t>(out, L::kHeader + L::kHeaderLength, out.size());
  put<uint8_t>(out, L::kHeader + L::kVersionMajor, 2);
  put<uint16_t>(out, L::kHeader + L::kMode, 0);  // XCLBIN_FLAT
  std::memcpy(out.data() + L::kHeader + L::kPlatformVbnv, "xilinx_v1_ipu_0_0", 18);
  std::memcpy(out.data() + L::kHeader + L::kUuid, uuid, 16);
  put<uint32_t>(out, L::kHeader + L::kNumSections, nsec);
  auto section = [&](size_t i, uint32_t kind, const char* sname, size_t off, size_t size) {
    const size_t at = L::kSections + i * L::kSectionHeaderSize;
    put<uint32_t>(out, at + L::kSectionKind, kind);
    std::memcpy(out.data() + at + L::kSectionName, sname, std::strlen(sname) + 1);
    put<uint64_t>(out, at + L::kSectionOffset, off);
    put<uint64_t>(out, at + L::kSectionSize, size);
  };
  section(0, L::kEmbeddedMetadata, "metadata", meta_off, metadata.size());
  std::memcpy(out.data() + meta_off, metadata.data(), metadata.size());
  section(1, L::kAiePartition, "partition", part_off, part_len);
  put<uint16_t>(out, part_off + L::kPartitionColumnWidth, 1);
  put<uint32_t>(out, part_off + L::kPartitionPdiArray, 1);  // one aie_pdi
  put<uint32_t>(out, part_off + L::kPartitionPdiArray + 4, static_cast<uint32_t>(pdi_entry));
  std::memcpy(out.data() + part_off + pdi_entry + L::kPdiUuid, uuid, 16);
  put<uint32_t>(out, part_off + pdi_entry + L::kPdiImageArray, static_cast<uint32_t>(pdi.size()));
  put<uint32_t>(out, part_off + pdi_entry + L::kPdiImageArray + 4, static_cast<uint32_t>(image));
  std::memcpy(out.data() + part_off + image, pdi.data(), pdi.size());
  return out;
}

}  // namespace attncheck::aie2
