# Finds XRT for the npu backend: XRT's own CMake package where it installed one, else headers and libxrt_coreutil by hand; re-detects when the root changes.
#
# Roots, in order: -DXRT_ROOT, else $XILINX_XRT, else /opt/xilinx/xrt (where amd/xdna-driver's
# build.sh -npu installs XRT) and then /usr (Debian's libxrt-dev). A root given explicitly is the
# only one searched: a user who names one never silently gets another.
#
# Sets, in the caller's scope:
#   ATTNCHECK_XRT_FOUND            headers and library found (the device probe can be built)
#   ATTNCHECK_XRT_INCLUDE_DIR      the include root (<root>/include, or /usr/include/xrt on Debian)
#   ATTNCHECK_XRT_LIBRARIES        XRT::xrt_coreutil from the package, or the library path
#   ATTNCHECK_XRT_VERSION          the headers' version, "2.13.0", from xrt_build_version[]
#   ATTNCHECK_XRT_HAS_HW_CONTEXT   the headers have xrt::hw_context (xrt/xrt_hw_context.h, XRT >= 2.14)
#   ATTNCHECK_XRT_HOW              how it was found, for the configure message
#   ATTNCHECK_XRT_MISSING          what is missing when not found
# The result is cached per root; changing XRT_ROOT or XILINX_XRT drops it and searches again.
set(XRT_ROOT "" CACHE PATH "XRT installation prefix (e.g. /opt/xilinx/xrt); empty: XILINX_XRT, /opt/xilinx/xrt, /usr")

macro(attncheck_find_xrt)
  set(_roots_now "XRT_ROOT=${XRT_ROOT};XILINX_XRT=$ENV{XILINX_XRT}")
  if(DEFINED ATTNCHECK_XRT_ROOTS_SEEN AND NOT "${ATTNCHECK_XRT_ROOTS_SEEN}" STREQUAL "${_roots_now}")
    message(STATUS "attncheck: XRT root changed (${ATTNCHECK_XRT_ROOTS_SEEN} -> ${_roots_now}): finding XRT again")
    unset(XRT_DIR CACHE)
    unset(ATTNCHECK_XRT_INCLUDE_DIR CACHE)
    unset(ATTNCHECK_XRT_COREUTIL CACHE)
  endif()
  set(ATTNCHECK_XRT_ROOTS_SEEN "${_roots_now}" CACHE INTERNAL "XRT roots of the last XRT search")

  if(XRT_ROOT)
    set(_roots "${XRT_ROOT}")
  elseif(DEFINED ENV{XILINX_XRT} AND NOT "$ENV{XILINX_XRT}" STREQUAL "")
    set(_roots "$ENV{XILINX_XRT}")
  else()
    set(_roots /opt/xilinx/xrt /usr)
  endif()

  set(ATTNCHECK_XRT_FOUND OFF)
  set(ATTNCHECK_XRT_LIBRARIES "")
  set(ATTNCHECK_XRT_MISSING "")
  # AMD's packages install <root>/share/cmake/XRT/xrt-config.cmake (2.18 to 2.20); Debian's 2.13 none.
  find_package(XRT CONFIG QUIET PATHS ${_roots} PATH_SUFFIXES share/cmake/XRT NO_DEFAULT_PATH)
  if(XRT_FOUND AND TARGET XRT::xrt_coreutil AND XRT_INCLUDE_DIRS)
    # 2.18's xrt_coreutil target carries no include directory: take the package's variable.
    list(GET XRT_INCLUDE_DIRS 0 _inc)
    set(ATTNCHECK_XRT_INCLUDE_DIR "${_inc}" CACHE PATH "XRT include root" FORCE)
    # Visible to every directory that links attncheck_npu (cli/, the tests).
    get_target_property(_global XRT::xrt_coreutil IMPORTED_GLOBAL)
    if(NOT _global)
      set_target_properties(XRT::xrt_coreutil PROPERTIES IMPORTED_GLOBAL TRUE)
    endif()
    set(ATTNCHECK_XRT_LIBRARIES XRT::xrt_coreutil)
    set(ATTNCHECK_XRT_HOW "find_package(XRT) at ${XRT_DIR}")
    set(ATTNCHECK_XRT_FOUND ON)
  else()
    # Headers at <root>/include/xrt/xrt_device.h (AMD's layout) or, on Debian, at
    # /usr/include/xrt/xrt/xrt_device.h with /usr/include/xrt as the include root.
    find_path(ATTNCHECK_XRT_INCLUDE_DIR NAMES xrt/xrt_device.h
      HINTS ${_roots} PATH_SUFFIXES include include/xrt NO_DEFAULT_PATH)
    find_library(ATTNCHECK_XRT_COREUTIL NAMES xrt_coreutil
      HINTS ${_roots} PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu NO_DEFAULT_PATH)
    find_library(ATTNCHECK_UUID_LIB NAMES uuid)
    if(NOT ATTNCHECK_XRT_INCLUDE_DIR)
      set(ATTNCHECK_XRT_MISSING "no xrt/xrt_device.h under ${_roots}")
    elseif(NOT ATTNCHECK_XRT_COREUTIL)
      set(ATTNCHECK_XRT_MISSING "headers at ${ATTNCHECK_XRT_INCLUDE_DIR} but no libxrt_coreutil under ${_roots}")
    elseif(NOT ATTNCHECK_UUID_LIB)
      set(ATTNCHECK_XRT_MISSING "no libuuid (apt install uuid-dev)")
    else()
      set(ATTNCHECK_XRT_LIBRARIES ${ATTNCHECK_XRT_COREUTIL} ${ATTNCHECK_UUID_LIB})
      set(ATTNCHECK_XRT_HOW "headers ${ATTNCHECK_XRT_INCLUDE_DIR}, library ${ATTNCHECK_XRT_COREUTIL}")
      set(ATTNCHECK_XRT_FOUND ON)
    endif()
  endif()

  set(ATTNCHECK_XRT_VERSION "")
  set(ATTNCHECK_XRT_HAS_HW_CONTEXT OFF)
  if(ATTNCHECK_XRT_INCLUDE_DIR)
    attncheck_xrt_tree_facts("${ATTNCHECK_XRT_INCLUDE_DIR}" ATTNCHECK_XRT_VERSION ATTNCHECK_XRT_HAS_HW_CONTEXT)
  endif()
endmacro()

# The version and the hw_context header of one include tree, from the files themselves (no
# try-compile, so nothing cached outlives a change of tree).
function(attncheck_xrt_tree_facts inc version_var hw_var)
  set(_v "")
  foreach(_h xrt/detail/version.h version.h)
    if(EXISTS "${inc}/${_h}")
      file(STRINGS "${inc}/${_h}" _line REGEX "xrt_build_version\\[\\] *= *\"")
      if(_line)
        string(REGEX REPLACE ".*xrt_build_version\\[\\] *= *\"([^\"]*)\".*" "\\1" _v "${_line}")
        break()
      endif()
    endif()
  endforeach()
  set(${version_var} "${_v}" PARENT_SCOPE)
  if(EXISTS "${inc}/xrt/xrt_hw_context.h")
    set(${hw_var} ON PARENT_SCOPE)
  else()
    set(${hw_var} OFF PARENT_SCOPE)
  endif()
endfunction()
