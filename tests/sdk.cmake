# SDK tests (label "sdk"): header self-containment, the example plugin and a test-only throwing plugin
# driven through dlopen by a fake host (unit_sdk), the conformance kit (its fake host and suite, against
# the example and deliberately bad plugins, in C++ and through the CLI), readelf export checks, and an
# out-of-tree build of the example against the installed SDK package that also runs the kit.
#
# Included by tests/CMakeLists.txt after its unit-test loop, which already made unit_sdk from
# tests/unit/sdk/*.cpp (linked to tradepush_sdk and Catch2); here it gets the plugins it loads.
set(sdk_test_dir ${CMAKE_CURRENT_SOURCE_DIR}/unit/sdk)

# A plugin whose handlers throw, built exactly like a real one.
tradepush_add_plugin(throwing TARGET tradepush_sdk_throwing_plugin SOURCES ${sdk_test_dir}/plugins/throwing_plugin.cpp)
tradepush_warnings(tradepush_sdk_throwing_plugin)

# Conformance kit fixtures: a plugin that needs scripted HTTP/WebSocket peers, and one plugin source
# built four ways, each breaking one rule the kit must catch (see misbehaving_plugin.cpp).
tradepush_add_plugin(conformance-rest TARGET tradepush_sdk_rest_plugin SOURCES ${sdk_test_dir}/plugins/rest_plugin.cpp)
tradepush_warnings(tradepush_sdk_rest_plugin)
set(sdk_conformance_plugins tradepush_sdk_rest_plugin)
foreach(breach STALE_EMIT OFF_STRAND SLOW THROW)
  string(TOLOWER ${breach} lower)
  string(REPLACE "_" "-" lower ${lower})
  set(target tradepush_sdk_bad_${lower}_plugin)
  tradepush_add_plugin(bad-${lower} TARGET ${target} SOURCES ${sdk_test_dir}/plugins/misbehaving_plugin.cpp)
  target_compile_definitions(${target} PRIVATE TP_BAD_${breach})
  tradepush_warnings(${target})
  list(APPEND sdk_conformance_plugins ${target})
endforeach()
# The off-strand variant starts a std::thread.
find_package(Threads REQUIRED)
target_link_libraries(tradepush_sdk_bad_off-strand_plugin PRIVATE Threads::Threads)

# plugin_abi.h alone as strict C99 (the C++20 and plugin.hpp checks are TUs of unit_sdk).
add_executable(sdk_abi_header_c99 ${sdk_test_dir}/abi_header_c99.c)
set_target_properties(sdk_abi_header_c99 PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_include_directories(sdk_abi_header_c99 PRIVATE ${PROJECT_SOURCE_DIR}/sdk/include)
tradepush_warnings(sdk_abi_header_c99)
add_test(NAME "sdk: plugin_abi.h compiles alone as C99" COMMAND sdk_abi_header_c99)
set_tests_properties("sdk: plugin_abi.h compiles alone as C99" PROPERTIES LABELS sdk TIMEOUT 60)

if(TARGET unit_sdk)
  target_link_libraries(unit_sdk PRIVATE Boost::json tradepush::conformance OpenSSL::Crypto ${CMAKE_DL_LIBS})
  target_compile_definitions(unit_sdk PRIVATE
    TRADEPUSH_SDK_EXAMPLE_PLUGIN="$<TARGET_FILE:tradepush_example_plugin>"
    TRADEPUSH_SDK_THROWING_PLUGIN="$<TARGET_FILE:tradepush_sdk_throwing_plugin>"
    TRADEPUSH_SDK_REST_PLUGIN="$<TARGET_FILE:tradepush_sdk_rest_plugin>"
    TRADEPUSH_SDK_BAD_STALE_EMIT_PLUGIN="$<TARGET_FILE:tradepush_sdk_bad_stale-emit_plugin>"
    TRADEPUSH_SDK_BAD_OFF_STRAND_PLUGIN="$<TARGET_FILE:tradepush_sdk_bad_off-strand_plugin>"
    TRADEPUSH_SDK_BAD_SLOW_PLUGIN="$<TARGET_FILE:tradepush_sdk_bad_slow_plugin>"
    TRADEPUSH_SDK_BAD_THROW_PLUGIN="$<TARGET_FILE:tradepush_sdk_bad_throw_plugin>")
  # The CLI too: the out-of-tree test installs it, so whoever builds the SDK tests builds it.
  add_dependencies(unit_sdk tradepush_example_plugin tradepush_sdk_throwing_plugin ${sdk_conformance_plugins}
    tradepush-plugin-conformance)
  # The loop labels discovered tests "unit"; add "sdk" once discovery has defined unit_sdk_TESTS (this
  # include file runs after catch_discover_tests' own, which the loop registered first).
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/sdk_test_labels.cmake
    "if(DEFINED unit_sdk_TESTS)\n  set_tests_properties(\${unit_sdk_TESTS} PROPERTIES LABELS \"unit;sdk\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_CURRENT_BINARY_DIR}/sdk_test_labels.cmake)
endif()

foreach(plugin tradepush_example_plugin tradepush_sdk_throwing_plugin tradepush_sdk_rest_plugin)
  add_test(NAME "sdk: ${plugin} exports only the entry symbol"
    COMMAND sh ${sdk_test_dir}/check_exports.sh $<TARGET_FILE:${plugin}>)
  set_tests_properties("sdk: ${plugin} exports only the entry symbol" PROPERTIES LABELS sdk TIMEOUT 60)
endforeach()

# The conformance CLI: the example must pass; each deliberately bad plugin must fail with the test ID of its
# breach and still reach the summary line (a crash is not a pass). conformance_suite.cpp checks the full
# set of failing IDs through the C++ API.
add_test(NAME "sdk: conformance suite passes for the example plugin"
  COMMAND tradepush-plugin-conformance $<TARGET_FILE:tradepush_example_plugin>)
add_test(NAME "sdk: conformance CLI lists the tests" COMMAND tradepush-plugin-conformance --list)
set_tests_properties("sdk: conformance CLI lists the tests" PROPERTIES PASS_REGULAR_EXPRESSION "TC-R03 ")
set(sdk_conformance_cli_tests "sdk: conformance suite passes for the example plugin" "sdk: conformance CLI lists the tests")
foreach(pair stale-emit:R03 off-strand:T01 slow:T02 throw:X01)
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 breach)
  list(GET pair 1 id)
  set(name "sdk: conformance suite reports TC-${id} for the ${breach} plugin")
  add_test(NAME "${name}" COMMAND tradepush-plugin-conformance $<TARGET_FILE:tradepush_sdk_bad_${breach}_plugin> --cycles 50)
  set_tests_properties("${name}" PROPERTIES PASS_REGULAR_EXPRESSION "FAIL TC-${id} .*FAIL: [0-9]+ passed, [1-9]")
  list(APPEND sdk_conformance_cli_tests "${name}")
