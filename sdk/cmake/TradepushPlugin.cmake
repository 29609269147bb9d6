# tradepush_add_plugin(<name> [TARGET <target>] SOURCES <src>...)
#
# Builds a tradepush exchange-adapter plugin: a MODULE library named libtradepush-<name>.so (target
# tradepush_<name>_plugin unless TARGET is given) linked to tradepush::sdk, with the flags the ABI needs
# for safe loading and unloading (plugin-abi.md §1.5, STYLE.md "Plugin build flags"):
#   -fvisibility=hidden -fvisibility-inlines-hidden   nothing leaks but the entry symbol
#   -fno-gnu-unique                                   no STB_GNU_UNIQUE, which would make dlclose a no-op
#   --version-script=plugin.map                       exports exactly tradepush_plugin_entry_v1
#   --no-undefined -z now                             unresolved symbols fail the link / the load, not a call
# Used in-tree (included by sdk/CMakeLists.txt) and out-of-tree (via find_package(tradepush-sdk)).
include_guard(GLOBAL)

# Functions run in the caller's directory, so remember where the map file lives now. A global property,
# not a variable: sibling directories (plugins/, tests/) do not see sdk/'s directory variables.
set_property(GLOBAL PROPERTY TRADEPUSH_PLUGIN_MAP_FILE "${CMAKE_CURRENT_LIST_DIR}/plugin.map")

function(tradepush_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TARGET" "SOURCES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "tradepush_add_plugin(${name}): SOURCES is required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tradepush_add_plugin(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(target "${arg_TARGET}")
  if(NOT target)
    set(target "tradepush_${name}_plugin")
  endif()
  get_property(map_file GLOBAL PROPERTY TRADEPUSH_PLUGIN_MAP_FILE)

  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE tradepush::sdk)
  # PREFIX is set explicitly so the file is always lib + tradepush-<name> + .so, never "liblib...".
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "tradepush-${name}"
    SUFFIX ".so"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LINK_DEPENDS "${map_file}")
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_options(${target} PRIVATE
    -fvisibility=hidden
    $<$<COMPILE_LANGUAGE:CXX>:-fvisibility-inlines-hidden>
    # GCC only: clang neither emits STB_GNU_UNIQUE nor accepts the flag.
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-fno-gnu-unique>)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${map_file}" "LINKER:--no-undefined" "LINKER:-z,now")
endfunction()
