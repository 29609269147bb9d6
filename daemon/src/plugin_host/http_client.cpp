#include "plugin_host/http_client.hpp"

#include "plugin_host/endpoint_gate.hpp"
#include "plugin_host/net_stream.hpp"
#include "plugin_host/net_url.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <map>
#include <optional>

namespace tradepush::plugin_host {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

/// Responses with bigger headers than this are refused like oversized bodies.
constexpr std::uint32_t header_limit = 64 * 1024;

/// Errors that mean "the server closed a reused keep-alive connection before answering".
bool
is_stale_connection_error(beast::error_code const& ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated;
}

/// Methods safe to resend when a reused connection died after the request was written.
bool
is_idempotent(http::verb v)
{
    return v == http::verb::get || v == http::verb::head || v == http::verb::options;
}

bool
has_crlf(std::string const& s)
{
    return s.find_first_of("\r\n") != std::string::npos;
}

} // namespace

//------------------------------------------------------------------------------

struct http_client::impl : std::enable_shared_from_this<http_client::impl> {
    impl(net::any_io_executor ex, net::ssl::context& tls, http_client_options opts)
        : ex_(std::move(ex)), tls_(tls), opts_(opts), sweep_(ex_),
          gate_(opts.max_connections_per_endpoint, opts.max_queued_per_endpoint)
    {
    }

    /// An idle pooled connection and when it went idle.
    struct idle_entry {
        std::shared_ptr<net_connection> conn;
        clock_type::time_point since;
    };

    /// Takes the most recently used live idle connection for `key`, or null.
    std::shared_ptr<net_connection>
    take(std::string const& key)
    {
        auto it = pool_.find(key);
        if (it == pool_.end())
            return nullptr;
        auto& list = it->second;
        auto const now = clock_type::now();
        std::shared_ptr<net_connection> found;
        while (!list.empty() && !found) {
            auto entry = std::move(list.back());
            list.pop_back();
            if (now - entry.since < opts_.idle_timeout && entry.conn->is_idle_alive())
                found = std::move(entry.conn);
            else
                entry.conn->close();
        }
        if (list.empty())
            pool_.erase(it);
        return found;
    }

    /// Parks a connection whose last response allowed keep-alive.
    void
    give(std::string const& key, std::shared_ptr<net_connection> conn)
    {
        if (closed_ || opts_.max_idle_per_endpoint == 0 || opts_.idle_timeout.count() <= 0) {
            conn->close();
            return;
        }
        auto& list = pool_[key];
        list.push_back({std::move(conn), clock_type::now()});
        // Over the limit: the oldest idle connection goes first.
        while (list.size() > opts_.max_idle_per_endpoint) {
            list.front().conn->close();
            list.erase(list.begin());
        }
        start_sweep();
    }

    /// Closes idle connections older than idle_timeout, so sockets do not linger forever.
    void
    start_sweep()
    {
        if (sweeping_ || closed_)
            return;
        sweeping_ = true;
        sweep_.expires_after(opts_.idle_timeout);
        sweep_.async_wait([weak = weak_from_this()](beast::error_code ec) {
            if (auto self = weak.lock())
                self->on_sweep(ec);
        });
    }

    void
    on_sweep(beast::error_code ec)
    {
        sweeping_ = false;
        if (ec || closed_)
            return;
        auto const now = clock_type::now();
        for (auto it = pool_.begin(); it != pool_.end();) {
            auto& list = it->second;
            std::erase_if(list, [&](idle_entry& e) {
                if (now - e.since < opts_.idle_timeout)
                    return false;
                e.conn->close();
                return true;
            });
            it = list.empty() ? pool_.erase(it) : std::next(it);
        }
        if (!pool_.empty())
            start_sweep();
    }

    /// Remembers an operation so destroying the client can cancel it.
    void
    track(std::weak_ptr<cancel_handle> op)
    {
        if (ops_.size() >= 64)
            std::erase_if(ops_, [](auto const& w) { return w.expired(); });
        ops_.push_back(std::move(op));
    }

    /// The owning http_client is going away: no more pooling, no more handlers.
    void
    shutdown()
    {
        closed_ = true;
        sweep_.cancel();
        for (auto& [key, list] : pool_)
            for (auto& e : list)
                e.conn->close();
        pool_.clear();
        auto ops = std::move(ops_);
        for (auto& w : ops)
            if (auto op = w.lock())
                op->cancel();
    }

    std::size_t
    idle_count() const
    {
        std::size_t n = 0;
        for (auto const& [key, list] : pool_)
            n += list.size();
        return n;
    }

