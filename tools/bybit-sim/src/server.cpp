#include "server.hpp"

#include "ws_conn.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <optional>

namespace tradepush::bybit_sim {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

namespace {

/// Keeps the open-connection gauge honest: one per TCP connection, handed from HTTP to WS.
class connection_token {
public:
    explicit connection_token(std::shared_ptr<app> a) : app_(std::move(a)) { ++app_->stats().open_connections; }
    ~connection_token() { --app_->stats().open_connections; }
    connection_token(connection_token const&) = delete;
    connection_token& operator=(connection_token const&) = delete;

private:
    std::shared_ptr<app> app_;
};

/// "30s".."600s" or "1m".."10m" (Bybit's max_active_time); 0 when malformed or out of range.
int
parse_active_time(std::string const& v)
{
    if (v.size() < 2)
        return 0;
    int mult = v.back() == 's' ? 1 : (v.back() == 'm' ? 60 : 0);
    int n = 0;
    for (std::size_t i = 0; i + 1 < v.size(); ++i) {
        if (v[i] < '0' || v[i] > '9' || n > 10000)
            return 0;
        n = n * 10 + (v[i] - '0');
    }
    int const s = n * mult;
    return s >= 30 && s <= 600 ? s : 0;
}

void
fail(error_code ec, char const* what)
{
    // Expected ends of a connection are not worth a line; everything else goes to stderr.
    if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == beast::http::error::end_of_stream ||
        ec == net::error::eof || ec == net::error::connection_reset || ec == beast::error::timeout)
        return;
    std::fprintf(stderr, "bybit-sim: %s: %s\n", what, ec.message().c_str());
}

//------------------------------------------------------------------------------

/// One WebSocket connection: reads ops in order, writes queued frames, cuts idle peers.
class ws_session : public ws_endpoint, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(tcp::socket&& socket, std::shared_ptr<app> a, ws_channel channel, int idle_s,
        std::unique_ptr<connection_token> token)
        : ws_(std::move(socket)), app_(std::move(a)), conn_(*app_, channel), idle_timer_(ws_.get_executor()),
          idle_(std::chrono::seconds(idle_s)), token_(std::move(token))
    {
    }

    ~ws_session() override
    {
        if (registered_) {
            app_->remove_endpoint(this);
            --app_->stats().open_ws;
        }
    }

    void
    run(http::request<http::string_body> req, std::string path)
    {
        path_ = std::move(path);
        ws_.read_message_max(app_->config().max_ws_message_bytes);
        // Our liveness rule is Bybit's JSON ping, not protocol pings: only a handshake timeout here.
        websocket::stream_base::timeout opt{std::chrono::seconds(30), websocket::stream_base::none(), false};
        ws_.set_option(opt);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "bybit-sim"); }));
        beast::get_lowest_layer(ws_).expires_never();
        ws_.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
    }

    ws_conn&
    conn() override
    {
        return conn_;
    }

    void
    send(std::string frame) override
    {
        if (closing_)
            return;
        // A client this far behind will never catch up: cut it rather than grow without bound.
        if (queue_.size() >= app_->config().ws_send_queue_limit) {
            drop(true);
            return;
        }
        last_activity_ = std::chrono::steady_clock::now();
        queue_.push_back(std::move(frame));
        if (!writing_)
            do_write();
    }

    void
    drop(bool abrupt) override
    {
        if (closing_)
            return;
        closing_ = true;
        unregister();
        idle_timer_.cancel();
        if (abrupt) {
            // SO_LINGER 0 turns close() into a TCP RST: the "connection reset" case of clients.
            auto& sock = beast::get_lowest_layer(ws_).socket();
            error_code ec;
            sock.set_option(net::socket_base::linger(true, 0), ec);
            sock.close(ec);
            return;
        }
        if (!writing_)
            do_close();
        // else on_write closes once the frame in flight is out.
    }