endforeach()
set_tests_properties(${sdk_conformance_cli_tests} PROPERTIES LABELS sdk TIMEOUT 120)

add_test(NAME "sdk: out-of-tree example build against the installed SDK"
  COMMAND sh ${sdk_test_dir}/out_of_tree.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR}/sdk/examples/example_exchange
    ${CMAKE_CURRENT_BINARY_DIR}/sdk-out-of-tree ${CMAKE_COMMAND} ${CMAKE_GENERATOR} ${CMAKE_CXX_COMPILER}
    "${TRADEPUSH_SANITIZE}")
set_tests_properties("sdk: out-of-tree example build against the installed SDK" PROPERTIES LABELS sdk TIMEOUT 600)

# docs/plugin-guide.md's minimal plugin, extracted from the guide at configure time, built like a real plugin
# and run through the conformance suite: the documentation cannot rot without a test failing.
set(sdk_guide ${PROJECT_SOURCE_DIR}/docs/plugin-guide.md)
if(EXISTS ${sdk_guide})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sdk_guide})
  file(READ ${sdk_guide} guide_text)
  if(guide_text MATCHES "<!-- snippet: minimal_plugin.cpp -->[\r\n]+```cpp[\r\n]+(.*)```[\r\n]+<!-- end snippet -->")
    set(guide_source ${CMAKE_CURRENT_BINARY_DIR}/guide/minimal_plugin.cpp)
    # Rewritten only when changed, so an unrelated edit of the guide rebuilds nothing.
    file(CONFIGURE OUTPUT ${guide_source} CONTENT "${CMAKE_MATCH_1}" @ONLY)
    tradepush_add_plugin(guide-minimal TARGET tradepush_sdk_guide_plugin SOURCES ${guide_source})
    tradepush_warnings(tradepush_sdk_guide_plugin)
    add_test(NAME "sdk: the plugin guide's minimal plugin passes the conformance suite"
      COMMAND tradepush-plugin-conformance $<TARGET_FILE:tradepush_sdk_guide_plugin>)
    add_test(NAME "sdk: tradepush_sdk_guide_plugin exports only the entry symbol"
      COMMAND sh ${sdk_test_dir}/check_exports.sh $<TARGET_FILE:tradepush_sdk_guide_plugin>)
    if(TARGET unit_sdk)
      add_dependencies(unit_sdk tradepush_sdk_guide_plugin)
    endif()
  else()
    add_test(NAME "sdk: the plugin guide's minimal plugin passes the conformance suite"
      COMMAND ${CMAKE_COMMAND} -E echo "docs/plugin-guide.md: the minimal_plugin.cpp snippet markers are missing")
    set_tests_properties("sdk: the plugin guide's minimal plugin passes the conformance suite" PROPERTIES WILL_FAIL TRUE)
  endif()
  set_tests_properties("sdk: the plugin guide's minimal plugin passes the conformance suite" PROPERTIES LABELS sdk TIMEOUT 120)
  if(TEST "sdk: tradepush_sdk_guide_plugin exports only the entry symbol")
    set_tests_properties("sdk: tradepush_sdk_guide_plugin exports only the entry symbol" PROPERTIES LABELS sdk TIMEOUT 60)
  endif()
endif()
