// Test that header file is self-contained: plugin_abi.h alone, compiled as C++20.
#include <tradepush/plugin_abi.h>

#include <type_traits>

// The ABI types must stay C-compatible aggregates when seen from C++.
static_assert(std::is_standard_layout_v<tradepush_plugin_api> && std::is_trivial_v<tradepush_plugin_api>);
static_assert(std::is_standard_layout_v<tradepush_host_api> && std::is_trivial_v<tradepush_host_api>);
static_assert(std::is_same_v<tradepush_plugin_entry_fn, decltype(&tradepush_plugin_entry_v1)>);