    net::any_io_executor ex_;
    net::ssl::context& tls_;
    http_client_options opts_;
    std::map<std::string, std::vector<idle_entry>> pool_;
    net::steady_timer sweep_;
    bool sweeping_ = false;
    bool closed_ = false;
    std::vector<std::weak_ptr<cancel_handle>> ops_;
    // A request holds a slot of its endpoint from its first connection attempt to its answer; idle
    // connections are taken before a new one is opened, so slots also bound the connections open.
    endpoint_gate gate_;
};

//------------------------------------------------------------------------------

namespace {

/// One request: resolve, connect, TLS handshake, write, read, under one overall timer. Every
/// completion handler holds shared_from_this(); `finished_`/`cancelled_` make later ones no-ops.
class request_op : public cancel_handle, public gate_waiter, public std::enable_shared_from_this<request_op> {
public:
    using done_fn = std::function<void(http_response_data)>;

    request_op(std::shared_ptr<http_client::impl> client, http_request_data data, done_fn done)
        : client_(std::move(client)),
          data_(std::move(data)),
          done_(std::move(done)),
          resolver_(client_->ex_),
          timer_(client_->ex_),
          started_(clock_type::now())
    {
    }

    void
    start()
    {
        auto url = parse_net_url(data_.url);
        if (!url || url->scheme == "ws" || url->scheme == "wss")
            return post_fail("bad url");
        url_ = std::move(*url);
        if (auto err = build_request(); !err.empty())
            return post_fail(err);

        // One deadline for the whole exchange; 0 means the default.
        auto const timeout = data_.timeout.count() > 0 ? data_.timeout : std::chrono::milliseconds{10000};
        timer_.expires_after(timeout);
        timer_.async_wait(beast::bind_front_handler(&request_op::on_timeout, shared_from_this()));

        switch (slot_.acquire(client_->gate_, url_.endpoint_key(), std::weak_ptr<gate_waiter>(shared_from_this()))) {
        case gate_result::granted:
            return go();
        case gate_result::queued:
            return; // on_slot() continues; the timer above bounds the wait
        case gate_result::full:
            return post_fail("queue full");
        }
    }

    void
    cancel() override
    {
        if (cancelled_ || finished_)
            return;
        cancelled_ = true;
        // Drop the handler now: whatever it captured is released even if I/O lingers.
        done_ = nullptr;
        stop_io();
        slot_.release();
    }

    bool
    on_slot() override
    {
        if (stopped() || client_->closed_)
            return false;
        slot_.granted();
        go();
        return true;
    }

    bool
    wants_slot() const override
    {
        return !stopped();
    }

private:
    std::string
    build_request()
    {
        auto const verb = http::string_to_verb(data_.method);
        if (verb == http::verb::unknown) {
            if (data_.method.empty() || data_.method.find_first_of(" \r\n") != std::string::npos)
                return "bad method";
            req_.method_string(data_.method);
        } else {
            req_.method(verb);
        }
        req_.target(url_.target);
        req_.version(11);
        req_.set(http::field::host, url_.host_header());
        for (auto const& [name, value] : data_.headers) {
            // CR/LF would let a plugin smuggle a second request onto a shared connection.
            if (name.empty() || has_crlf(name) || has_crlf(value))
                return "bad header";
            if (beast::iequals(name, "host"))
                req_.set(http::field::host, value);
            else
                req_.insert(name, value);
        }
        req_.body() = std::move(data_.body);
        req_.prepare_payload();
        return {};
    }

    /// With a slot of the endpoint: an idle connection if there is one, else a new one.
    void
    go()
    {
        if ((conn_ = client_->take(slot_.key()))) {
            reused_ = true;
            return do_write();
        }
        do_resolve();
    }

    void
    do_resolve()
    {
        resolver_.async_resolve(url_.host, std::to_string(url_.port),
            beast::bind_front_handler(&request_op::on_resolve, shared_from_this()));
    }

    void
    on_resolve(beast::error_code ec, tcp::resolver::results_type results)
    {
        if (stopped())
            return;
        if (ec)
            return fail("resolve: " + ec.message());
        conn_ = std::make_shared<net_connection>(client_->ex_, url_.secure ? &client_->tls_ : nullptr);
        conn_->tcp().async_connect(results, beast::bind_front_handler(&request_op::on_connect, shared_from_this()));
    }

    void
    on_connect(beast::error_code ec, tcp::endpoint const&)
    {
        if (stopped())
            return;
        if (ec)
            return fail("connect: " + ec.message());
        // Requests are small and latency-bound: never let Nagle hold one back for an ACK.
        beast::error_code ignored;
        conn_->tcp().socket().set_option(tcp::no_delay(true), ignored);
        if (!conn_->tls)
            return do_write();
        if (auto err = net_prepare_tls(*conn_->tls, url_.host, url_.host_is_ip()); !err.empty())
            return fail(err);
        conn_->tls->async_handshake(net::ssl::stream_base::client,
            beast::bind_front_handler(&request_op::on_handshake, shared_from_this()));
    }

