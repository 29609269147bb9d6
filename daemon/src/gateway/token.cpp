#include "gateway/token.hpp"

#include <cctype>

namespace tradepush::gateway {

std::string_view
find_token(boost::json::object const& auth, std::string_view authorization) noexcept
{
    if(auto const* t = auth.if_contains("token")) {
        if(auto const* s = t->if_string())
            return std::string_view(s->data(), s->size());
        return {};
    }
    std::string_view v = authorization;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    if(v.size() < 7)
        return {};
    constexpr std::string_view bearer = "bearer ";
    for(std::size_t i = 0; i < bearer.size(); ++i)
        if(std::tolower(static_cast<unsigned char>(v[i])) != bearer[i])
            return {};
    v.remove_prefix(bearer.size());
    while(!v.empty() && v.front() == ' ')
        v.remove_prefix(1);
    return v;
}

} // namespace tradepush::gateway
