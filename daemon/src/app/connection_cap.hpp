#pragma once
// The client connection cap ([limits] max_connections): explicit, or derived from the open-file limit.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tradepush::app {

/// Descriptors kept back from an automatic cap for everything that is not a client: listeners,
/// the admin socket, logs, plugin images, and exchange connections of a modest deployment.
inline constexpr std::size_t reserved_descriptors = 256;

/// The cap to enforce. `configured` != 0 wins; 0 derives it from `open_file_limit` (the soft
/// RLIMIT_NOFILE; nullopt when unlimited, which leaves no cap) minus reserved_descriptors.
std::size_t
connection_cap(std::size_t configured, std::optional<std::uint64_t> open_file_limit);

/// The process's soft RLIMIT_NOFILE, or nullopt when it is unlimited or cannot be read.
std::optional<std::uint64_t>
open_file_limit();

} // namespace tradepush::app
