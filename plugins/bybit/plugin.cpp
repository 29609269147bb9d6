// libtradepush-bybit.so: the Bybit V5 adapter as a tradepush plugin. All logic lives in the
// tradepush_bybit library (src/); this file only turns the adapter class into the C entry table.
#include "adapter.hpp"

#include <tradepush/plugin.hpp>

TRADEPUSH_DEFINE_PLUGIN(tradepush::bybit::adapter, "bybit", "0.1.0", tradepush::bybit::features_json);
