#pragma once
// Whole-file reads with errno-based messages, shared by the loader for the config and key files.

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace tradepush::config::detail {

/// Reads a regular file of at most `max_bytes`; the error is a reason such as
/// "No such file or directory" (strerror) or "larger than 16 MiB", without the path.
boost::system::result<std::string, std::string> read_file(std::filesystem::path const& path, std::size_t max_bytes);

} // namespace tradepush::config::detail