    void
    on_handshake(beast::error_code ec)
    {
        if (stopped())
            return;
        if (ec)
            return fail("tls: " + ec.message());
        do_write();
    }

    void
    do_write()
    {
        parser_.emplace();
        parser_->body_limit(client_->opts_.max_response_bytes);
        parser_->header_limit(header_limit);
        conn_->visit([this](auto& stream) {
            http::async_write(stream, req_, beast::bind_front_handler(&request_op::on_write, shared_from_this()));
        });
    }

    void
    on_write(beast::error_code ec, std::size_t)
    {
        if (stopped())
            return;
        if (ec) {
            // The request never fully left: resending on a fresh connection is safe for any method.
            if (reused_ && is_stale_connection_error(ec))
                return retry();
            return fail("write: " + ec.message());
        }
        if (req_.method() == http::verb::head)
            parser_->skip(true);
        conn_->visit([this](auto& stream) {
            http::async_read(stream, conn_->buffer, *parser_,
                beast::bind_front_handler(&request_op::on_read, shared_from_this()));
        });
    }

    void
    on_read(beast::error_code ec, std::size_t n)
    {
        if (stopped())
            return;
        if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return fail("response too large");
        if (ec) {
            if (reused_ && n == 0 && is_stale_connection_error(ec) && is_idempotent(req_.method()))
                return retry();
            return fail("read: " + ec.message());
        }

        auto msg = parser_->release();
        http_response_data res;
        res.status = static_cast<int>(msg.result_int());
        for (auto const& field : msg)
            res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        res.body = std::move(msg.body());

        // Park the connection only when the server will keep it and the body was length-delimited.
        if (msg.keep_alive() && !msg.need_eof())
            client_->give(slot_.key(), std::move(conn_));
        else
            conn_->close();
        conn_.reset();
        finish(std::move(res));
    }

    /// The reused connection had gone stale: start over once on a fresh one.
    void
    retry()
    {
        reused_ = false;
        conn_->close();
        conn_.reset();
        do_resolve();
    }

    void
    on_timeout(beast::error_code ec)
    {
        if (ec || stopped())
            return;
        stop_io();
        fail("timeout");
    }

    /// Aborts whatever is in flight. conn_ stays alive: a pending operation still uses the stream.
    void
    stop_io()
    {
        timer_.cancel();
        resolver_.cancel();
        if (conn_)
            conn_->close();
    }

    /// Reports an error from outside a completion handler, still on the executor and never inline.
    void
    post_fail(std::string text)
    {
        net::post(client_->ex_, [self = shared_from_this(), text = std::move(text)]() mutable {
            self->fail(std::move(text));
        });
    }

    void
    fail(std::string text)
    {
        if (conn_)
            conn_->close();
        http_response_data res;
        res.error = std::move(text);
        finish(std::move(res));
    }

    void
    finish(http_response_data res)
    {
        if (stopped())
            return;
        finished_ = true;
        timer_.cancel();
        // After the connection went to the pool or was closed: the next waiting request may take it.
        slot_.release();
        res.elapsed = clock_type::now() - started_;
        // Move the handler out first: it may start another request or drop the last handle.
        auto done = std::move(done_);
        done_ = nullptr;
        if (done)
            done(std::move(res));
    }

    bool
    stopped() const
    {
        return cancelled_ || finished_;
    }

    std::shared_ptr<http_client::impl> client_;
    http_request_data data_;
    done_fn done_;
    net_url url_;
    tcp::resolver resolver_;
    net::steady_timer timer_;
    clock_type::time_point started_;
    std::shared_ptr<net_connection> conn_;
    http::request<http::string_body> req_;
    std::optional<http::response_parser<http::string_body>> parser_;
    bool reused_ = false;
    bool cancelled_ = false;
    bool finished_ = false;
    gate_slot slot_; // of the endpoint, from the first connection attempt to the answer
};

} // namespace

//------------------------------------------------------------------------------

http_client::http_client(net::any_io_executor ex, net::ssl::context& tls, http_client_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), tls, opts))
{
}

http_client::~http_client()
{
    impl_->shutdown();
}

std::shared_ptr<cancel_handle>
http_client::request(http_request_data req, std::function<void(http_response_data)> done)
{
    auto op = std::make_shared<request_op>(impl_, std::move(req), std::move(done));
    impl_->track(op);
    op->start();
    return op;
}

std::size_t
http_client::idle_connections() const
{
    return impl_->idle_count();
}

http_client_stats
http_client::stats() const
{
    auto const g = impl_->gate_.stats();
    return {g.in_use, impl_->idle_count(), g.waiting};
}

} // namespace tradepush::plugin_host
