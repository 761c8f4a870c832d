// An xclbin around a PDI (`attncheck xclbin wrap`): the axlf container XRT's xclbin.h lays out, holding the PDI in its AIE_PARTITION.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace attncheck::aie2 {

// Byte offsets of the axlf fields written, from Xilinx/XRT src/runtime_src/core/include/xrt/detail/xclbin.h
// (2.20: struct axlf, axlf_header, axlf_section_header, aie_partition, aie_partition_info, aie_pdi,
// array_offset). cli/tests checks each against offsetof() of XRT's own structs.
namespace axlf_layout {
constexpr size_t kSignatureLength = 8;   // axlf.m_signature_length (int32; -1: unsigned)
constexpr size_t kHeader = 304;          // axlf.m_header
constexpr size_t kHeaderLength = 0;      // axlf_header.m_length (uint64: the file's size)
constexpr size_t kVersionMajor = 26;     // axlf_header.m_versionMajor (uint8)
constexpr size_t kMode = 28;             // axlf_header.m_mode (uint16; XCLBIN_FLAT = 0)
constexpr size_t kPlatformVbnv = 48;     // axlf_header.m_platformVBNV (char[64])
constexpr size_t kUuid = 112;            // axlf_header.uuid (16 bytes)
constexpr size_t kNumSections = 144;     // axlf_header.m_numSections (uint32)
constexpr size_t kSections = 456;        // axlf.m_sections
constexpr size_t kAxlfSize = 496;        // sizeof(axlf), one section header included
constexpr size_t kSectionHeaderSize = 40;  // sizeof(axlf_section_header)
constexpr size_t kSectionKind = 0;       // m_sectionKind (uint32)
constexpr size_t kSectionName = 4;       // m_sectionName (char[16])
constexpr size_t kSectionOffset = 24;    // m_sectionOffset (uint64)
constexpr size_t kSectionSize = 32;      // m_sectionSize (uint64)
constexpr uint32_t kEmbeddedMetadata = 2;  // axlf_section_kind EMBEDDED_METADATA
constexpr uint32_t kAiePartition = 32;     // axlf_section_kind AIE_PARTITION
constexpr size_t kPartitionSize = 184;     // sizeof(aie_partition)
constexpr size_t kPartitionColumnWidth = 32;  // aie_partition.info.column_width (uint16)
constexpr size_t kPartitionPdiArray = 120;    // aie_partition.aie_pdi (array_offset: uint32 size, uint32 offset)
constexpr size_t kPdiSize = 96;               // sizeof(aie_pdi)
constexpr size_t kPdiUuid = 0;                // aie_pdi.uuid (16 bytes)
constexpr size_t kPdiImageArray = 16;         // aie_pdi.pdi_image (array_offset)
}  // namespace axlf_layout

// An xclbin holding `pdi` as the one aie_pdi of an AIE_PARTITION section (one column wide), beside
// an EMBEDDED_METADATA section naming `name`; its UUIDs are the first 16 bytes of the PDI's SHA-256,
// so the same PDI always wraps to the same file. What the simulator (and any reader of the AIE
// partition) needs; not the kernel metadata (IP_LAYOUT, CONNECTIVITY, ...) through which XRT finds
// a kernel by name: aiecc's xclbinutil step writes those for a device run. InputError when `pdi`
// is not a well-formed PDI (sim/load/pdi.hpp's parse_pdi reads it first).
std::vector<uint8_t> wrap_pdi_in_xclbin(const std::vector<uint8_t>& pdi, const std::string& name, const std::string& where);

}  // namespace attncheck::aie2
