#include "engineio/http_connection.hpp"

#include "common/base64.hpp"
#include "common/deadline_spread.hpp"
#include "engineio/proxy_protocol.hpp"
#include "engineio/query.hpp"
#include "engineio/session_impl.hpp"
#include "engineio/ws_transport.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <spdlog/spdlog.h>

#include <openssl/sha.h>

#include <algorithm>
#include <limits>

#include <unistd.h>

namespace tradepush::engineio {

namespace {

constexpr std::size_t header_limit = 8 * 1024;
// A request's body must arrive within this once its header is in (the header itself has
// connection_options::header_timeout).
constexpr std::chrono::seconds read_timeout{60};
// A connection closed after an error answer reads (and drops) at most this much, for at most this long.
constexpr std::size_t max_drain = 64 * 1024 * 1024;
constexpr std::chrono::seconds drain_timeout{5};

std::string
websocket_accept_key(std::string_view key)
{
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(key);
    input += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<unsigned char const*>(input.data()), input.size(), digest);
    return base64_encode(std::string_view(reinterpret_cast<char const*>(digest), sizeof digest));
}

} // namespace

http_connection::http_connection(std::shared_ptr<server_core> server, shard_state& shard, net::ip::tcp::socket socket,
    peer_info peer, address_limits::slot slot)
    : server_(std::move(server))
    , shard_(shard)
    , stream_(std::move(socket))
    , peer_(peer)
    , slot_(std::move(slot))
{
    shard_.connections.insert(this);
    server_->connection_count.fetch_add(1, std::memory_order_relaxed);
}

http_connection::~http_connection()
{
    shard_.connections.erase(this);
    server_->connection_count.fetch_sub(1, std::memory_order_relaxed);
}

void
http_connection::run()
{
    if(peer_.via_proxy && server_->conn_opts.proxy_protocol)
        return do_read_proxy();
    do_read();
}

// A trusted proxy speaking the PROXY protocol names its client before anything else; the bytes
// after the header (the client's request, often in the same segment) stay in buffer_ for HTTP.
void
http_connection::do_read_proxy()
{
    stream_.expires_after(spread_deadline(server_->conn_opts.header_timeout));
    auto const room = max_proxy_header - std::min(max_proxy_header, buffer_.size());
    stream_.async_read_some(buffer_.prepare(std::max<std::size_t>(room, 1)),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read_proxy(ec, n); });
}

void
http_connection::on_read_proxy(beast::error_code ec, std::size_t n)
{
    if(ec)
        return abort();
    buffer_.commit(n);
    auto const* data = static_cast<char const*>(buffer_.data().data());
    auto const h = parse_proxy_header(std::string_view(data, buffer_.size()));
    if(h.state == proxy_header::status::need_more && buffer_.size() < max_proxy_header)
        return do_read_proxy();
    if(h.state != proxy_header::status::done) {
        shard_.refused_proxy.fetch_add(1, std::memory_order_relaxed);
        if(auto const dropped = server_->refusal_log.admit())
            spdlog::warn("connection from trusted proxy {} closed: no valid PROXY header (proxy_protocol is on); "
                         "{} similar suppressed", peer_.address.address().to_string(), *dropped);
        return abort();
    }
    buffer_.consume(h.length);
    if(h.source) {
        // From here on the connection is its client's, and counts against the client's address.
        peer_ = peer_info{*h.source, false};
        auto s = server_->limits->open_socket(address_key::of(h.source->address()));
        if(!s) {
            shard_.refused_address.fetch_add(1, std::memory_order_relaxed);
            if(auto const dropped = server_->refusal_log.admit())
                spdlog::warn("connection from {} (via proxy) refused: its address has {} open connections "
                             "(max_sockets_per_address); {} similar suppressed",
                    h.source->address().to_string(), server_->conn_opts.max_sockets_per_address, *dropped);
            return abort();
        }
        slot_ = std::move(*s);
    }
    do_read();
}

