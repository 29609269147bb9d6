#pragma once
// The daemon's exchange plugins: each one's image, host-side instance and provider, with blue/green
// hot reload (specs/plugin-abi.md §2.3.6) and the explicit unload at shutdown.

#include "feed/feed.hpp"
#include "plugin_host/instance.hpp"
#include "plugin_host/instance_io.hpp"
#include "plugin_host/loader.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::plugin_host {

/// What to load: the file (re-read on every reload) and the JSON handed to create.
struct plugin_spec {
    std::filesystem::path file;
    std::string config_json;
};

/// The outcome of one successful reload.
struct reload_report {
    std::string name;
    std::string old_version;
    std::string new_version;
    std::size_t accounts = 0; ///< account sessions re-opened on the new instance
    std::size_t tickers = 0;  ///< ticker subscriptions re-opened on the new instance
    bool old_unmapped = true; ///< false: the old image stayed resident (counted in resident_after_unload)
};

/// One plugin as an operator sees it.
struct plugin_status {
    std::string name;
    std::string version;
    std::string file;         ///< what the config names
    std::string image;        ///< the private copy now mapped
    std::size_t accounts = 0; ///< live account sessions
    std::size_t tickers = 0;  ///< live ticker subscriptions
    std::uint64_t reloads = 0;
    instance_counters counters;
};

/// Totals over every plugin, for /stats and metrics.
struct plugin_set_stats {
    std::size_t plugins = 0;
    std::uint64_t reloads = 0;               ///< successful reloads
    std::uint64_t reload_failures = 0;       ///< reloads refused (the old image kept serving)
    std::uint64_t resident_after_unload = 0; ///< images still mapped after their unload
};

/// Owns the loaded plugins.
///
/// THREADING: every call on the control thread (the instances' executor), never from inside a plugin
/// call: reload and unload free instances and unmap images.
/// OWNERSHIP: `io` is borrowed and must outlive the set; providers handed out live as long as the set.
class plugin_set {
public:
    /// @param control the control executor the instances run on
    /// @param io HTTP/WS for the instances (nullptr: none)
    /// @param run_dir where private image copies go
    plugin_set(boost::asio::any_io_executor control, instance_io* io, std::filesystem::path run_dir,
        instance_options opts = {});
    /// Unloads whatever is still loaded.
    ~plugin_set();
    plugin_set(plugin_set const&) = delete;
    plugin_set& operator=(plugin_set const&) = delete;

    /// Loads, checks and creates one plugin. Returns its provider (stable across reloads), which
    /// serves the exchange named by the plugin. The error names the file and the cause.
    boost::system::result<feed::provider*, std::string> load(plugin_spec spec);

    /// Blue/green reload of `name` from its file: load a fresh image from a unique path, create an
    /// instance, re-open every live account session and ticker subscription on it, then destroy the old
    /// instance and unload the old image, verifying it unmapped. On any failure before the switch the
    /// old instance keeps serving untouched and the error says why.
    boost::system::result<reload_report, std::string> reload(std::string_view name);

    /// Destroys every instance (cancelling their operations), then unloads every image. Call at
    /// shutdown, before the loggers and the io_context die. Idempotent.
    void unload_all();

    /// Names of the loaded plugins, in load order.
    std::vector<std::string> names() const;
    /// One entry per loaded plugin, in load order.
    std::vector<plugin_status> status() const;
    plugin_set_stats stats() const noexcept;

private:
    struct entry;

    boost::system::result<std::unique_ptr<entry>, std::string> make_entry(plugin_spec const& spec) const;
    bool retire(std::unique_ptr<instance> inst, loaded_plugin&& image, std::string const& name);

    boost::asio::any_io_executor control_;
    instance_io* io_;
    std::filesystem::path run_dir_;
    instance_options opts_;
    std::vector<std::unique_ptr<entry>> entries_;
    std::vector<loaded_plugin> kept_mapped_; ///< retired images that must not unmap yet
    plugin_set_stats stats_;
};

} // namespace tradepush::plugin_host
