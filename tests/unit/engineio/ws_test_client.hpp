#pragma once
// A WebSocket-only Engine.IO client for tests: connects over loopback to an endpoint at
// /engine.io/, reads the open packet, then reads and writes text frames (blocking).

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <string>

namespace tradepush::engineio::test {

struct ws_test_client {
    boost::asio::io_context c;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws{c};
    boost::beast::flat_buffer buf;

    /// `decorate` adds headers to the upgrade request.
    explicit ws_test_client(unsigned short port,
        std::function<void(boost::beast::websocket::request_type&)> decorate = {},
        std::string const& query = "EIO=4&transport=websocket")
    {
        namespace net = boost::asio;
        boost::beast::get_lowest_layer(ws).connect(
            net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        if(decorate)
            ws.set_option(boost::beast::websocket::stream_base::decorator(std::move(decorate)));
        ws.handshake("127.0.0.1", "/engine.io/?" + query);
        REQUIRE(read().starts_with("0{"));
        ws.text(true);
    }
    std::string read()
    {
        buf.clear();
        ws.read(buf);
        return boost::beast::buffers_to_string(buf.data());
    }
    void write(std::string const& msg) { ws.write(boost::asio::buffer(msg)); }
};

} // namespace tradepush::engineio::test
