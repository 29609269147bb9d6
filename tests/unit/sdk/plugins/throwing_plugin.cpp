// A test-only plugin whose handlers throw, built like a real one (tradepush_add_plugin), to check through
// dlopen that no exception crosses the ABI: commands return TRADEPUSH_E_INTERNAL, completions are logged,
// create() reports the message. It also leaves some handlers out, so their slots must be NULL.
#include <tradepush/plugin.hpp>

#include <stdexcept>
#include <string_view>

namespace sdk = tradepush::sdk;

namespace {

class throwing_plugin {
public:
    /// Config "throw" makes create() fail.
    throwing_plugin(sdk::host host, std::string_view config) : host_(host)
    {
        if(config == "throw")
            throw std::invalid_argument("config says throw");
    }

    /// Throws a std::exception.
    void
    on_timer(sdk::op, std::uint64_t)
    {
        throw std::runtime_error("on_timer failed");
    }

    /// Throws a std::exception.
    sdk::status
    open_account(sdk::owner const&, sdk::account const&, std::uint32_t)
    {
        throw std::runtime_error("open_account failed");
    }

    /// Throws something that is not a std::exception.
    sdk::status
    subscribe_ticker(std::string_view, std::string_view)
    {
        throw 42;
    }

    /// Throws from the SDK's own throwing helper when the host lacks HMAC.
    sdk::status
    close_account(sdk::owner const&, std::string_view)
    {
        auto const mac = host_.hmac_sha256("key", "message");
        return mac[0] == 0 ? sdk::status::ok : sdk::status::ok;
    }

    /// Does not throw.
    sdk::status
    reset_user(sdk::owner const&)
    {
        return sdk::status::ok;
    }

private:
    sdk::host host_;
};

} // namespace

TRADEPUSH_DEFINE_PLUGIN(throwing_plugin, "throwing", "0.0.1", "{}");