net::ip::tcp::endpoint
http_connection::request_peer(request const& req) const
{
    if(!peer_.via_proxy || server_->conn_opts.proxy_protocol)
        return peer_.address;
    // X-Forwarded-For lists the client first and each proxy after it; every proxy appends the
    // address it saw. Reading from the right, the first address that is not one of our trusted
    // proxies is the client: anything left of it was written by the client itself.
    auto const xff = req["X-Forwarded-For"];
    std::string_view rest = xff;
    auto client = peer_.address;
    while(!rest.empty()) {
        auto const comma = rest.rfind(',');
        auto item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        while(!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while(!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        boost::system::error_code ec;
        auto const a = net::ip::make_address(std::string(item.substr(0, 64)), ec);
        if(ec || item.size() > 64)
            break; // garbage: trust nothing further left
        client = net::ip::tcp::endpoint(a, 0);
        if(!server_->conn_opts.trusted_proxies.contains(a))
            break;
    }
    return client;
}

void
http_connection::run_moved(request req, beast::flat_buffer buffer)
{
    buffer_ = std::move(buffer);
    handle(std::move(req));
}

void
http_connection::abort()
{
    beast::error_code ec;
    stream_.socket().close(ec);
}

void
http_connection::do_read()
{
    parser_.emplace();
    parser_->header_limit(header_limit);
    // The real limit depends on the endpoint, known only once the header is in (on_header).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    // Short: a client that opens a connection and trickles its header (or never sends one) holds a
    // descriptor for no more than this. Spread, so that a flood of idle sockets opened together is
    // not closed in one burst that delays every session's writes on this worker.
    stream_.expires_after(spread_deadline(server_->conn_opts.header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void
http_connection::on_header(beast::error_code ec)
{
    if(ec)
        return abort();
    // The body limit depends on the endpoint: maxPayload for Engine.IO paths, small elsewhere.
    auto const target = parser_->get().target();
    auto const path = target.substr(0, target.find('?'));
    endpoint_ = server_->find_endpoint(path);
    auto const limit = endpoint_ ? endpoint_->opts.max_payload : std::size_t(64 * 1024);
    // Beast checks Content-Length against the limit set before the header was parsed, so the
    // endpoint's own limit is enforced here.
    if(auto const len = parser_->content_length(); len && *len > limit)
        return on_read(http::error::body_limit);
    parser_->body_limit(limit);
    if(parser_->is_done())
        return on_read({});
    stream_.expires_after(read_timeout);
    http::async_read(stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void
http_connection::on_read(beast::error_code ec)
{
    if(ec == http::error::body_limit) {
        // The reference answers 413 and keeps the session; the unread rest of the body makes this
        // connection unusable, so it closes after the answer.
        keep_alive_ = false;
        origin_ = std::string(parser_->get()[http::field::origin]);
        return respond(http::status::payload_too_large, "text/plain; charset=UTF-8", "Payload Too Large", false);
    }
    if(ec)
        return abort();
    stream_.expires_never();
    handle(parser_->release());
}

void
http_connection::handle(request req)
{
    keep_alive_ = req.keep_alive();
    origin_ = std::string(req[http::field::origin]);
    auto const target = req.target();
    auto const path = target.substr(0, target.find('?'));
    endpoint_ = server_->find_endpoint(path);
    if(endpoint_)
        return handle_engineio(*endpoint_, req);

    auto route = server_->routes.find(path);
    if(route == server_->routes.end() || req.method() != http::verb::get)
        return respond(http::status::not_found, "text/plain; charset=utf-8", "Not Found");
    auto reply = route->second(target);
    respond(static_cast<http::status>(reply.status), reply.content_type, std::move(reply.body));
}

void
http_connection::handle_engineio(endpoint_entry const& ep, request& req)
{
    // CORS preflight.
    if(req.method() == http::verb::options) {
        if(ep.opts.cors.origins.empty())
            return send_error(req, request_error::bad_request);
        return respond(http::status::no_content, "", "");
    }

    auto query = parse_engineio_query(req.target());
    if(!query)
        return send_error(req, request_error::bad_request);
    auto const& [transport, sid, eio] = *query;

    bool const is_upgrade = beast::websocket::is_upgrade(req);
    bool const transport_ok = (transport == "polling" && ep.opts.allow_polling)
        || (transport == "websocket" && ep.opts.allow_websocket);
    if(!transport_ok)
        return send_error(req, request_error::unknown_transport);

    if(!sid.empty()) {
        auto shard = server_->shard_of(sid);
        if(!shard)
            return send_error(req, request_error::unknown_sid);
        if(*shard != shard_.index)
            return move_to(*shard, std::move(req));
        auto it = shard_.sessions.find(sid);
        if(it == shard_.sessions.end() || it->second->expire_if_due(std::chrono::steady_clock::now()))
            return send_error(req, request_error::unknown_sid);
        auto session = it->second;
        established_ = true;
        if(transport == "websocket") {
            if(!is_upgrade)
                return send_error(req, request_error::bad_request);
            return upgrade_existing(session, ep, req);
        }
        // A polling request on a session that moved to WebSocket: transport mismatch.
        if(session->on_websocket())
            return send_error(req, request_error::bad_request);
        if(req.method() == http::verb::get) {
            parked_session_ = session;
            session->on_poll_get(shared_from_this());
            return;
        }
        if(req.method() == http::verb::post) {
            // EIO4 polling payloads are always text; a binary content type is refused and ends the session.
            if(req[http::field::content_type].starts_with("application/octet-stream")) {
                send_error(req, request_error::bad_request);
                session->close("transport error");
                return;
            }
            respond(http::status::ok, "text/html", "ok");
            session->on_poll_post(req.body());
            return;
        }
        return send_error(req, request_error::bad_request);
    }

    if(req.method() != http::verb::get)
        return send_error(req, request_error::bad_handshake_method);
    if(transport == "websocket" && !is_upgrade)
        return send_error(req, request_error::bad_request);
    if(eio != "4")
        return send_error(req, request_error::unsupported_protocol_version);
    // A drain closes sessions so that clients go elsewhere: a new one here would only be closed too.
    if(shard_.draining)
        return respond(http::status::service_unavailable, "text/plain; charset=UTF-8", "draining\n", false);
    // Checked before the session exists: a refused client costs no more than this answer. Shards
    // race for the last places, so the cap can be passed by at most one session per shard.
    if(ep.opts.max_sessions != 0 && server_->session_count.load(std::memory_order_relaxed) >= ep.opts.max_sessions) {
        shard_.refused_full.fetch_add(1, std::memory_order_relaxed);
        return respond(http::status::service_unavailable, "text/plain; charset=UTF-8", "server full\n", false);
    }
    // The rate comes first: a handshake it refuses must not evict anyone below.
    if(!server_->limits->allow_handshake(address_key::of(request_peer(req).address()))) {
        shard_.refused_handshake_rate.fetch_add(1, std::memory_order_relaxed);
        if(auto const dropped = server_->refusal_log.admit())
            spdlog::warn("handshake from {} refused: its address started too many "
                         "(handshakes_per_second_per_address); {} similar suppressed",
                request_peer(req).address().to_string(), *dropped);
        return respond(http::status::too_many_requests, "text/plain; charset=UTF-8", "too many handshakes\n", false);
    }
    // Sessions without a token yet have their own, smaller budget: they can never take every
    // place from clients that have one. When it is full the oldest of them makes way, unless
    // every one is young enough to be a client about to authenticate.
    auto const& co = server_->conn_opts;
    if(co.max_unauthenticated_sessions != 0 &&
        server_->unauthenticated_count.load(std::memory_order_relaxed) >= co.max_unauthenticated_sessions &&
        !server_->evict_unauthenticated(shard_)) {
        shard_.refused_unauthenticated.fetch_add(1, std::memory_order_relaxed);
        if(auto const dropped = server_->refusal_log.admit())
            spdlog::warn("handshake from {} refused: {} sessions have not authenticated yet "
                         "(max_unauthenticated_connections); {} similar suppressed",
                request_peer(req).address().to_string(), co.max_unauthenticated_sessions, *dropped);
        return respond(http::status::service_unavailable, "text/plain; charset=UTF-8", "server busy\n", false);
    }
    handshake(ep, req, transport);
}

void
http_connection::handshake(endpoint_entry const& ep, request& req, std::string_view transport)
{
    handshake_info hs;
    hs.remote = request_peer(req);
    if(auto const it = req.find(http::field::authorization); it != req.end())
        hs.authorization = std::string(it->value());

    std::optional<std::string> upgrade_response;
    if(transport == "websocket") {
        upgrade_response = accept_websocket(req, ep);
        if(!upgrade_response)
            return;
    }

    auto session = std::make_shared<session_impl>(*server_, shard_, ep.opts,
        server_->new_sid(shard_.index), std::move(hs), transport == "websocket");
    auto handler = ep.factory ? ep.factory(session) : nullptr;
    if(!handler) {
        if(upgrade_response)
            return abort_upgrade(message(request_error::forbidden));
        return send_error(req, request_error::forbidden);
    }
    shard_.sessions.emplace(session->id(), session);
    server_->session_count.fetch_add(1, std::memory_order_relaxed);
    server_->unauthenticated_count.fetch_add(1, std::memory_order_relaxed);
    shard_.sessions_opened.fetch_add(1, std::memory_order_relaxed);
    established_ = true;

    if(transport == "websocket") {
        auto t = std::make_shared<ws_transport>(shard_, stream_.release_socket(), std::move(slot_),
            ep.opts.max_payload, ep.opts.close_timeout);
        session->attach_websocket(t);
        // The 101 response and the open packet leave in one write.
        std::string preamble = std::move(*upgrade_response);
        auto const open = outbound_message::text(session->open_packet());
        preamble.append(open->ws_frame());
        t->start(session, std::move(preamble));
        session->start(std::move(handler));
        return;
    }
    auto body = session->open_packet();
    session->start(std::move(handler));
    respond(http::status::ok, "text/plain; charset=UTF-8", std::move(body));
}

void
http_connection::upgrade_existing(std::shared_ptr<session_impl> const& s, endpoint_entry const& ep, request& req)
{
    auto response = accept_websocket(req, ep);
    if(!response)
        return;
    auto t = std::make_shared<ws_transport>(shard_, stream_.release_socket(), std::move(slot_), ep.opts.max_payload,
        ep.opts.close_timeout);
    t->start(s, std::move(*response));
    s->attach_probe(std::move(t));
}

std::optional<std::string>
http_connection::accept_websocket(request const& req, endpoint_entry const& ep)
{
    auto const key = req[http::field::sec_websocket_key];
    if(key.empty() || req[http::field::sec_websocket_version] != "13") {
        abort_upgrade("Bad request");
        return std::nullopt;
    }
    // permessage-deflate is never negotiated (the reference's default), so frames go out pre-built.
    std::string res = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: ";
    res += websocket_accept_key(key);
    res += "\r\n\r\n";
    return res;
}

void
http_connection::move_to(std::size_t shard, request req)
{
    beast::error_code ec;
    auto socket = stream_.release_socket();
    auto const protocol = socket.local_endpoint(ec).protocol();
    if(ec)
        return;
    auto const fd = socket.release(ec);
    if(ec)
        return;
    auto& target = *server_->shards.at(shard);
    // The socket's count against its address, and what is known about its client, move with it.
    net::post(target.ioc, [server = server_, &target, fd, protocol, req = std::move(req), buffer = std::move(buffer_),
                              peer = peer_, slot = std::move(slot_), accepted = accepted_at_]() mutable {
        net::ip::tcp::socket moved(target.ioc);
        beast::error_code ec;
        moved.assign(protocol, fd, ec);
        if(ec) {
            ::close(fd);
            return;
        }
        auto conn = std::make_shared<http_connection>(server, target, std::move(moved), peer, std::move(slot));
        conn->accepted_at_ = accepted;
        conn->run_moved(std::move(req), std::move(buffer));
    });
}

void
http_connection::send_error(request const& req, request_error e)
{
    if(beast::websocket::is_upgrade(req))
        return abort_upgrade(message(e));
    respond(static_cast<http::status>(http_status(e)), "application/json", json_body(e));
}

void
http_connection::respond_error(request_error e)
{
    parked_session_.reset();
    respond(static_cast<http::status>(http_status(e)), "application/json", json_body(e));
}

void
http_connection::abort_upgrade(std::string_view msg)
{
    // As the reference's abortUpgrade: a raw 400 with the message, then the socket is destroyed.
    auto res = std::make_shared<std::string>("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: ");
    *res += std::to_string(msg.size());
    *res += "\r\n\r\n";
    *res += msg;
    net::async_write(stream_, net::buffer(*res), [self = shared_from_this(), res](beast::error_code, std::size_t) {
        beast::error_code ec;
        self->stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
    });
}

void
http_connection::add_cors(http::response<http::string_body>& res, endpoint_entry const* ep) const
{
    if(!ep || ep->opts.cors.origins.empty() || origin_.empty())
        return;
    auto const& origins = ep->opts.cors.origins;
    bool const any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if(!any && std::find(origins.begin(), origins.end(), origin_) == origins.end())
        return;
    res.set(http::field::access_control_allow_origin, any ? std::string("*") : origin_);
    res.set(http::field::vary, "Origin");
    if(ep->opts.cors.credentials)
        res.set(http::field::access_control_allow_credentials, "true");
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    res.set(http::field::access_control_allow_headers, "Content-Type, Authorization");
}

void
http_connection::respond(http::status status, std::string_view content_type, std::string body, bool keep_alive)
{
    keep_alive = keep_alive && keep_alive_;
    response_ = std::make_shared<http::response<http::string_body>>(status, 11);
    if(!content_type.empty())
        response_->set(http::field::content_type, content_type);
    response_->set(http::field::cache_control, "no-store");
    add_cors(*response_, endpoint_);
    response_->body() = std::move(body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    http::async_write(stream_, *response_,
        [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) { self->on_written(keep_alive, ec); });
}

void
http_connection::respond_poll(std::string body)
{
    parked_session_.reset();
    if(parked_) {
        parked_ = false;
        // Stop watching for the peer going away before writing the answer.
        beast::error_code ec;
        stream_.socket().cancel(ec);
    }
    respond(http::status::ok, "text/plain; charset=UTF-8", std::move(body));
}

void
http_connection::park()
{
    parked_ = true;
    stream_.socket().async_wait(net::ip::tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
        if(ec || !self->parked_)
            return;
        beast::error_code aec;
        // Readable with nothing to read is end-of-stream: the client went away mid-poll.
        if(self->stream_.socket().available(aec) == 0 || aec) {
            self->parked_ = false;
            if(auto s = self->parked_session_.lock())
                s->on_poll_aborted(self.get());
            self->abort();
        }
    });
}

void
http_connection::on_written(bool keep_alive, beast::error_code ec)
{
    response_.reset();
    if(ec)
        return abort();
    if(!keep_alive) {
        beast::error_code sec;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, sec);
        // Read what the client still sends (e.g. the rest of a refused body) before closing, so the
        // close is not a reset that destroys the answer before the client reads it.
        drained_ = 0;
        stream_.expires_after(drain_timeout);
        return do_drain();
    }
    do_read();
}

void
http_connection::do_drain()
{
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->drained_ += n;
        if(ec || self->drained_ > max_drain)
            return self->abort();
        self->do_drain();
    });
}

} // namespace tradepush::engineio
