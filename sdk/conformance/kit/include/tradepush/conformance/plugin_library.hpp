#pragma once
// A plugin image opened the way tradepushd opens it: dlopen(RTLD_NOW | RTLD_LOCAL), the one entry
// symbol, the ABI negotiation and the size-normalized copy of the plugin's table.

#include <tradepush/plugin_abi.h>

#include <filesystem>
#include <memory>
#include <string>

namespace tradepush::conformance {

/// A loaded plugin image. Move-only; dlclose on destruction.
///
/// OWNERSHIP: api() is a zero-padded copy of the plugin's table, but its function and string pointers
/// point into the image: valid only while this object lives. Destroy every fake_host using it first.
class plugin_library {
public:
    /// Loads `path` and negotiates ABI TRADEPUSH_ABI_MAJOR.TRADEPUSH_ABI_MINOR. On failure returns
    /// nullptr and sets `error` to a sentence naming the file (dlopen text, NULL entry, ABI mismatch...).
    static std::unique_ptr<plugin_library> open(std::filesystem::path const& path, std::string& error);

    ~plugin_library();
    plugin_library(plugin_library const&) = delete;
    plugin_library& operator=(plugin_library const&) = delete;

    /// The plugin's table: min(struct_size, sizeof) bytes copied into a zeroed struct (missing slots NULL).
    tradepush_plugin_api const& api() const noexcept { return api_; }
    /// The struct_size the plugin declared (may exceed sizeof(tradepush_plugin_api) for a newer minor).
    std::uint32_t declared_size() const noexcept { return declared_size_; }
    /// The entry function, for renegotiation checks (e.g. a newer host major must get NULL).
    tradepush_plugin_entry_fn entry() const noexcept { return entry_; }
    /// The file that was loaded.
    std::filesystem::path const& path() const noexcept { return path_; }
    /// The plugin's name ("" when the table has none).
    std::string const& name() const noexcept { return name_; }
    /// The plugin's version string.
    std::string const& version() const noexcept { return version_; }
    /// The capability JSON ("" when none).
    std::string const& features_json() const noexcept { return features_json_; }

private:
    plugin_library() = default;

    void* handle_ = nullptr;
    tradepush_plugin_entry_fn entry_ = nullptr;
    tradepush_plugin_api api_{};
    std::uint32_t declared_size_ = 0;
    std::filesystem::path path_;
    std::string name_;
    std::string version_;
    std::string features_json_;
};

} // namespace tradepush::conformance
