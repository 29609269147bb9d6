#pragma once
// Loading and unloading plugin images through Boost.DLL (specs/plugin-abi.md §1.7, §2.3.6).
//
// THREADING: call load_plugin and unload from one control thread (dlopen/dlclose ordering and the
// RTLD_NOLOAD verification are only meaningful when nothing else loads concurrently).

#include "plugin_host/elf_check.hpp"
#include "plugin_host/loader_error.hpp"

#include <tradepush/plugin_abi.h>

#include <boost/dll/shared_library.hpp>
#include <boost/system/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace tradepush::plugin_host {

/// Where and how to load.
struct load_options {
    /// Private image copies go here (created if missing): `<stem>-<sha256 prefix>-<counter>.so`.
    std::filesystem::path run_dir;
};

namespace detail {
struct loader_access;
} // namespace detail

//------------------------------------------------------------------------------

/// A loaded, ABI-checked plugin image. Move-only; owns the shared_library and the private copy of
/// the file. Destroying it without unload() still unloads and deletes the copy, silently.
///
/// OWNERSHIP: api() is a zero-padded copy of the plugin's table, but its function and string
/// pointers point into the image: valid only while this object is loaded.
class loaded_plugin {
public:
    loaded_plugin() = default;
    loaded_plugin(loaded_plugin&& other) noexcept;
    loaded_plugin& operator=(loaded_plugin&& other) noexcept;
    loaded_plugin(loaded_plugin const&) = delete;
    loaded_plugin& operator=(loaded_plugin const&) = delete;
    ~loaded_plugin();

    /// True while the image is mapped by this object.
    bool
    loaded() const noexcept
    {
        return lib_.is_loaded();
    }
    /// The plugin's table, read as min(struct_size, sizeof) bytes into a zeroed copy.
    tradepush_plugin_api const&
    api() const noexcept
    {
        return api_;
    }
    /// The entry function (for conformance checks that renegotiate the ABI).
    tradepush_plugin_entry_fn
    entry() const noexcept
    {
        return entry_;
    }
    /// Copied from the table at load time.
    std::string const&
    name() const noexcept
    {
        return name_;
    }
    std::string const&
    version() const noexcept
    {
        return version_;
    }
    std::string const&
    features_json() const noexcept
    {
        return features_json_;
    }
    /// The private copy that was dlopen'ed (unique per load within the process).
    std::filesystem::path const&
    image_path() const noexcept
    {
        return image_path_;
    }
    /// The file the caller asked to load.
    std::filesystem::path const&
    source_path() const noexcept
    {
        return source_path_;
    }
    /// The ELF inspection of the image (UNIQUE symbols, TLS destructors) done before loading.
    elf_report const&
    elf() const noexcept
    {
        return elf_;
    }

private:
    friend struct detail::loader_access;
    friend bool unload(loaded_plugin&&) noexcept;

    bool release() noexcept;

    boost::dll::shared_library lib_;
    tradepush_plugin_api api_{};
    tradepush_plugin_entry_fn entry_ = nullptr;
    std::string name_;
    std::string version_;
    std::string features_json_;
    std::filesystem::path image_path_;
    std::filesystem::path source_path_;
    elf_report elf_;
};

//------------------------------------------------------------------------------

/// Validates `path` (readable regular ELF shared object), copies it to a unique path under
/// options.run_dir, checks its exports with boost::dll::library_info and our .dynsym reader before
/// any of its code runs, dlopens it RTLD_NOW|RTLD_LOCAL, calls the entry with the host's ABI
/// version and checks the table (major equal, minor <= host, struct_size, required slots, name).
/// On failure nothing stays mapped and the copy is deleted.
boost::system::result<loaded_plugin, loader_error> load_plugin(std::filesystem::path const& path,
    load_options const& options);

/// Unloads `plugin` (dlclose through shared_library), verifies with dlopen(RTLD_NOLOAD) that the
/// image is really gone and deletes the private copy. Returns `unmapped`: false means the image
/// stays resident (STB_GNU_UNIQUE, TLS destructors, or another handle); count it, never reuse
/// the path (the loader never does).
[[nodiscard]] bool unload(loaded_plugin&& plugin) noexcept;

/// Every symbol `image` exports, as boost::dll::library_info sees it (.symtab when present, else
/// .dynsym) joined with the defined, visible .dynsym entries of `elf` (what the dynamic linker
/// exposes); names `elf` knows only as undefined imports are left out. Runs none of the image's
/// code. Errors: not_shared_object (library_info cannot parse it).
boost::system::result<std::vector<std::string>, loader_error> list_exports(std::filesystem::path const& image,
    elf_report const& elf);

/// The smallest struct_size the host accepts: up to the end of the last required v1.0 slot
/// (reset_user).
std::size_t min_plugin_api_size() noexcept;

} // namespace tradepush::plugin_host
