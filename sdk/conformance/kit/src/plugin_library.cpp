#include <tradepush/conformance/plugin_library.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace tradepush::conformance {

std::unique_ptr<plugin_library>
plugin_library::open(std::filesystem::path const& path, std::string& error)
{
    std::unique_ptr<plugin_library> lib{new plugin_library};
    lib->path_ = path;
    std::string const file = path.string();
    // A name without a slash would make dlopen search the library path instead of opening the file.
    std::error_code ec;
    auto const absolute = std::filesystem::absolute(path, ec);
    std::string const load_name = ec ? file : absolute.string();

    // RTLD_NOW: an unresolved symbol fails here, not at the first call; RTLD_LOCAL: the plugin's
    // symbols never satisfy another image's (the daemon's flags).
    lib->handle_ = ::dlopen(load_name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if(lib->handle_ == nullptr) {
        char const* why = ::dlerror();
        error = file + ": dlopen: " + (why ? why : "unknown error");
        return nullptr;
    }
    lib->entry_ = reinterpret_cast<tradepush_plugin_entry_fn>(::dlsym(lib->handle_, TRADEPUSH_PLUGIN_ENTRY_SYMBOL));
    if(lib->entry_ == nullptr) {
        error = file + ": does not export " TRADEPUSH_PLUGIN_ENTRY_SYMBOL;
        return nullptr;
    }
    tradepush_plugin_api const* table = lib->entry_(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    if(table == nullptr) {
        error = file + ": refuses this host (entry returned NULL for ABI " + std::to_string(TRADEPUSH_ABI_MAJOR) +
            "." + std::to_string(TRADEPUSH_ABI_MINOR) + ")";
        return nullptr;
    }
    // Read the header first: only then do we know how many bytes the table really has.
    std::uint32_t header[4];
    std::memcpy(header, table, sizeof header);
    lib->declared_size_ = header[0];
    if(header[1] != TRADEPUSH_ABI_MAJOR) {
        error = file + ": ABI major " + std::to_string(header[1]) + ", host " + std::to_string(TRADEPUSH_ABI_MAJOR);
        return nullptr;
    }
    if(header[2] > TRADEPUSH_ABI_MINOR) {
        error = file + ": ABI minor " + std::to_string(header[2]) + " newer than host " +
            std::to_string(TRADEPUSH_ABI_MINOR);
        return nullptr;
    }
    if(header[0] < offsetof(tradepush_plugin_api, destroy) + sizeof(void*)) {
        error = file + ": struct_size " + std::to_string(header[0]) + " too small";
        return nullptr;
    }
    std::memcpy(&lib->api_, table, std::min<std::size_t>(header[0], sizeof(tradepush_plugin_api)));
    lib->api_.struct_size = static_cast<std::uint32_t>(std::min<std::size_t>(header[0], sizeof(tradepush_plugin_api)));
    if(lib->api_.create == nullptr || lib->api_.destroy == nullptr) {
        error = file + ": missing slot " + (lib->api_.create == nullptr ? "create" : "destroy");
        return nullptr;
    }
    lib->name_ = lib->api_.name ? lib->api_.name : "";
    lib->version_ = lib->api_.version ? lib->api_.version : "";
    lib->features_json_ = lib->api_.features_json ? lib->api_.features_json : "";
    return lib;
}

plugin_library::~plugin_library()
{
    if(handle_ != nullptr)
        ::dlclose(handle_);
}

} // namespace tradepush::conformance
