#pragma once
// The Bybit V5 WebSocket protocol of one connection, without I/O: ops (ping, subscribe, unsubscribe,
// auth), each channel's reply dialect, ticker snapshot/delta state and private topic pushes (spec §5).

#include "engine.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::bybit_sim {

class app;

/// Which stream a connection is on, from its URL path.
enum class ws_channel { linear, spot, private_stream };

/// /v5/public/linear, /v5/public/spot, /v5/private; nullopt otherwise.
std::optional<ws_channel>
channel_for_path(std::string_view path);

/// "linear" / "spot" / "private".
char const*
to_string(ws_channel c);

/// Protocol state of one WebSocket connection.
class ws_conn {
public:
    ws_conn(app& a, ws_channel channel);

    ws_channel
    channel() const
    {
        return channel_;
    }
    std::string const&
    conn_id() const
    {
        return conn_id_;
    }
    /// The authenticated user ("" before auth or on public streams).
    std::string const&
    user() const
    {
        return user_;
    }

    /// Handles one client text frame; returns the frames to send, in order.
    std::vector<std::string>
    on_text(std::string_view text);

    /// Public streams: ticker frames for this tick (linear: deltas of changed fields; spot: snapshots).
    std::vector<std::string>
    on_tick();

    /// Private stream: the push for `ev` if this connection is authed as its user and subscribed.
    std::vector<std::string>
    on_event(private_event const& ev);

private:
    void
    on_ping(boost::json::object const& msg, std::vector<std::string>& out);
    void
    on_subscribe(boost::json::object const& msg, bool subscribe, std::vector<std::string>& out);
    void
    on_auth(boost::json::object const& msg, std::vector<std::string>& out);
    std::string
    reply(std::string_view op, bool success, std::string const& ret_msg, boost::json::object const& msg);
    std::optional<std::string>
    check_public_topic(std::string const& topic) const;
    std::optional<std::string>
    check_private_topic(std::string const& topic) const;
    std::string
    ticker_frame(std::string const& topic, bool snapshot);

    app& app_;
    ws_channel channel_;
    std::string conn_id_;
    std::string user_;
    std::string key_;
    std::set<std::string> topics_;
    std::map<std::string, boost::json::object> last_sent_; ///< per ticker topic: what the client holds
    std::map<std::string, std::int64_t> last_cs_;
    std::uint64_t push_seq_ = 0; ///< private push ids (not from the engine RNG: keeps prices reproducible)
};

} // namespace tradepush::bybit_sim
