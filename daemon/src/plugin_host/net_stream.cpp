#include "plugin_host/net_stream.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <openssl/ssl.h>

namespace tradepush::plugin_host {

bool
net_connection::is_idle_alive()
{
    auto& sock = tcp().socket();
    if (!sock.is_open() || buffer.size() != 0)
        return false;
    // A non-blocking peek: would_block means the peer is silent and the connection is reusable;
    // EOF, an error or unexpected bytes (a TLS close_notify, a stray response) mean drop it.
    boost::system::error_code ec;
    sock.non_blocking(true, ec);
    if (ec)
        return false;
    char byte = 0;
    sock.receive(boost::asio::buffer(&byte, 1), boost::asio::socket_base::message_peek, ec);
    bool const alive = ec == boost::asio::error::would_block;
    sock.non_blocking(false, ec);
    return alive && !ec;
}

std::string
net_prepare_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, std::string const& host, bool host_is_ip)
{
    if (!host_is_ip && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
        return "tls: cannot set SNI";
    // Verification is per stream so a caller's context cannot silently turn it off.
    boost::system::error_code ec;
    stream.set_verify_mode(boost::asio::ssl::verify_peer, ec);
    if (!ec)
        stream.set_verify_callback(boost::asio::ssl::host_name_verification(host), ec);
    if (ec)
        return "tls: " + ec.message();
    return {};
}

} // namespace tradepush::plugin_host
