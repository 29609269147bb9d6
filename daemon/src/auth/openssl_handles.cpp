#include "auth/openssl_handles.hpp"

#include <openssl/err.h>

namespace tradepush::auth::detail {

void
clear_openssl_errors() noexcept
{
    ERR_clear_error();
}

std::string
drain_openssl_errors()
{
    std::string text;
    while(unsigned long const code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof(buf));
        if(!text.empty())
            text += "; ";
        text += buf;
    }
    return text;
}

} // namespace tradepush::auth::detail
