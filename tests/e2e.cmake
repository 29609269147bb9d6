# End-to-end tests (tests/e2e/): the real tradepushd on a loopback port with stock clients, Node's
# socket.io-client (from tests/clients/node_modules, see integration.cmake) under `node --test` and
# Debian's python3-socketio under /usr/bin/python3. One ctest test per file, label e2e.
# The files start their own daemon (port 0, temporary config) from $TRADEPUSH_DAEMON.
# They share one resource lock so they never load the machine at the same time; the ones with
# 1 s deadlines and timing checks also run alone (RUN_SERIAL).

set(e2e_dir ${CMAKE_CURRENT_LIST_DIR}/e2e)
find_program(TRADEPUSH_E2E_NODE node)
# Debian's python3 has python3-socketio; a python3 earlier on PATH may not.
set(TRADEPUSH_E2E_PYTHON3 /usr/bin/python3 CACHE FILEPATH "python3 with the socketio package, for e2e tests")

# name, timeout (s), run serial?
set(e2e_node_tests
  "reconnect\;600\;ON"
  "multidevice\;180\;OFF"
  "flush_window\;120\;OFF"
  "isolation\;180\;OFF"
  "slow_consumer\;300\;ON"
  "bad_input\;300\;OFF"
  "auth_header\;120\;OFF"
  "edge_limits\;120\;OFF"
  "proxy\;120\;OFF"
  "cli\;120\;OFF"
  "credentials\;120\;OFF"
  "docs_examples\;120\;OFF"
  "sessions_admin\;120\;OFF"
  "drain\;600\;ON")

foreach(entry IN LISTS e2e_node_tests)
  list(GET entry 0 name)
  list(GET entry 1 timeout)
  list(GET entry 2 serial)
  if(TRADEPUSH_E2E_NODE)
    set(cmd ${TRADEPUSH_E2E_NODE} --test --test-concurrency=1 ${e2e_dir}/${name}.test.mjs)
  else()
    # No node: register the test anyway so the run fails and says why.
    set(cmd ${CMAKE_COMMAND} -E false)
    message(WARNING "node not found: e2e.${name} will fail")
  endif()
  add_test(NAME e2e.${name} COMMAND ${cmd} WORKING_DIRECTORY ${e2e_dir})
  set_tests_properties(e2e.${name} PROPERTIES
    LABELS e2e
    TIMEOUT ${timeout}
    RUN_SERIAL ${serial}
    RESOURCE_LOCK tradepush_e2e
    # Set up by integration.cmake's clients_installed test when present (checks node_modules).
    FIXTURES_REQUIRED tradepush_node_clients
    ENVIRONMENT "TRADEPUSH_DAEMON=$<TARGET_FILE:tradepushd>;TRADEPUSH_SANITIZE=${TRADEPUSH_SANITIZE};TRADEPUSH_CTL=$<TARGET_FILE:tradepushctl>")
endforeach()

# Through the example exchange plugin (loader, instance, epoch fence, provider): the DESIGN §1
# reconnect scenarios again (e2e.reconnect_plugin), hot reload under load (e2e.reload), and the admin
# socket driven by tradepushctl (e2e.admin).
# name, file, timeout (s)
set(e2e_plugin_tests
  "reconnect_plugin\;reconnect\;600"
  "reload\;reload\;600"
  "admin\;admin\;180")
if(TARGET tradepush_example_plugin AND TRADEPUSH_E2E_NODE)
  foreach(entry IN LISTS e2e_plugin_tests)
    list(GET entry 0 name)
    list(GET entry 1 file)
    list(GET entry 2 timeout)
    add_test(NAME e2e.${name}
      COMMAND ${TRADEPUSH_E2E_NODE} --test --test-concurrency=1 ${e2e_dir}/${file}.test.mjs
      WORKING_DIRECTORY ${e2e_dir})
    set_tests_properties(e2e.${name} PROPERTIES
      LABELS e2e
      TIMEOUT ${timeout}
      RUN_SERIAL ON
      RESOURCE_LOCK tradepush_e2e
      FIXTURES_REQUIRED tradepush_node_clients
      ENVIRONMENT "TRADEPUSH_DAEMON=$<TARGET_FILE:tradepushd>;TRADEPUSH_SANITIZE=${TRADEPUSH_SANITIZE};TRADEPUSH_E2E_PLUGIN=$<TARGET_FILE:tradepush_example_plugin>;TRADEPUSH_E2E_EXCHANGE=example;TRADEPUSH_CTL=$<TARGET_FILE:tradepushctl>")
  endforeach()
endif()

# name, timeout (s), run serial?
set(e2e_python_tests
  "reconnect_python\;600\;ON"
  "protocol_python\;180\;OFF"
  "service_python\;120\;OFF")

foreach(entry IN LISTS e2e_python_tests)
  list(GET entry 0 name)
  list(GET entry 1 timeout)
  list(GET entry 2 serial)
  add_test(NAME e2e.${name}
    COMMAND ${TRADEPUSH_E2E_PYTHON3} ${e2e_dir}/${name}.py
    WORKING_DIRECTORY ${e2e_dir})
  set_tests_properties(e2e.${name} PROPERTIES
    LABELS e2e
    TIMEOUT ${timeout}
    RUN_SERIAL ${serial}
    RESOURCE_LOCK tradepush_e2e
    ENVIRONMENT "TRADEPUSH_DAEMON=$<TARGET_FILE:tradepushd>;TRADEPUSH_SANITIZE=${TRADEPUSH_SANITIZE}")
endforeach()

# The Bybit path with real components only: tradepushd + libtradepush-bybit.so + tools/bybit-sim on
# loopback, stock socket.io-client (bybit_common.mjs sets the three up). bybit_flow: fill -> pushes
# within 500 ms, 50 ticker clients on one upstream, DESIGN §1 hard-kill reconnects; bybit_faults:
# clock skew, 10006 storm, dropped private WebSocket, bad keys; bybit_storm: 200 users at once under the
# simulator's (scaled) IP limit, no 403. They time things: run alone.
# name, timeout (s)
set(e2e_bybit_tests
  "bybit_flow\;300"
  "bybit_faults\;300"
  "bybit_storm\;300")
if(TARGET tradepush_bybit_plugin AND TARGET tradepush-bybit-sim AND TRADEPUSH_E2E_NODE)
  foreach(entry IN LISTS e2e_bybit_tests)
    list(GET entry 0 name)
    list(GET entry 1 timeout)
    add_test(NAME e2e.${name}
      COMMAND ${TRADEPUSH_E2E_NODE} --test --test-concurrency=1 ${e2e_dir}/${name}.test.mjs
      WORKING_DIRECTORY ${e2e_dir})
    set_tests_properties(e2e.${name} PROPERTIES
      LABELS e2e
      TIMEOUT ${timeout}
      RUN_SERIAL ON
      RESOURCE_LOCK tradepush_e2e
      FIXTURES_REQUIRED tradepush_node_clients
      ENVIRONMENT "TRADEPUSH_DAEMON=$<TARGET_FILE:tradepushd>;TRADEPUSH_SANITIZE=${TRADEPUSH_SANITIZE};TRADEPUSH_BYBIT_SIM=$<TARGET_FILE:tradepush-bybit-sim>;TRADEPUSH_BYBIT_PLUGIN=$<TARGET_FILE:tradepush_bybit_plugin>")
  endforeach()
endif()
