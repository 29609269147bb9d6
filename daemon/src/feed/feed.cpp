#include "feed/feed.hpp"

#include <array>

namespace tradepush::feed {

namespace {

// Indexed by the enum value; the order is the wire contract's, so keep both in step.
constexpr std::array<std::string_view, stream_type_count> type_names{"balance", "positions", "pnl", "orders"};
constexpr std::array<std::string_view, 3> state_names{"live", "stale", "error"};

} // namespace

std::string_view
to_string(stream_type t) noexcept
{
    auto const i = static_cast<std::size_t>(t);
    return i < type_names.size() ? type_names[i] : std::string_view("unknown");
}

std::optional<stream_type>
parse_stream_type(std::string_view s) noexcept
{
    for(std::size_t i = 0; i < type_names.size(); ++i)
        if(type_names[i] == s)
            return static_cast<stream_type>(i);
    return std::nullopt;
}

std::string_view
to_string(stream_state s) noexcept
{
    auto const i = static_cast<std::size_t>(s);
    return i < state_names.size() ? state_names[i] : std::string_view("unknown");
}

std::optional<stream_state>
parse_stream_state(std::string_view s) noexcept
{
    for(std::size_t i = 0; i < state_names.size(); ++i)
        if(state_names[i] == s)
            return static_cast<stream_state>(i);
    return std::nullopt;
}

std::optional<std::vector<std::string>>
provider::reset_user_on(std::string_view user, std::string_view)
{
    reset_user(user);
    return std::nullopt;
}

} // namespace tradepush::feed
