#pragma once
// The failure of loading or inspecting a plugin image: a sentence for the operator's log that
// always names the file, plus a code tests and the host can branch on.

#include <boost/assert/source_location.hpp>

#include <string>

namespace tradepush::plugin_host {

/// What kind of refusal; the message carries the details.
enum class loader_errc {
    unreadable,        ///< missing, not a regular file, or I/O error
    not_shared_object, ///< not an ELF64 shared object for this machine
    copy_failed,       ///< could not place the private image copy under run_dir
    bad_exports,       ///< exports something besides the entry symbol, or not the entry symbol
    dlopen_failed,     ///< the dynamic linker refused it
    refused,           ///< the entry returned NULL for this host
    abi_mismatch,      ///< major differs or minor newer than the host
    bad_table,         ///< struct_size too small, a required slot NULL, or no name
    internal,          ///< an unexpected exception (e.g. out of memory) inside the loader
};

/// Why a plugin was refused, e.g. `plugins/x.so: ABI major 2, host 1`.
struct loader_error {
    loader_errc code;
    std::string message; ///< human-readable, names the file, no trailing newline
};

/// Found by ADL from boost::system::result<T, loader_error>::value(): throws
/// std::runtime_error(message). Boost 1.81 needs this for a non-error_code error type.
[[noreturn]] void throw_exception_from_error(loader_error const& e, boost::source_location const& loc);

} // namespace tradepush::plugin_host
