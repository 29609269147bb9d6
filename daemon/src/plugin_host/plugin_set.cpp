#include "plugin_host/plugin_set.hpp"

#include "plugin_host/plugin_provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace tradepush::plugin_host {

/// One loaded plugin. The provider outlives every instance swap (the router and hub point at it).
struct plugin_set::entry {
    plugin_spec spec;
    loaded_plugin image;
    std::unique_ptr<instance> inst;
    std::unique_ptr<plugin_provider> provider;
    std::uint64_t reloads = 0;
};

plugin_set::plugin_set(boost::asio::any_io_executor control, instance_io* io, std::filesystem::path run_dir,
    instance_options opts)
    : control_(std::move(control))
    , io_(io)
    , run_dir_(std::move(run_dir))
    , opts_(std::move(opts))
{
}

plugin_set::~plugin_set()
{
    unload_all();
}

// Loads the image and creates an instance (no provider yet). On failure nothing stays loaded.
boost::system::result<std::unique_ptr<plugin_set::entry>, std::string>
plugin_set::make_entry(plugin_spec const& spec) const
{
    auto image = load_plugin(spec.file, {run_dir_});
    if(!image)
        return image.error().message;
    auto e = std::make_unique<entry>();
    e->spec = spec;
    e->image = std::move(*image);
    // The sink is set when the provider is attached (load) or switched to (reload).
    e->inst = std::make_unique<instance>(control_, e->image.api(), e->image.name(), spec.config_json, nullptr,
        io_, opts_);
    if(auto c = e->inst->create(); !c) {
        auto const name = e->image.name();
        e->inst.reset();
        if(!unload(std::move(e->image)))
            spdlog::warn("plugin {}: image of a failed create still mapped", name);
        return "plugin " + name + " (" + spec.file.string() + "): create failed: " + c.error();
    }
    return e;
}

boost::system::result<feed::provider*, std::string>
plugin_set::load(plugin_spec spec)
{
    auto e = make_entry(spec);
    if(!e)
        return e.error();
    auto& en = **e;
    auto const name = en.image.name();
    auto dup = std::find_if(entries_.begin(), entries_.end(), [&](auto const& x) { return x->image.name() == name; });
    if(dup != entries_.end()) {
        std::string const msg = "plugin " + name + " (" + spec.file.string() + "): already loaded from " +
            (*dup)->spec.file.string();
        retire(std::move(en.inst), std::move(en.image), name);
        return msg;
    }
    en.provider = std::make_unique<plugin_provider>(*en.inst);
    spdlog::info("plugin {} {} loaded from {}", name, en.image.version(), spec.file.string());
    entries_.push_back(std::move(*e));
    ++stats_.plugins;
    return entries_.back()->provider.get();
}

namespace {

// reload_report is an aggregate whose first member is a string, so a plain string would convert to
// either side of the result: say which.
boost::system::result<reload_report, std::string>
failed(std::string message)
{
    return {boost::system::in_place_error, std::move(message)};
}

} // namespace

boost::system::result<reload_report, std::string>
plugin_set::reload(std::string_view name)
{
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](auto const& x) { return x->image.name() == name; });
    if(it == entries_.end())
        return failed("reload " + std::string(name) + ": no such plugin");
    auto& cur = **it;
    if(cur.inst->in_plugin_call())
        return failed("reload " + std::string(name) + ": refused from inside a call into the plugin");
    auto refuse = [&](std::string const& why) {
        ++stats_.reload_failures;
        auto msg = "reload " + cur.image.name() + " refused, " + cur.image.version() + " keeps serving: " + why;
        spdlog::error("{}", msg);
        return failed(std::move(msg));
    };

    // Green: a fresh image from a unique path and a created instance, not yet serving.
    auto fresh = make_entry(cur.spec);
    if(!fresh)
        return refuse(fresh.error());
    auto& next = **fresh;
    if(next.image.name() != cur.image.name()) {
        auto const other = next.image.name();
        retire(std::move(next.inst), std::move(next.image), other);
        return refuse(cur.spec.file.string() + " now holds plugin '" + other + "'");
    }

    // Switch: the provider re-opens every live session and subscription on the new instance.
    reload_report report;
    report.name = cur.image.name();
    report.old_version = cur.image.version();
    report.new_version = next.image.version();
    report.accounts = cur.provider->live_accounts();
    report.tickers = cur.provider->live_tickers();
    cur.provider->switch_to(*next.inst);

    // Blue retires: destroy, check nothing is left, unmap.
    std::swap(cur.inst, next.inst);
    std::swap(cur.image, next.image);
    report.old_unmapped = retire(std::move(next.inst), std::move(next.image), report.name);
    ++cur.reloads;
    ++stats_.reloads;
    spdlog::info("plugin {} reloaded: {} -> {}, {} account session(s) and {} ticker(s) re-opened, old image {}",
        report.name, report.old_version, report.new_version, report.accounts, report.tickers,
        report.old_unmapped ? "unmapped" : "STILL MAPPED");
    return report;
}

// Destroys an instance and unloads its image (steps 2-5 of the unload protocol). Everything runs on the
// control thread, the only one that calls plugin code, and never from inside a plugin call, so once
// destroy returns no plugin frame is on any stack. Returns whether the image really unmapped.
bool
plugin_set::retire(std::unique_ptr<instance> inst, loaded_plugin&& image, std::string const& name)
{
    std::size_t ops_left = 0;
    if(inst) {
        inst->destroy();
        ops_left = inst->live_ops();
        inst.reset();
    }
    if(ops_left != 0) {
        // destroy() cancels every op; a survivor is a host bug, and unmapping now could run freed code.
        spdlog::error("plugin {}: {} operation(s) left after destroy; image kept mapped", name, ops_left);
        ++stats_.resident_after_unload;
        kept_mapped_.push_back(std::move(image));
        return false;
    }
    if(unload(std::move(image)))
        return true;
    ++stats_.resident_after_unload;
    spdlog::warn("plugin {}: image still mapped after unload (GNU unique symbols, TLS destructors or another "
                 "handle); it stays resident, its path is never reused",
        name);
    return false;
}

void
plugin_set::unload_all()
{
    // Instances first (their operations are cancelled), then the images: no plugin code may run once its
    // image is gone. Providers last: they only hold host-side state.
    for(auto& e : entries_) {
        e->inst->destroy();
    }
    for(auto& e : entries_) {
        auto const name = e->image.name();
        retire(std::move(e->inst), std::move(e->image), name);
    }
    entries_.clear();
    stats_.plugins = 0;
    // Images kept because operations outlived their instance: by now (loops stopped) nothing can run.
    for(auto& image : kept_mapped_)
        static_cast<void>(unload(std::move(image)));
    kept_mapped_.clear();
}

std::vector<std::string>
plugin_set::names() const
{
    std::vector<std::string> out;
    for(auto const& e : entries_)
        out.push_back(e->image.name());
    return out;
}

std::vector<plugin_status>
plugin_set::status() const
{
    std::vector<plugin_status> out;
    for(auto const& e : entries_) {
        plugin_status s;
        s.name = e->image.name();
        s.version = e->image.version();
        s.file = e->spec.file.string();
        s.image = e->image.image_path().string();
        s.accounts = e->provider->live_accounts();
        s.tickers = e->provider->live_tickers();
        s.reloads = e->reloads;
        s.counters = e->inst->counters();
        out.push_back(std::move(s));
    }
    return out;
}

plugin_set_stats
plugin_set::stats() const noexcept
{
    return stats_;
}

} // namespace tradepush::plugin_host
