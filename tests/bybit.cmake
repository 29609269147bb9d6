# The Bybit plugin's checks beyond unit_bybit (which the tests/unit loop builds): the image exports
# only the entry symbol and passes tradepush-plugin-check. Included from tests/CMakeLists.txt after
# plugin_check.cmake, which defines the tool.
if(NOT TARGET tradepush_bybit_plugin)
  return()
endif()

add_test(NAME "bybit: libtradepush-bybit.so exports only the entry symbol"
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/unit/sdk/check_exports.sh $<TARGET_FILE:tradepush_bybit_plugin>)
set_tests_properties("bybit: libtradepush-bybit.so exports only the entry symbol"
  PROPERTIES LABELS "unit;bybit" TIMEOUT 60)

if(TARGET tradepush-plugin-check)
  add_test(NAME "bybit: tradepush-plugin-check libtradepush-bybit.so"
    COMMAND tradepush-plugin-check $<TARGET_FILE:tradepush_bybit_plugin>)
  set_tests_properties("bybit: tradepush-plugin-check libtradepush-bybit.so"
    PROPERTIES LABELS "plugins;bybit" TIMEOUT 120)
endif()

# The plugin is built with the tests, so the checks above always find it. unit_bybit also runs the SDK
# conformance suite against the built image (conformance.cpp), through the kit's fake host.
if(TARGET unit_bybit)
  add_dependencies(unit_bybit tradepush_bybit_plugin)
  target_link_libraries(unit_bybit PRIVATE tradepush::conformance)
  target_compile_definitions(unit_bybit PRIVATE TRADEPUSH_BYBIT_PLUGIN="$<TARGET_FILE:tradepush_bybit_plugin>")
endif()
