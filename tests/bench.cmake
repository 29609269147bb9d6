# bench.smoke: the benchmark harness end to end in seconds (bench/run --smoke): the floor probe,
# the contract checker and one tiny run of every scenario against tradepushd (with the bench feed
# plugin), the Node socket.io peer and the Flask-SocketIO peer, then the report and charts.
# The abuse scenario's run with attackers fails unless every attack (bench/attack) was refused or
# closed by tradepushd's edge limits. Otherwise it proves the harness works; it measures nothing. Not under the sanitizers (the bench targets are
# not built there, and the timings would mean nothing). A peer whose runtime is missing
# (bench/peers/node/node_modules, python3-flask-socketio) makes the test SKIP (exit 77, saying why)
# after tradepushd's runs passed; tradepushd itself must always work.
if(TRADEPUSH_SANITIZE STREQUAL "" AND (NOT DEFINED TRADEPUSH_BUILD_BENCH OR TRADEPUSH_BUILD_BENCH))
  add_test(NAME bench.smoke
    COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/bench/run --smoke --no-build
            --build-dir ${CMAKE_BINARY_DIR} --out ${CMAKE_CURRENT_BINARY_DIR}/bench-smoke
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(bench.smoke PROPERTIES
    LABELS bench
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    # Pins servers to core 0 and clients to core 1 and opens loopback connections: never next to
    # the other loopback-heavy tests.
    RUN_SERIAL ON
    RESOURCE_LOCK tradepush_e2e)
endif()
