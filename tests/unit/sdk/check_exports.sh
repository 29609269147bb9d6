#!/bin/sh
# Usage: check_exports.sh <plugin.so>
# A plugin must export exactly one symbol, the function tradepush_plugin_entry_v1, and carry no
# STB_GNU_UNIQUE binding nor TLS destructor (either makes dlclose a no-op, plugin-abi.md §1.5).
# Needs readelf (binutils).
set -eu
so="$1"
test -f "$so" || { echo "missing: $so"; exit 1; }

# Defined (Ndx != UND), non-local dynamic symbols; columns: Num Value Size Type Bind Vis Ndx Name.
exports=$(readelf --dyn-syms -W "$so" | awk 'NF >= 8 && $1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" { print $4, $5, $8 }')
expected="FUNC GLOBAL tradepush_plugin_entry_v1"
if [ "$exports" != "$expected" ]; then
    echo "$so: expected exactly '$expected', exported:"
    echo "$exports"
    exit 1
fi

if readelf -sW "$so" | grep -q UNIQUE; then
    echo "$so: has STB_GNU_UNIQUE symbols:"
    readelf -sW "$so" | grep UNIQUE
    exit 1
fi
# thread_local objects with destructors register through __cxa_thread_atexit, which pins the image.
if readelf --dyn-syms -W "$so" | grep -q '__cxa_thread_atexit'; then
    echo "$so: imports __cxa_thread_atexit (a thread_local with a destructor keeps it from unloading)"
    exit 1
fi
echo "$so: exports only tradepush_plugin_entry_v1; no UNIQUE bindings, no TLS destructors"
