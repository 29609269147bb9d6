# tools/bybit-sim: CLI smoke tests of the tradepush-bybit-sim executable. (unit_bybit_sim itself comes
# from the tests/unit loop; its fixtures are tests/data/bybit/ via TRADEPUSH_TEST_DATA_DIR.)
# Included from tests/CMakeLists.txt with include(... OPTIONAL).
if(NOT TARGET tradepush-bybit-sim)
  return()
endif()

add_test(NAME bybit_sim_cli_help COMMAND tradepush-bybit-sim --help)
add_test(NAME bybit_sim_cli_rejects_bad_args COMMAND tradepush-bybit-sim --tick-ms nope)
add_test(NAME bybit_sim_cli_refuses_public_bind COMMAND tradepush-bybit-sim --listen 0.0.0.0:0)
set_tests_properties(bybit_sim_cli_rejects_bad_args bybit_sim_cli_refuses_public_bind PROPERTIES WILL_FAIL TRUE)

# Starts the simulator, waits for its one "listening" line, then stops it with SIGTERM: the
# process must exit 0 (clean shutdown).
add_test(NAME bybit_sim_cli_listen_and_sigterm
  COMMAND sh -c "out=$(mktemp); \"$1\" --tick-ms 100 > \"$out\" & pid=$!; \
i=0; while [ $i -lt 100 ] && ! grep -q '^bybit-sim listening on 127.0.0.1:[0-9][0-9]*$' \"$out\" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; \
grep -q '^bybit-sim listening on 127.0.0.1:' \"$out\" || { kill $pid; exit 1; }; \
kill -TERM $pid; wait $pid; rc=$?; rm -f \"$out\"; exit $rc"
    sh $<TARGET_FILE:tradepush-bybit-sim>)
set_tests_properties(bybit_sim_cli_help bybit_sim_cli_rejects_bad_args bybit_sim_cli_refuses_public_bind
  bybit_sim_cli_listen_and_sigterm PROPERTIES TIMEOUT 30 LABELS unit)
