// The daemon's TOML config: any text either loads into a config or is refused with a message that
// names a position; it never throws or crashes. Key files named by the config resolve against an
// empty directory, so the fuzzer only reaches the parse and validation logic.
#include "config/config.hpp"

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<char const*>(data), size);
    auto r = tradepush::config::load_string(text, "fuzz.toml", "/nonexistent-fuzz-dir");
    if(!r && r.error().message.empty())
        std::abort();
    return 0;
}
