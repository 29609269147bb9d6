#pragma once
// A scripted engineio::session for unit tests: records what the Socket.IO layer sends and lets the
// test feed messages and closes the way the Engine.IO server would.

#include "engineio/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradepush::test {

namespace net = boost::asio;

/// One message the layer above queued, as it would appear on a WebSocket.
struct sent_message {
    bool binary = false;
    /// Text messages include the Engine.IO `4`; binary messages are raw bytes.
    std::string data;
    std::uint64_t conflate_key = 0;
};

/// Records sends; close() calls on_close synchronously (the harsher, re-entrant case) unless
/// `async_close` is set, in which case on_close is posted like a transport teardown would be.
class fake_session final : public engineio::session, public std::enable_shared_from_this<fake_session> {
public:
    explicit fake_session(net::io_context& ioc, bool async_close = false)
        : ioc_(ioc)
        , async_close_(async_close)
    {
    }

    std::string const& id() const noexcept override { return id_; }
    net::any_io_executor get_executor() const override { return ioc_.get_executor(); }
    engineio::handshake_info const& handshake() const noexcept override { return info_; }
    std::string_view transport() const noexcept override { return "websocket"; }

    void send(outbound_ptr msg, std::uint64_t conflate_key = 0) override
    {
        if(closed_)
            return;
        sent_.push_back({msg->is_binary(), std::string(msg->payload()), conflate_key});
    }
    void send_text(std::string_view message) override
    {
        if(closed_)
            return;
        sent_.push_back({false, "4" + std::string(message), 0});
    }
    void send_binary(std::string_view bytes) override
    {
        if(closed_)
            return;
        sent_.push_back({true, std::string(bytes), 0});
    }
    void close(std::string_view reason) override
    {
        if(closed_)
            return;
        close_reason_ = std::string(reason);
        finish(close_reason_);
    }
    engineio::session_stats stats() const noexcept override { return {}; }

    // ---- test driver side --------------------------------------------------------------------

    /// Installs the handler the factory returned (the real server owns it the same way).
    void attach(std::shared_ptr<engineio::session_handler> h) { handler_ = std::move(h); }
    /// Delivers a text message (the Socket.IO packet, without the Engine.IO `4`).
    void feed(std::string_view text)
    {
        if(auto h = handler_)
            h->on_message(text, false);
    }
    /// Delivers a binary message.
    void feed_binary(std::string_view bytes)
    {
        if(auto h = handler_)
            h->on_message(bytes, true);
    }
    /// The transport went away (client side): on_close with `reason`.
    void transport_closed(std::string const& reason) { finish(reason); }

    /// Takes the messages sent so far.
    std::vector<sent_message> take() { return std::exchange(sent_, {}); }
    /// Text of the messages sent so far (binary shown as `<bin:...>`), then cleared.
    std::vector<std::string> take_text()
    {
        std::vector<std::string> out;
        for(auto& m : take())
            out.push_back(m.binary ? "<bin:" + m.data + ">" : m.data);
        return out;
    }
    bool closed() const noexcept { return closed_; }
    /// The reason the layer above passed to close(), empty if it never did.
    std::string const& close_reason() const noexcept { return close_reason_; }
    bool has_handler() const noexcept { return handler_ != nullptr; }

private:
    void finish(std::string reason)
    {
        if(closed_)
            return;
        closed_ = true;
        // The server drops its reference to the handler once on_close returned.
        auto h = std::move(handler_);
        if(!h)
            return;
        if(async_close_)
            net::post(ioc_, [h, reason] { h->on_close(reason); });
        else
            h->on_close(reason);
    }

    net::io_context& ioc_;
    bool async_close_;
    std::string id_ = "eio-secret-sid";
    engineio::handshake_info info_;
    std::shared_ptr<engineio::session_handler> handler_;
    std::vector<sent_message> sent_;
    bool closed_ = false;
    std::string close_reason_;
};

} // namespace tradepush::test
