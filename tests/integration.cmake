# Integration tests with real clients against tradepush_echo_server (tests/clients/): socket.io-client
# and ws under Node's built-in test runner, and Debian's python3-socketio. Label: integration.
# The Node dependencies come from `npm ci` in tests/clients (package-lock.json); when they are
# missing the `clients_installed` fixture fails loudly instead of the tests being skipped.

set(clients_dir ${CMAKE_CURRENT_SOURCE_DIR}/clients)
find_program(TRADEPUSH_NODE node)
find_program(TRADEPUSH_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT TRADEPUSH_PYTHON3)
  set(TRADEPUSH_PYTHON3 /usr/bin/python3)
endif()

add_test(NAME integration.clients_installed
  COMMAND ${CMAKE_COMMAND} -DCLIENTS_DIR=${clients_dir} -P ${clients_dir}/check_install.cmake)
set_tests_properties(integration.clients_installed PROPERTIES
  FIXTURES_SETUP tradepush_node_clients LABELS integration TIMEOUT 30)

if(NOT TRADEPUSH_NODE)
  message(WARNING "node not found: the Node integration tests will fail")
endif()
# Each suite runs against a single-shard server and again with two shards, where requests of one
# polling session may land on either acceptor (SO_REUSEPORT) and must be handed over.
foreach(suite socketio_client socketio_raw engineio)
  foreach(workers 1 2)
    set(name integration.${suite})
    if(workers GREATER 1)
      set(name ${name}_workers${workers})
    endif()
    if(TRADEPUSH_NODE)
      set(cmd ${TRADEPUSH_NODE} --test ${clients_dir}/${suite}.test.mjs)
    else()
      # No node on PATH: register the test anyway so the run fails and says why.
      set(cmd ${CMAKE_COMMAND} -E false)
    endif()
    add_test(NAME ${name} COMMAND ${cmd} WORKING_DIRECTORY ${clients_dir})
    set_tests_properties(${name} PROPERTIES
      LABELS integration
      TIMEOUT 300
      FIXTURES_REQUIRED tradepush_node_clients
      ENVIRONMENT "TRADEPUSH_ECHO_SERVER=$<TARGET_FILE:tradepush_echo_server>;TRADEPUSH_ECHO_ARGS=--workers ${workers}")
  endforeach()
endforeach()

add_test(NAME integration.python_echo
  COMMAND ${TRADEPUSH_PYTHON3} ${clients_dir}/python_echo_test.py
  WORKING_DIRECTORY ${clients_dir})
set_tests_properties(integration.python_echo PROPERTIES
  LABELS integration
  TIMEOUT 120
  ENVIRONMENT "TRADEPUSH_ECHO_SERVER=$<TARGET_FILE:tradepush_echo_server>")
