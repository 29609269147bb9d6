# SDK tests (label "sdk"): header self-containment, the example plugin and a test-only throwing plugin
# driven through dlopen by a fake host (unit_sdk), readelf export checks, and an out-of-tree build of the
# example against the installed SDK package.
#
# Included by tests/CMakeLists.txt after its unit-test loop, which already made unit_sdk from
# tests/unit/sdk/*.cpp (linked to tradepush_sdk and Catch2); here it gets the plugins it loads.
set(sdk_test_dir ${CMAKE_CURRENT_SOURCE_DIR}/unit/sdk)

# A plugin whose handlers throw, built exactly like a real one.
tradepush_add_plugin(throwing TARGET tradepush_sdk_throwing_plugin SOURCES ${sdk_test_dir}/plugins/throwing_plugin.cpp)
tradepush_warnings(tradepush_sdk_throwing_plugin)

# plugin_abi.h alone as strict C99 (the C++20 and plugin.hpp checks are TUs of unit_sdk).
add_executable(sdk_abi_header_c99 ${sdk_test_dir}/abi_header_c99.c)
set_target_properties(sdk_abi_header_c99 PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_include_directories(sdk_abi_header_c99 PRIVATE ${PROJECT_SOURCE_DIR}/sdk/include)
tradepush_warnings(sdk_abi_header_c99)
add_test(NAME "sdk: plugin_abi.h compiles alone as C99" COMMAND sdk_abi_header_c99)
set_tests_properties("sdk: plugin_abi.h compiles alone as C99" PROPERTIES LABELS sdk TIMEOUT 60)

if(TARGET unit_sdk)
  target_link_libraries(unit_sdk PRIVATE Boost::json ${CMAKE_DL_LIBS})
  target_compile_definitions(unit_sdk PRIVATE
    TRADEPUSH_SDK_EXAMPLE_PLUGIN="$<TARGET_FILE:tradepush_example_plugin>"
    TRADEPUSH_SDK_THROWING_PLUGIN="$<TARGET_FILE:tradepush_sdk_throwing_plugin>")
  add_dependencies(unit_sdk tradepush_example_plugin tradepush_sdk_throwing_plugin)
  # The loop labels discovered tests "unit"; add "sdk" once discovery has defined unit_sdk_TESTS (this
  # include file runs after catch_discover_tests' own, which the loop registered first).
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/sdk_test_labels.cmake
    "if(DEFINED unit_sdk_TESTS)\n  set_tests_properties(\${unit_sdk_TESTS} PROPERTIES LABELS \"unit;sdk\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_CURRENT_BINARY_DIR}/sdk_test_labels.cmake)
endif()

foreach(plugin tradepush_example_plugin tradepush_sdk_throwing_plugin)
  add_test(NAME "sdk: ${plugin} exports only the entry symbol"
    COMMAND sh ${sdk_test_dir}/check_exports.sh $<TARGET_FILE:${plugin}>)
  set_tests_properties("sdk: ${plugin} exports only the entry symbol" PROPERTIES LABELS sdk TIMEOUT 60)
endforeach()

add_test(NAME "sdk: out-of-tree example build against the installed SDK"
  COMMAND sh ${sdk_test_dir}/out_of_tree.sh ${CMAKE_BINARY_DIR} ${PROJECT_SOURCE_DIR}/sdk/examples/example_exchange
    ${CMAKE_CURRENT_BINARY_DIR}/sdk-out-of-tree ${CMAKE_COMMAND} ${CMAKE_GENERATOR} ${CMAKE_CXX_COMPILER})
set_tests_properties("sdk: out-of-tree example build against the installed SDK" PROPERTIES LABELS sdk TIMEOUT 600)
