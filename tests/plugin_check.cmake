# Plugin loader checks: the tradepush-plugin-check conformance tool, the deliberately bad test
# plugins under tests/plugins/, their paths for unit_plugin_host, and ctest runs of the tool.
# Included from tests/CMakeLists.txt after the unit tests; paths use CMAKE_CURRENT_LIST_DIR so the
# file also works when included from elsewhere.
include_guard(GLOBAL)

if(NOT TARGET tradepush_plugin_host)
  return()
endif()

set(tp_root ${CMAKE_CURRENT_LIST_DIR}/..)
set(tp_plugins_src ${CMAKE_CURRENT_LIST_DIR}/plugins)
set(tp_plugins_out ${CMAKE_CURRENT_BINARY_DIR}/plugins)

# The conformance tool (sdk/conformance/plugin_check), shipped to plugin authors.
add_executable(tradepush-plugin-check ${tp_root}/sdk/conformance/plugin_check/main.cpp)
target_link_libraries(tradepush-plugin-check PRIVATE tradepush_plugin_host OpenSSL::Crypto)
tradepush_warnings(tradepush-plugin-check)

# tp_test_plugin(NAME SOURCE src MAP map [UNIQUE] [DEFS d...]): a MODULE library with the plugin
# build flags of DESIGN §6 (hidden visibility, -fno-gnu-unique unless UNIQUE, a version script,
# -z now). Named <NAME>.so in ${tp_plugins_out}.
function(tp_test_plugin name)
  cmake_parse_arguments(arg "UNIQUE" "SOURCE;MAP" "DEFS" ${ARGN})
  set(target tp_plugin_${name})
  add_library(${target} MODULE ${tp_plugins_src}/${arg_SOURCE})
  target_link_libraries(${target} PRIVATE tradepush::sdk)
  target_compile_definitions(${target} PRIVATE ${arg_DEFS})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${name} SUFFIX ".so"
    LIBRARY_OUTPUT_DIRECTORY ${tp_plugins_out}
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${tp_plugins_src}/${arg_MAP})
  if(NOT arg_UNIQUE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  target_link_options(${target} PRIVATE -Wl,--version-script=${tp_plugins_src}/${arg_MAP} -Wl,-z,now)
  tradepush_warnings(${target})
endfunction()

tp_test_plugin(good SOURCE test_plugin.c MAP plugin.map)
tp_test_plugin(wrong_major SOURCE test_plugin.c MAP plugin.map DEFS TP_ABI_MAJOR=2)
tp_test_plugin(newer_minor SOURCE test_plugin.c MAP plugin.map DEFS "TP_ABI_MINOR=(TRADEPUSH_ABI_MINOR+1)")
tp_test_plugin(small_struct SOURCE test_plugin.c MAP plugin.map DEFS TP_STRUCT_SIZE=8)
tp_test_plugin(extra_exports SOURCE test_plugin.c MAP extra_exports.map DEFS TP_EXTRA_EXPORT)
tp_test_plugin(returns_null SOURCE test_plugin.c MAP plugin.map DEFS TP_RETURNS_NULL)
tp_test_plugin(missing_slot SOURCE test_plugin.c MAP plugin.map DEFS TP_NO_DESTROY)
tp_test_plugin(no_completions SOURCE test_plugin.c MAP plugin.map DEFS TP_NO_COMPLETIONS)
tp_test_plugin(unresolved SOURCE test_plugin.c MAP plugin.map DEFS TP_UNRESOLVED)
tp_test_plugin(unique SOURCE unique_plugin.cpp MAP unique.map UNIQUE)
tp_test_plugin(tls_dtor SOURCE tls_plugin.cpp MAP plugin.map)
tp_test_plugin(good_v2 SOURCE test_plugin.c MAP plugin.map DEFS "TP_VERSION=\"0.0.2\"")
tp_test_plugin(fails_create SOURCE test_plugin.c MAP plugin.map DEFS TP_FAIL_CREATE)
# A text file with a library's name.
file(WRITE ${tp_plugins_out}/not_a_library.so "this is a text file, not a shared object\n")

set(tp_plugin_names good wrong_major newer_minor small_struct extra_exports returns_null missing_slot no_completions
  unresolved unique
  tls_dtor good_v2 fails_create)
add_custom_target(tp_test_plugins)
foreach(n IN LISTS tp_plugin_names)
  add_dependencies(tp_test_plugins tp_plugin_${n})
endforeach()

# Paths for tests/unit/plugin_host/loader_test.cpp.
if(TARGET unit_plugin_host)
  add_dependencies(unit_plugin_host tp_test_plugins tradepush-plugin-check)
  foreach(n IN LISTS tp_plugin_names)
    string(TOUPPER ${n} upper)
    target_compile_definitions(unit_plugin_host PRIVATE TP_PLUGIN_${upper}="$<TARGET_FILE:tp_plugin_${n}>")
  endforeach()
  target_compile_definitions(unit_plugin_host PRIVATE
    TP_PLUGIN_NOT_A_LIBRARY="${tp_plugins_out}/not_a_library.so"
    TP_RUN_DIR="${CMAKE_CURRENT_BINARY_DIR}/loader-run"
    TP_PLUGIN_CHECK_TOOL="$<TARGET_FILE:tradepush-plugin-check>")
  # The SDK's example plugin: a real plugin with timers and emits, for the reload tests.
  if(TARGET tradepush_example_plugin)
    add_dependencies(unit_plugin_host tradepush_example_plugin)
    target_compile_definitions(unit_plugin_host PRIVATE TP_EXAMPLE_PLUGIN="$<TARGET_FILE:tradepush_example_plugin>")
  endif()
endif()

# The tool against the good plugin must pass; against extra_exports (exports) and tls_dtor (stays
# mapped after unload) it must fail.
add_test(NAME "plugin_check: good" COMMAND tradepush-plugin-check $<TARGET_FILE:tp_plugin_good>)
add_test(NAME "plugin_check: extra_exports" COMMAND tradepush-plugin-check $<TARGET_FILE:tp_plugin_extra_exports>)
add_test(NAME "plugin_check: tls_dtor" COMMAND tradepush-plugin-check $<TARGET_FILE:tp_plugin_tls_dtor>)
set_tests_properties("plugin_check: good" "plugin_check: extra_exports" "plugin_check: tls_dtor" PROPERTIES LABELS plugins TIMEOUT 120)
set_tests_properties("plugin_check: extra_exports" "plugin_check: tls_dtor" PROPERTIES WILL_FAIL TRUE)
# Test plugins must exist before the tool runs against them.
add_dependencies(tradepush-plugin-check tp_test_plugins)
# Its create/destroy and reset_user checks run on the conformance kit's fake host.
target_link_libraries(tradepush-plugin-check PRIVATE tradepush::conformance)
# The SDK's example plugin and the plugin guide's minimal plugin (tests/sdk.cmake) must pass the loader checks.
add_test(NAME "plugin_check: example" COMMAND tradepush-plugin-check $<TARGET_FILE:tradepush_example_plugin>)
set_tests_properties("plugin_check: example" PROPERTIES LABELS "plugins;sdk" TIMEOUT 120)
if(TARGET tradepush_sdk_guide_plugin)
  add_test(NAME "plugin_check: plugin guide's minimal plugin" COMMAND tradepush-plugin-check
    $<TARGET_FILE:tradepush_sdk_guide_plugin>)
  set_tests_properties("plugin_check: plugin guide's minimal plugin" PROPERTIES LABELS "plugins;sdk" TIMEOUT 120)
endif()
