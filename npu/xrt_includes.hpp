// The XRT headers npu/ uses, included the one way that works in 2.13 and in 2.18 to 2.20 without picking up another release's files.
#pragma once
// xrt_device.h brings xrt::xclbin in every release (experimental/ in 2.13 and 2.18, xrt/experimental/
// from 2.19, where 2.20 removed the old path); never name the xclbin header directly: a probe of
// xrt/experimental/ under 2.18 resolves to Debian's /usr/include/xrt copy when libxrt-dev is there.
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>
#if __has_include(<xrt/xrt_hw_context.h>)
#include <xrt/xrt_hw_context.h>
#define ATTNCHECK_XRT_HW_CONTEXT 1
#endif
// The build strings: xrt/detail/ from 2.19; a top-level version.h in 2.13 and 2.18.
#if __has_include(<xrt/detail/version.h>)
#include <xrt/detail/version.h>
#else
#include <version.h>
#endif
// The runtime library's version (XRT >= 2.16): xrt/experimental/ from 2.19, experimental/ in 2.18.
#if __has_include(<xrt/experimental/xrt_version.h>)
#include <xrt/experimental/xrt_version.h>
#define ATTNCHECK_XRT_VERSION_API 1
#elif __has_include(<experimental/xrt_version.h>)
#include <experimental/xrt_version.h>
#define ATTNCHECK_XRT_VERSION_API 1
#endif
