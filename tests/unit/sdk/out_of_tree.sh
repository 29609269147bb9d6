#!/bin/sh
# Usage: out_of_tree.sh <tradepush build dir> <example source dir> <scratch dir> <cmake> <generator> <c++ compiler>
#                       [<sanitizer: "" | asan | tsan>]
# What a third-party plugin author does: install the SDK (component "sdk") into a prefix, then configure
# and build the example plugin standalone against it with find_package(tradepush-sdk), check the result,
# run the installed conformance CLI against it, and build and run a test of their own that links the
# conformance kit (find_package(tradepush-sdk COMPONENTS conformance)).
set -eu
build="$1" example="$2" work="$3" cmake="$4" generator="$5" cxx="$6" sanitize="${7:-}"
# The installed kit library is built like the tree (instrumented in a sanitizer build), so whatever links
# it needs the same runtime.
case "$sanitize" in
    asan) san_flags="-fsanitize=address,undefined" ;;
    tsan) san_flags="-fsanitize=thread" ;;
    *) san_flags="" ;;
esac
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$work"
mkdir -p "$work"
"$cmake" --install "$build" --prefix "$work/prefix" --component sdk

# The installed tree must hold what the package promises.
for f in include/tradepush/plugin_abi.h include/tradepush/plugin.hpp \
         lib/cmake/tradepush-sdk/tradepush-sdkConfig.cmake lib/cmake/tradepush-sdk/tradepush-sdkConfigVersion.cmake \
         lib/cmake/tradepush-sdk/TradepushPlugin.cmake lib/cmake/tradepush-sdk/plugin.map \
         include/tradepush/conformance/fake_host.hpp include/tradepush/conformance/suite.hpp \
         include/tradepush/conformance/plugin_library.hpp \
         lib/cmake/tradepush-sdk/tradepush-conformanceTargets.cmake bin/tradepush-plugin-conformance; do
    test -f "$work/prefix/$f" || { echo "not installed: $f"; exit 1; }
done

# A copy of the example outside the source tree, so nothing can reach the in-tree headers by path.
cp -R "$example" "$work/src"
"$cmake" -S "$work/src" -B "$work/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix"
"$cmake" --build "$work/build"

so="$work/build/libtradepush-example.so"
test -f "$so" || { echo "not built: $so"; ls -la "$work/build"; exit 1; }
# The headers must have come from the installed prefix.
grep -q "$work/prefix/include" "$work/build/build.ninja" 2>/dev/null || grep -rq "$work/prefix/include" "$work/build/CMakeFiles" \
    || { echo "the build did not use the installed headers"; exit 1; }
sh "$here/check_exports.sh" "$so"

# The installed conformance CLI against the plugin just built.
"$work/prefix/bin/tradepush-plugin-conformance" "$so" --cycles 100

# An author's own test linking the installed kit.
"$cmake" -S "$here/out_of_tree_kit" -B "$work/kit-build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags"
"$cmake" --build "$work/kit-build"
"$work/kit-build/my_plugin_conformance" "$so"
echo "out-of-tree build OK: $so"
