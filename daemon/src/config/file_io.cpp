#include "config/detail/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include <sys/stat.h>

namespace tradepush::config::detail {

namespace {

// Value and error are both std::string here, so every return must say which one it is.
boost::system::result<std::string, std::string>
bad(std::string why)
{
    return {boost::system::in_place_error, std::move(why)};
}

} // namespace

boost::system::result<std::string, std::string>
read_file(std::filesystem::path const& path, std::size_t max_bytes)
{
    // stdio rather than iostreams: we want errno for the message, and iostreams lose it.
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f)
        return bad(std::strerror(errno));

    // fopen() happily opens a directory; fread() would then fail with a less obvious EISDIR.
    struct stat st {};
    if (::fstat(::fileno(f.get()), &st) != 0)
        return bad(std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bad("not a regular file");
    if (static_cast<std::size_t>(st.st_size) > max_bytes)
        return bad("larger than " + std::to_string(max_bytes) + " bytes");

    std::string data;
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t const n = std::fread(data.data(), 1, data.size(), f.get());
    if (std::ferror(f.get()))
        return bad(std::strerror(errno));
    // A file that shrank while we read it is still read consistently up to where it ended.
    data.resize(n);
    return {boost::system::in_place_value, std::move(data)};
}

} // namespace tradepush::config::detail
