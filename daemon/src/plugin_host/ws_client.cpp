#include "plugin_host/ws_client.hpp"

#include "plugin_host/endpoint_gate.hpp"
#include "plugin_host/net_stream.hpp"
#include "plugin_host/net_url.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <vector>

namespace tradepush::plugin_host {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct ws_client::impl {
    impl(net::any_io_executor ex, net::ssl::context& tls, ws_client_options opts)
        : ex_(std::move(ex)), tls_(tls), gate_(opts.max_connects_per_endpoint, opts.max_queued_per_endpoint)
    {
    }

    /// Remembers a connection so destroying the client can cancel it.
    void
    track(std::weak_ptr<ws_connection> conn)
    {
        if (conns_.size() >= 64)
            std::erase_if(conns_, [](auto const& w) { return w.expired(); });
        conns_.push_back(std::move(conn));
    }

    void
    shutdown()
    {
        closed_ = true;
        auto conns = std::move(conns_);
        for (auto& w : conns)
            if (auto c = w.lock())
                c->cancel();
    }

    net::any_io_executor ex_;
    net::ssl::context& tls_;
    std::vector<std::weak_ptr<ws_connection>> conns_;
    // An attempt holds a slot of its endpoint from resolve to upgrade (or failure).
    endpoint_gate gate_;
    bool closed_ = false;
};

namespace {

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

bool
has_crlf(std::string const& s)
{
    return s.find_first_of("\r\n") != std::string::npos;
}

//------------------------------------------------------------------------------

/// One WebSocket: resolve, connect, TLS, upgrade under one connect timer, then a read loop and a
/// write queue (Beast allows one outstanding write). Handlers hold shared_from_this().
class ws_connection_impl : public ws_connection,
                           public gate_waiter,
                           public std::enable_shared_from_this<ws_connection_impl> {
public:
    using event_fn = std::function<void(ws_event_kind, std::string_view)>;

    ws_connection_impl(std::shared_ptr<ws_client::impl> client, ws_open_data data, event_fn on_event)
        : client_(std::move(client)),
          data_(std::move(data)),
          on_event_(std::move(on_event)),
          resolver_(client_->ex_),
          timer_(client_->ex_)
    {
    }

    void
    start()
    {
        auto url = parse_net_url(data_.url);
        if (!url || (url->scheme != "ws" && url->scheme != "wss"))
            return post_close("bad url");
        url_ = std::move(*url);
        for (auto const& [name, value] : data_.headers)
            if (name.empty() || has_crlf(name) || has_crlf(value))
                return post_close("bad header");

        if (url_.secure)
            tls_ = std::make_unique<tls_ws>(client_->ex_, client_->tls_);
        else
            plain_ = std::make_unique<plain_ws>(client_->ex_);

        // The timer covers resolve through the upgrade; an open socket lives until closed.
        auto const timeout = data_.timeout.count() > 0 ? data_.timeout : std::chrono::milliseconds{10000};
        timer_.expires_after(timeout);
        timer_.async_wait(beast::bind_front_handler(&ws_connection_impl::on_timeout, shared_from_this()));

        switch (slot_.acquire(client_->gate_, url_.endpoint_key(), std::weak_ptr<gate_waiter>(shared_from_this()))) {
        case gate_result::granted:
            return do_resolve();
        case gate_result::queued:
            return; // on_slot() continues; the timer above bounds the wait
        case gate_result::full:
            return post_close("queue full");
        }
    }

    bool
    on_slot() override
    {
        if (stopped() || client_->closed_)
            return false;
        slot_.granted();
        do_resolve();
        return true;
    }

    bool
    wants_slot() const override
    {
        return !stopped();
    }

    bool
    send(std::string payload, bool binary) override
    {
        if (!open_ || stopped())
            return false;
        queue_.push_back({std::move(payload), binary});
        if (queue_.size() == 1)
            do_write();
        return true;
    }

    void
    cancel() override
    {
        if (stopped())
            return;
        cancelled_ = true;
        open_ = false;
        // Release the handler's captures now, unless we are inside it (emit() drops it after).
        if (!in_emit_)
            on_event_ = nullptr;
        stop_io();
        slot_.release();
    }

private:
    tcp::socket&
    socket()
    {
        return tls_ ? beast::get_lowest_layer(*tls_).socket() : beast::get_lowest_layer(*plain_).socket();
    }

    beast::tcp_stream&
    tcp_layer()
    {
        return tls_ ? beast::get_lowest_layer(*tls_) : beast::get_lowest_layer(*plain_);
    }

    template <class F>
    void
    visit(F&& f)
    {
        if (tls_)
            f(*tls_);
        else
            f(*plain_);
    }

    void
    do_resolve()
    {
        resolver_.async_resolve(url_.host, std::to_string(url_.port),
            beast::bind_front_handler(&ws_connection_impl::on_resolve, shared_from_this()));
    }

    void
    on_resolve(beast::error_code ec, tcp::resolver::results_type results)
    {
        if (stopped())
            return;
        if (ec)
            return close_with("resolve: " + ec.message());
        tcp_layer().async_connect(results, beast::bind_front_handler(&ws_connection_impl::on_connect, shared_from_this()));
    }

    void
    on_connect(beast::error_code ec, tcp::endpoint const&)
    {
        if (stopped())
            return;
        if (ec)
            return close_with("connect: " + ec.message());
        // Small frames (subscribe, ping) must not wait for an ACK behind Nagle.
        beast::error_code ignored;
        tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
        if (!tls_)
            return do_upgrade();
        if (auto err = net_prepare_tls(tls_->next_layer(), url_.host, url_.host_is_ip()); !err.empty())
            return close_with(err);
        tls_->next_layer().async_handshake(net::ssl::stream_base::client,
            beast::bind_front_handler(&ws_connection_impl::on_tls_handshake, shared_from_this()));
    }

    void
    on_tls_handshake(beast::error_code ec)
    {
        if (stopped())
            return;
        if (ec)
            return close_with("tls: " + ec.message());
        do_upgrade();
    }

    void
    do_upgrade()
    {
        // Our own timer bounds the upgrade; the websocket stream takes over timeouts from here.
        tcp_layer().expires_never();
        visit([this](auto& ws) {
            ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            ws.read_message_max(data_.max_message_bytes);
            ws.set_option(websocket::stream_base::decorator([headers = data_.headers](websocket::request_type& req) {
                for (auto const& [name, value] : headers) {
                    if (beast::iequals(name, "host"))
                        req.set(http::field::host, value);
                    else
                        req.insert(name, value);
                }
            }));
            ws.async_handshake(upgrade_response_, url_.host_header(), url_.target,
                beast::bind_front_handler(&ws_connection_impl::on_upgrade, shared_from_this()));
        });
    }

    void
    on_upgrade(beast::error_code ec)
    {
        if (stopped())
            return;
        if (ec) {
            auto text = "handshake: " + ec.message();
            if (upgrade_response_.result_int() != 0)
                text += " (status " + std::to_string(upgrade_response_.result_int()) + ")";
            return close_with(text);
        }
        timer_.cancel();
        open_ = true;
        slot_.release(); // the attempt is over: the next waiting one may start
        emit(ws_event_kind::open, {});
        if (!stopped())
            do_read();
    }

    void
    do_read()
    {
        visit([this](auto& ws) {
            ws.async_read(buffer_, beast::bind_front_handler(&ws_connection_impl::on_read, shared_from_this()));
        });
    }

    void
    on_read(beast::error_code ec, std::size_t)
    {
        if (stopped())
            return;
        if (ec == websocket::error::closed) {
            websocket::close_reason reason;
            visit([&](auto& ws) { reason = ws.reason(); });
            auto text = "closed by server (" + std::to_string(reason.code);
            if (!reason.reason.empty())
                text += ": " + std::string(reason.reason.c_str());
            return close_with(text + ")");
        }
        if (ec == websocket::error::message_too_big)
            return close_with("message too large");
        if (ec)
            return close_with("read: " + ec.message());

        bool text = false;
        visit([&](auto& ws) { text = ws.got_text(); });
        auto payload = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        emit(text ? ws_event_kind::text : ws_event_kind::binary, payload);
        if (!stopped())
            do_read();
    }

    void
    do_write()
    {
        auto& front = queue_.front();
        visit([&](auto& ws) {
            ws.binary(front.binary);
            ws.async_write(net::buffer(front.payload),
                beast::bind_front_handler(&ws_connection_impl::on_write, shared_from_this()));
        });
    }

    void
    on_write(beast::error_code ec, std::size_t)
    {
        if (stopped())
            return;
        if (ec)
            return close_with("write: " + ec.message());
        queue_.pop_front();
        if (!queue_.empty())
            do_write();
    }

    void
    on_timeout(beast::error_code ec)
    {
        if (ec || stopped() || open_)
            return;
        close_with("timeout");
    }

    /// Aborts pending I/O; the streams stay alive for the handlers still in flight.
    void
    stop_io()
    {
        timer_.cancel();
        resolver_.cancel();
        if (plain_ || tls_) {
            beast::error_code ignored;
            socket().shutdown(tcp::socket::shutdown_both, ignored);
            socket().close(ignored);
        }
    }

    /// The single terminal event.
    void
    close_with(std::string reason)
    {
        if (stopped())
            return;
        closed_ = true;
        open_ = false;
        stop_io();
        slot_.release();
        queue_.clear();
        emit(ws_event_kind::closed, reason);
        on_event_ = nullptr;
    }

    void
    post_close(std::string reason)
    {
        net::post(client_->ex_, [self = shared_from_this(), reason = std::move(reason)]() mutable {
            self->close_with(std::move(reason));
        });
    }

    void
    emit(ws_event_kind kind, std::string_view data)
    {
        if (!on_event_)
            return;
        // The handler may cancel() us; destroying on_event_ while it runs would be undefined.
        in_emit_ = true;
        on_event_(kind, data);
        in_emit_ = false;
        if (cancelled_)
            on_event_ = nullptr;
    }

    bool
    stopped() const
    {
        return cancelled_ || closed_;
    }

    struct outgoing {
        std::string payload;
        bool binary;
    };

    std::shared_ptr<ws_client::impl> client_;
    ws_open_data data_;
    event_fn on_event_;
    net_url url_;
    tcp::resolver resolver_;
    net::steady_timer timer_;
    std::unique_ptr<plain_ws> plain_;
    std::unique_ptr<tls_ws> tls_;
    websocket::response_type upgrade_response_;
    beast::flat_buffer buffer_;
    std::deque<outgoing> queue_;
    bool open_ = false;
    bool in_emit_ = false;
    bool cancelled_ = false;
    bool closed_ = false;
    gate_slot slot_; // of the endpoint, from resolve to upgrade (or failure)
};

} // namespace

//------------------------------------------------------------------------------

ws_client::ws_client(net::any_io_executor ex, net::ssl::context& tls, ws_client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), tls, opts))
{
}

ws_client::~ws_client()
{
    impl_->shutdown();
}

std::shared_ptr<ws_connection>
ws_client::open(ws_open_data req, std::function<void(ws_event_kind, std::string_view)> on_event)
{
    auto conn = std::make_shared<ws_connection_impl>(impl_, std::move(req), std::move(on_event));
    impl_->track(conn);
    conn->start();
    return conn;
}

ws_client_stats
ws_client::stats() const
{
    auto const g = impl_->gate_.stats();
    return {g.in_use, g.waiting};
}

} // namespace tradepush::plugin_host
