# The tradepushctl tests (tools/tradepushctl/tests/): an in-process admin server and the real
# tradepushctl binary run as a child (also as uid 65534 via setpriv when run as root).
# Included from tests/CMakeLists.txt. Needs add_subdirectory(tools/tradepushctl) somewhere in the
# top-level CMakeLists.txt; order does not matter (the binary is found by generator expression).
if(TARGET tradepush_admin)
  if(NOT COMMAND catch_discover_tests)
    find_package(Catch2 2 REQUIRED)
    include(Catch)
  endif()
  add_executable(tradepushctl_test ${CMAKE_CURRENT_LIST_DIR}/../tools/tradepushctl/tests/cli_test.cpp)
  target_link_libraries(tradepushctl_test PRIVATE tradepush_admin tradepush_catch_main)
  # admin/test_util.hpp and admin/catch_result.hpp come from the admin unit tests.
  target_include_directories(tradepushctl_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/unit)
  target_compile_definitions(tradepushctl_test PRIVATE TRADEPUSHCTL_BIN="$<TARGET_FILE:tradepushctl>")
  add_dependencies(tradepushctl_test tradepushctl)
  tradepush_warnings(tradepushctl_test)
  catch_discover_tests(tradepushctl_test TEST_PREFIX "tradepushctl: " PROPERTIES TIMEOUT 120 LABELS unit)
endif()
