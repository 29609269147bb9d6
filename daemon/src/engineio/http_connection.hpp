#pragma once
// One HTTP/1.1 connection before (or instead of) a WebSocket upgrade: long-polling requests, the
// WebSocket handshake, CORS preflight and plain routes.

#include "engineio/errors.hpp"
#include "engineio/server_core.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <optional>
#include <string>

namespace tradepush::engineio {

namespace beast = boost::beast;
namespace http = boost::beast::http;

/// Most unparsed bytes one HTTP connection buffers: the header limit (8 KiB) and a read's worth.
inline constexpr std::size_t read_buffer_limit = 96 * 1024;

/// Who is at the other end of a connection.
struct peer_info {
    /// The client: the socket's peer, or the client a trusted proxy named in its PROXY header.
    net::ip::tcp::endpoint address;
    /// The socket's peer is a trusted proxy: with PROXY protocol off, each request's
    /// X-Forwarded-For names its client.
    bool via_proxy = false;
};

/// An HTTP connection on one shard. A request for a session owned by another shard moves the
/// connection (its socket and buffered bytes) to that shard, so a session is only ever touched on
/// its own thread.
class http_connection : public std::enable_shared_from_this<http_connection> {
public:
    using request = http::request<http::string_body>;

    /// `slot` counts the socket against its address's limit (empty for a trusted proxy's).
    http_connection(std::shared_ptr<server_core> server, shard_state& shard, net::ip::tcp::socket socket,
        peer_info peer, address_limits::slot slot);
    ~http_connection();

    /// Starts reading requests.
    void run();
    /// Continues with a request read on another shard (after a move).
    void run_moved(request req, beast::flat_buffer buffer);
    /// Answers the parked long-poll GET with `body` (text/plain).
    void respond_poll(std::string body);
    /// Answers the current request with an Engine.IO error.
    void respond_error(request_error e);
    /// Parks this connection's GET until respond_poll(); watches for the peer going away meanwhile.
    void park();
    /// Closes the connection at once.
    void abort();
    /// True once a request of this connection opened a session or reached an existing one: from
    /// then on it is not shed when descriptors run short.
    bool established() const noexcept { return established_; }
    /// When the socket was accepted (the connection moved along with it).
    std::chrono::steady_clock::time_point accepted_at() const noexcept { return accepted_at_; }

private:
    void do_read_proxy();
    void on_read_proxy(beast::error_code ec, std::size_t n);
    /// The client of the current request: the connection's, or what X-Forwarded-For names when
    /// the connection is a trusted proxy's.
    net::ip::tcp::endpoint request_peer(request const& req) const;
    void do_read();
    void on_header(beast::error_code ec);
    void on_read(beast::error_code ec);
    void handle(request req);
    void handle_engineio(endpoint_entry const& ep, request& req);
    void handshake(endpoint_entry const& ep, request& req, std::string_view transport);
    void upgrade_existing(std::shared_ptr<session_impl> const& s, endpoint_entry const& ep, request& req);
    void move_to(std::size_t shard, request req);
    void send_error(request const& req, request_error e);
    void abort_upgrade(std::string_view message);
    void respond(http::status status, std::string_view content_type, std::string body,
        bool keep_alive = true);
    void on_written(bool keep_alive, beast::error_code ec);
    void do_drain();
    std::optional<std::string> accept_websocket(request const& req, endpoint_entry const& ep);
    void add_cors(http::response<http::string_body>& res, endpoint_entry const* ep) const;

    std::shared_ptr<server_core> server_;
    shard_state& shard_;
    beast::tcp_stream stream_;
    /// Bytes read and not parsed yet. Parsed bytes leave it (into the request), so it never needs
    /// more than a header and one chunk header; bounded, because Beast 1.81 buffers a chunk
    /// header's extensions without limit while it waits for their end of line.
    beast::flat_buffer buffer_{read_buffer_limit};
    std::optional<http::request_parser<http::string_body>> parser_;
    endpoint_entry const* endpoint_ = nullptr;
    // Origin and keep-alive of the current request, for responses built later (parked GET).
    std::string origin_;
    bool keep_alive_ = true;
    bool parked_ = false;
    std::size_t drained_ = 0;
    std::weak_ptr<session_impl> parked_session_;
    std::shared_ptr<http::response<http::string_body>> response_;
    peer_info peer_;
    address_limits::slot slot_;
    std::chrono::steady_clock::time_point accepted_at_ = std::chrono::steady_clock::now();
    bool established_ = false;
};

} // namespace tradepush::engineio
