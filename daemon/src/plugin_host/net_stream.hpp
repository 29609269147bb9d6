#pragma once
// One client TCP connection, plain or TLS, shared by the HTTP client (pooled between requests) and
// helpers. Holding either stream behind one type keeps the request state machine non-templated.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <string>

namespace tradepush::plugin_host {

/// A connected (or connecting) stream; `tls` is set for https, else `plain`.
struct net_connection {
    net_connection(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls_ctx)
    {
        if (tls_ctx)
            tls = std::make_unique<boost::beast::ssl_stream<boost::beast::tcp_stream>>(ex, *tls_ctx);
        else
            plain = std::make_unique<boost::beast::tcp_stream>(ex);
    }

    /// The TCP layer, for connect, close and liveness checks.
    boost::beast::tcp_stream&
    tcp()
    {
        return tls ? boost::beast::get_lowest_layer(*tls) : *plain;
    }

    /// Calls `f` with the top stream (plain or TLS) so one generic lambda serves both.
    template <class F>
    void
    visit(F&& f)
    {
        if (tls)
            f(*tls);
        else
            f(*plain);
    }

    /// Closes the socket; pending operations complete with operation_aborted.
    void
    close()
    {
        tcp().close();
    }

    /// Whether an idle pooled connection still looks usable: nothing to read and no EOF. A server
    /// that closed an idle keep-alive connection is detected here instead of failing the request.
    bool is_idle_alive();

    std::unique_ptr<boost::beast::tcp_stream> plain;
    std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
    /// Read buffer kept with the connection: bytes past one response belong to the stream.
    boost::beast::flat_buffer buffer;
};

/// Configures SNI (skipped for IP literals, RFC 6066) and peer + host name verification on a
/// TLS stream before its handshake. Returns an error text, empty on success.
std::string net_prepare_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, std::string const& host,
    bool host_is_ip);

} // namespace tradepush::plugin_host