private:
    void
    unregister()
    {
        if (!registered_)
            return;
        registered_ = false;
        app_->remove_endpoint(this);
        --app_->stats().open_ws;
    }

    void
    on_accept(error_code ec)
    {
        if (ec)
            return fail(ec, "ws accept");
        ws_.text(true);
        app_->add_endpoint(this);
        registered_ = true;
        ++app_->stats().open_ws;
        ++app_->stats().ws_connections[path_];
        last_activity_ = std::chrono::steady_clock::now();
        arm_idle_timer();
        do_read();
    }

    void
    arm_idle_timer()
    {
        idle_timer_.expires_at(last_activity_ + idle_);
        idle_timer_.async_wait(beast::bind_front_handler(&ws_session::on_idle, shared_from_this()));
    }

    void
    on_idle(error_code ec)
    {
        if (ec || closing_)
            return;
        if (std::chrono::steady_clock::now() < last_activity_ + idle_)
            return arm_idle_timer();
        // Neither ping nor data for the whole window: Bybit cuts such connections (docs: 10 min).
        ++app_->stats().ws_idle_closes;
        drop(false);
    }

    void
    do_read()
    {
        ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
    }

    void
    on_read(error_code ec, std::size_t)
    {
        if (ec) {
            unregister();
            idle_timer_.cancel();
            return fail(ec, "ws read");
        }
        if (closing_)
            return;
        last_activity_ = std::chrono::steady_clock::now();
        if (!ws_.got_text()) {
            // Bybit speaks JSON text only.
            drop(false);
            return;
        }
        auto const text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        // Frames are handled strictly in order (hummingbot sends auth + subscribes back to back).
        for (auto& f : conn_.on_text(text))
            send(std::move(f));
        do_read();
    }

    void
    do_write()
    {
        writing_ = true;
        ws_.async_write(
            net::buffer(queue_.front()), beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
    }

    void
    on_write(error_code ec, std::size_t)
    {
        writing_ = false;
        if (ec) {
            unregister();
            idle_timer_.cancel();
            return fail(ec, "ws write");
        }
        queue_.pop_front();
        if (closing_)
            return do_close();
        if (!queue_.empty())
            do_write();
    }

    void
    do_close()
    {
        ws_.async_close(websocket::close_code::normal,
            [self = shared_from_this()](error_code ec) { (void)ec; });
    }

    websocket::stream<beast::tcp_stream> ws_;
    std::shared_ptr<app> app_;
    ws_conn conn_;
    net::steady_timer idle_timer_;
    std::chrono::steady_clock::duration idle_;
    std::chrono::steady_clock::time_point last_activity_;
    std::unique_ptr<connection_token> token_;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
    std::string path_;
    bool writing_ = false;
    bool closing_ = false;
    bool registered_ = false;
};

//------------------------------------------------------------------------------

/// One HTTP/1.1 connection: REST and control requests, or an upgrade to a WebSocket stream.
class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, std::shared_ptr<app> a)
        : stream_(std::move(socket)), app_(std::move(a)), delay_timer_(stream_.get_executor()),
          token_(std::make_unique<connection_token>(app_))
    {
        error_code ec;
        auto ep = stream_.socket().remote_endpoint(ec);
        remote_ = ec ? std::string("unknown") : ep.address().to_string();
    }

    void
    run()
    {
        do_read();
    }

