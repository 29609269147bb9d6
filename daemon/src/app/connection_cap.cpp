#include "app/connection_cap.hpp"

#include <sys/resource.h>

namespace tradepush::app {

std::size_t
connection_cap(std::size_t configured, std::optional<std::uint64_t> open_file_limit)
{
    if(configured != 0 || !open_file_limit)
        return configured;
    // A limit below the reserve still admits a few clients: refusing every one would look like an
    // outage, while hitting EMFILE only slows accepts down (they back off and retry).
    if(*open_file_limit <= reserved_descriptors * 2)
        return static_cast<std::size_t>(*open_file_limit / 2);
    return static_cast<std::size_t>(*open_file_limit - reserved_descriptors);
}

std::optional<std::uint64_t>
open_file_limit()
{
    rlimit rl{};
    if(::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return std::nullopt;
    return static_cast<std::uint64_t>(rl.rlim_cur);
}

} // namespace tradepush::app
