# Packaging checks (label `packaging`), included from tests/CMakeLists.txt:
#   packaging.unit  systemd-analyze verify (any output fails) + security exposure <= 2.0 + sysusers,
#                   with a self-test that a typo, Type=notify-reload and a weak sandbox are rejected.
#                   About a second; needs only the `systemd` package.
#   packaging.deb_prebuilt
#                   the same round trip without compiling: packages this build tree's Release binaries
#                   (build-deb.sh --prebuilt), lintian --fail-on error, dpkg -i, checks, dpkg --purge,
#                   checks. Under two minutes; registered by default. Needs tradepushd, tradepushctl and
#                   the Bybit plugin built (`ninja` builds all). Skipped (exit 77, saying why) when not
#                   root, when dpkg-buildpackage/debhelper/lintian/fakeroot are missing, or when a
#                   tradepushd package is already installed (it never touches one it did not install).
#   packaging.deb   builds the .deb with debhelper out of tree, lintian --fail-on error, then dpkg -i /
#                   dpkg --purge on this machine (root). Rebuilds the shipped targets in Release (ccache
#                   keeps it to a few minutes when warm); RUN_SERIAL since it uses the CPU and dpkg's lock.
#                   Skipped (exit 77) when not root or debhelper/lintian are missing.
# Registered only in non-sanitizer builds: the package is the same whichever preset runs, and the .deb
# build is the slowest test, so the asan/tsan presets do not repeat it.
if(NOT TRADEPUSH_SANITIZE STREQUAL "")
  return()
endif()
set(_tradepush_packaging_dir ${CMAKE_CURRENT_LIST_DIR}/../packaging)

find_program(TRADEPUSH_SYSTEMD_ANALYZE systemd-analyze)
if(TRADEPUSH_SYSTEMD_ANALYZE)
  add_test(NAME packaging.unit COMMAND sh ${_tradepush_packaging_dir}/check-unit.sh --self-test)
  set_tests_properties(packaging.unit PROPERTIES LABELS packaging TIMEOUT 60)
else()
  message(STATUS "systemd-analyze not found: packaging.unit not registered")
endif()

# The cheap round trip, on this tree's binaries. RUN_SERIAL: dpkg's lock, and it installs into /usr.
# Its own work directory inside the build tree, so two build trees never share staged files.
add_test(NAME packaging.deb_prebuilt
  COMMAND ${CMAKE_COMMAND} -E env TRADEPUSH_DEB_WORKDIR=${CMAKE_BINARY_DIR}/packaging-deb
    bash ${_tradepush_packaging_dir}/build-deb.sh --ctest --prebuilt ${CMAKE_BINARY_DIR})
set_tests_properties(packaging.deb_prebuilt PROPERTIES LABELS packaging TIMEOUT 300 RUN_SERIAL TRUE
  SKIP_RETURN_CODE 77)

# The .deb round trip rebuilds the shipped targets with the package's flags (a cold build takes several
# minutes on two cores), so it is opt-in: -DTRADEPUSH_TEST_DEB=ON, or run packaging/build-deb.sh.
option(TRADEPUSH_TEST_DEB "Register packaging.deb: build, lint, install and purge the .deb (slow, needs root)" OFF)
if(TRADEPUSH_TEST_DEB)
  add_test(NAME packaging.deb COMMAND bash ${_tradepush_packaging_dir}/build-deb.sh --ctest)
  set_tests_properties(packaging.deb PROPERTIES LABELS packaging TIMEOUT 3600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
endif()
