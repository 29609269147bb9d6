#pragma once
// A small ELF64 reader for plugin images: the dynamic symbol table only, parsed from the file
// bytes without running any of the image's code and without external tools (readelf).
//
// Why: two properties of an image silently defeat dlclose on glibc, so hot reload would keep the
// old code mapped (specs/plugin-abi.md §1.5):
//   - a symbol with binding STB_GNU_UNIQUE (GCC's default for static locals of inline functions
//     and static data members of templates with default visibility) marks the DSO NODELETE;
//   - an import of __cxa_thread_atexit(_impl) (a thread_local with a destructor) pins the DSO
//     until every thread that touched it exits.

#include "plugin_host/loader_error.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace tradepush::plugin_host {

/// One entry of .dynsym.
struct elf_symbol {
    std::string name;
    unsigned char type = 0;       ///< STT_*
    unsigned char binding = 0;    ///< STB_* (STB_GNU_UNIQUE = 10)
    unsigned char visibility = 0; ///< STV_*
    bool defined = false;         ///< st_shndx != SHN_UNDEF
};

/// What the dynamic symbol table of an image says.
struct elf_report {
    /// Every named .dynsym entry, in table order.
    std::vector<elf_symbol> symbols;
    /// Defined, non-local, default/protected-visibility symbols: what the image exports.
    std::vector<std::string> exports;
    /// Symbols with binding STB_GNU_UNIQUE (they make dlclose a no-op).
    std::vector<std::string> unique_symbols;
    /// Undefined imports of __cxa_thread_atexit / __cxa_thread_atexit_impl (TLS destructors).
    std::vector<std::string> tls_dtor_imports;

    /// True when nothing in the image prevents a real unload.
    bool
    unloadable() const noexcept
    {
        return unique_symbols.empty() && tls_dtor_imports.empty();
    }
};

/// Parses `bytes` (a whole image) as an ELF64 little-endian shared object (ET_DYN) for this
/// machine. `name` prefixes error messages. Errors: not_shared_object.
boost::system::result<elf_report, loader_error> inspect_elf(std::span<unsigned char const> bytes,
    std::string const& name);

/// Reads `path` and parses it as above. Errors: unreadable, not_shared_object.
boost::system::result<elf_report, loader_error> inspect_elf_file(std::filesystem::path const& path);

/// Reads a whole file; errors name the file. Errors: unreadable.
boost::system::result<std::vector<unsigned char>, loader_error> read_image_file(std::filesystem::path const& path);

} // namespace tradepush::plugin_host
