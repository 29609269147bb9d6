// The credentials store's TOML: loaded or refused with a message; never a crash, and the message
// never echoes a secret's value.
#include "config/credentials.hpp"

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<char const*>(data), size);
    auto r = tradepush::config::load_credentials_string(text, "fuzz-credentials.toml");
    if(!r && r.error().message.empty())
        std::abort();
    return 0;
}
