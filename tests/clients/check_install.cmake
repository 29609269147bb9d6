# ctest fixture: fails with a clear message when the Node test dependencies are not installed.
# Run as: cmake -DCLIENTS_DIR=<tests/clients> -P check_install.cmake
foreach(pkg socket.io-client ws)
  if(NOT EXISTS "${CLIENTS_DIR}/node_modules/${pkg}/package.json")
    message(FATAL_ERROR "Node test dependency '${pkg}' is missing: run `npm ci` in ${CLIENTS_DIR}")
  endif()
endforeach()
message(STATUS "Node test dependencies present in ${CLIENTS_DIR}/node_modules")