private:
    void
    do_read()
    {
        parser_.emplace();
        parser_->body_limit(app_->config().max_request_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(app_->config().max_header_bytes));
        stream_.expires_after(std::chrono::seconds(60));
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
    }

    void
    on_read(error_code ec, std::size_t)
    {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
            // Say why before hanging up: a clear error beats a silent reset.
            return write_error(http::status::payload_too_large, "request too large");
        }
        if (ec)
            return fail(ec, "http read");
        auto req = parser_->release();
        if (websocket::is_upgrade(req))
            return upgrade(std::move(req));
        auto reply = app_->handle_http(req, remote_);
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        if (reply.delay.count() > 0) {
            delay_timer_.expires_after(reply.delay);
            delay_timer_.async_wait(
                [self = shared_from_this(), r = std::move(reply)](error_code ec) mutable {
                    if (!ec)
                        self->do_write(std::move(r));
                });
            return;
        }
        do_write(std::move(reply));
    }

    void
    upgrade(http::request<http::string_body> req)
    {
        auto const target = std::string(req.target());
        auto const qpos = target.find('?');
        auto const path = target.substr(0, qpos);
        auto const channel = channel_for_path(path);
        if (!channel) {
            version_ = req.version();
            keep_alive_ = false;
            return write_error(http::status::not_found, "no such stream");
        }
        // Bybit allows 500 new connections per 5 min per domain; past it this simulator answers 429
        // (Bybit documents the limit, not its answer).
        if (!app_->ws_connect_limiter()
                 .admit(remote_, app_->clock().now_ms(), app_->faults().ws_connect_limit_per_5min, 300000)
                 .allowed) {
            ++app_->stats().ws_connects_refused;
            version_ = req.version();
            keep_alive_ = false;
            return write_error(http::status::too_many_requests, "too many new connections");
        }
        int idle_s = app_->config().ws_idle_timeout_s;
        if (qpos != std::string::npos && *channel == ws_channel::private_stream) {
            auto const q = target.substr(qpos + 1);
            auto const pos = q.find("max_active_time=");
            if (pos != std::string::npos) {
                auto const end = q.find('&', pos);
                int s = parse_active_time(q.substr(pos + 16, end == std::string::npos ? std::string::npos : end - pos - 16));
                if (s == 0) {
                    version_ = req.version();
                    keep_alive_ = false;
                    return write_error(http::status::bad_request, "max_active_time must be 30s..600s or 1m..10m");
                }
                idle_s = s;
            }
        }
        stream_.expires_never();
        auto ws = std::make_shared<ws_session>(stream_.release_socket(), app_, *channel, idle_s, std::move(token_));
        ws->run(std::move(req), path);
    }

    void
    write_error(http::status status, std::string const& why)
    {
        http_reply r;
        r.status = static_cast<unsigned>(status);
        r.content_type = "text/plain";
        r.body = why + "\n";
        keep_alive_ = false;
        do_write(std::move(r));
    }

    void
    do_write(http_reply reply)
    {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(reply.status),
            version_ ? version_ : 11);
        res->set(http::field::server, "bybit-sim");
        res->set(http::field::content_type, reply.content_type);
        for (auto const& [k, v] : reply.headers)
            res->set(k, v);
        res->keep_alive(keep_alive_);
        res->body() = std::move(reply.body);
        res->prepare_payload();
        stream_.expires_after(std::chrono::seconds(30));
        http::async_write(stream_, *res,
            [self = shared_from_this(), res](error_code ec, std::size_t) { self->on_write(ec, res->keep_alive()); });
    }

    void
    on_write(error_code ec, bool keep_alive)
    {
        if (ec)
            return fail(ec, "http write");
        if (!keep_alive) {
            error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        do_read();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<app> app_;
    net::steady_timer delay_timer_;
    std::unique_ptr<connection_token> token_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string remote_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
};

} // namespace

//------------------------------------------------------------------------------

server::server(net::io_context& ioc, std::shared_ptr<app> a, tcp::endpoint endpoint)
    : ioc_(ioc), app_(std::move(a)), acceptor_(ioc), tick_timer_(ioc)
{
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
}

server::~server()
{
    stop();
}

void
server::run()
{
    do_accept();
    if (app_->config().tick_ms > 0)
        do_tick();
}

void
server::stop()
{
    if (stopped_)
        return;
    stopped_ = true;
    error_code ec;
    acceptor_.close(ec);
    tick_timer_.cancel();
    app_->drop_ws("all", "", false);
}

void
server::do_accept()
{
    acceptor_.async_accept(ioc_, beast::bind_front_handler(&server::on_accept, this));
}

void
server::on_accept(error_code ec, tcp::socket socket)
{
    if (ec == net::error::operation_aborted || stopped_)
        return;
    if (ec) {
        fail(ec, "accept");
    } else if (static_cast<std::size_t>(app_->stats().open_connections) >= app_->config().max_connections) {
        // Over the connection limit: refuse at once instead of queueing work we cannot serve.
        ++app_->stats().connections_refused;
        error_code ignored;
        socket.close(ignored);
    } else {
        // Pushes are small frames written one by one (execution, order, position, wallet): without
        // TCP_NODELAY, Nagle holds each behind the previous one's delayed ACK (~40 ms on Linux).
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<http_session>(std::move(socket), app_)->run();
    }
    do_accept();
}

void
server::do_tick()
{
    tick_timer_.expires_after(std::chrono::milliseconds(app_->config().tick_ms));
    tick_timer_.async_wait(beast::bind_front_handler(&server::on_tick, this));
}

void
server::on_tick(error_code ec)
{
    if (ec || stopped_)
        return;
    app_->tick();
    do_tick();
}

} // namespace tradepush::bybit_sim
