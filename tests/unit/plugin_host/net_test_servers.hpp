#pragma once
// Loopback test servers for the HTTP and WebSocket client tests: each runs C++20 coroutines on its
// own io_context thread, plain or TLS with an in-memory self-signed certificate.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace tradepush::plugin_host::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

//------------------------------------------------------------------------------

/// A self-signed EC certificate for "localhost" and 127.0.0.1, made with the EVP APIs.
class test_cert {
public:
    test_cert()
    {
        key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        cert_ = X509_new();
        if (!key_ || !cert_)
            throw std::runtime_error("test_cert: keygen");
        X509_set_version(cert_, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert_), 24 * 3600);
        X509_set_pubkey(cert_, key_);
        auto* name = X509_get_subject_name(cert_);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<unsigned char const*>("localhost"), -1,
            -1, 0);
        X509_set_issuer_name(cert_, name);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert_, cert_, nullptr, nullptr, 0);
        auto* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        if (!san)
            throw std::runtime_error("test_cert: san");
        X509_add_ext(cert_, san, -1);
        X509_EXTENSION_free(san);
        if (!X509_sign(cert_, key_, EVP_sha256()))
            throw std::runtime_error("test_cert: sign");
    }
    ~test_cert()
    {
        X509_free(cert_);
        EVP_PKEY_free(key_);
    }
    test_cert(test_cert const&) = delete;
    test_cert& operator=(test_cert const&) = delete;

    /// Serves this certificate from `ctx`.
    void
    use_in(ssl::context& ctx) const
    {
        if (SSL_CTX_use_certificate(ctx.native_handle(), cert_) != 1 ||
            SSL_CTX_use_PrivateKey(ctx.native_handle(), key_) != 1)
            throw std::runtime_error("test_cert: use");
    }

    /// Makes `ctx` trust this certificate.
    void
    trust_in(ssl::context& ctx) const
    {
        if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.native_handle()), cert_) != 1)
            throw std::runtime_error("test_cert: trust");
    }

private:
    EVP_PKEY* key_ = nullptr;
    X509* cert_ = nullptr;
};

/// The shared test certificate (keygen once per process).
inline test_cert const&
shared_test_cert()
{
    static test_cert const cert;
    return cert;
}

//------------------------------------------------------------------------------

/// Listens on 127.0.0.1:0 and runs coroutines on a private thread; stops and joins on destruction.
class server_base {
public:
    server_base() : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0))
    {
        port_ = acceptor_.local_endpoint().port();
    }
    virtual ~server_base() { stop(); }

    unsigned short
    port() const
    {
        return port_;
    }
    /// Connections accepted so far.
    int
    connections() const
    {
        return connections_.load();
    }
    /// Value of the X-Test request header last seen.
    std::string
    last_x_test() const
    {
        std::lock_guard lock(mutex_);
        return last_x_test_;
    }

protected:
    /// Stops the thread. Derived destructors call it first: the thread runs their virtual session()
    /// and must be gone before their part of the object is destroyed (TSan: vptr race otherwise).
    void
    stop()
    {
        ioc_.stop();
        if (thread_.joinable())
            thread_.join();
    }

    void
    start()
    {
        net::co_spawn(ioc_, accept_loop(), net::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    virtual net::awaitable<void> session(tcp::socket sock) = 0;

    void
    remember_x_test(std::string value)
    {
        std::lock_guard lock(mutex_);
        last_x_test_ = std::move(value);
    }

    net::io_context ioc_;

private:
    net::awaitable<void>
    accept_loop()
    {
        for (;;) {
            auto sock = co_await acceptor_.async_accept(net::use_awaitable);
            ++connections_;
            net::co_spawn(ioc_,
                [this, s = std::move(sock)]() mutable -> net::awaitable<void> {
                    try {
                        co_await session(std::move(s));
                    } catch (std::exception const&) {
                        // The peer went away: normal for a test server.
                    }
                },
                net::detached);
        }
    }

    tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::thread thread_;
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::string last_x_test_;
};

//------------------------------------------------------------------------------

/// HTTP/1.1 server. Routes: /echo (body, X-Method, X-Test, X-Host, X-Length), /slow (never answers),
/// /big (1 MiB), /close (Connection: close), /drop (keep-alive response, then closes), else 404.
class http_test_server : public server_base {
public:
    explicit http_test_server(ssl::context* tls = nullptr) : tls_(tls) { start(); }
    ~http_test_server() override { stop(); }

private:
    net::awaitable<void>
    session(tcp::socket sock) override
    {
        if (!tls_) {
            beast::tcp_stream stream(std::move(sock));
            co_await serve(stream);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(sock), *tls_);
        co_await stream.async_handshake(ssl::stream_base::server, net::use_awaitable);
        co_await serve(stream);
    }

    template <class Stream>
    net::awaitable<void>
    serve(Stream& stream)
    {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            co_await http::async_read(stream, buffer, req, net::use_awaitable);
            remember_x_test(std::string(req["X-Test"]));
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.keep_alive(req.keep_alive());
            auto const target = req.target();
            bool drop = false;
            if (target == "/echo") {
                res.set("X-Method", req.method_string());
                res.set("X-Test", req["X-Test"]);
                res.set("X-Host", req[http::field::host]);
                res.set("X-Length", req[http::field::content_length]);
                res.body() = req.body();
            } else if (target == "/slow") {
                net::steady_timer forever(co_await net::this_coro::executor, std::chrono::hours(1));
                co_await forever.async_wait(net::use_awaitable);
            } else if (target == "/big") {
                res.body() = std::string(1024 * 1024, 'x');
            } else if (target == "/close") {
                res.keep_alive(false);
                res.body() = "bye";
            } else if (target == "/drop") {
                res.body() = "dropping";
                drop = true;
            } else {
                res.result(http::status::not_found);
            }
            res.prepare_payload();
            co_await http::async_write(stream, res, net::use_awaitable);
            if (!res.keep_alive() || drop)
                co_return;
        }
    }

    ssl::context* tls_;
};

//------------------------------------------------------------------------------

/// WebSocket server at any path: echoes messages with their type. "close-me" → close(1000, "bye");
/// "big" → a 2000-byte text message. Path /reject answers the upgrade with 403.
class ws_test_server : public server_base {
public:
    explicit ws_test_server(ssl::context* tls = nullptr) : tls_(tls) { start(); }
    ~ws_test_server() override { stop(); }

private:
    net::awaitable<void>
    session(tcp::socket sock) override
    {
        if (!tls_) {
            websocket::stream<beast::tcp_stream> ws(std::move(sock));
            co_await serve(ws);
            co_return;
        }
        websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(std::move(sock), *tls_);
        co_await ws.next_layer().async_handshake(ssl::stream_base::server, net::use_awaitable);
        co_await serve(ws);
    }

    template <class WebSocket>
    net::awaitable<void>
    serve(WebSocket& ws)
    {
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        co_await http::async_read(ws.next_layer(), buffer, req, net::use_awaitable);
        remember_x_test(std::string(req["X-Test"]));
        if (req.target() == "/reject") {
            http::response<http::string_body> res{http::status::forbidden, req.version()};
            res.prepare_payload();
            co_await http::async_write(ws.next_layer(), res, net::use_awaitable);
            co_return;
        }
        co_await ws.async_accept(req, net::use_awaitable);
        buffer.clear();
        for (;;) {
            co_await ws.async_read(buffer, net::use_awaitable);
            auto const text = beast::buffers_to_string(buffer.data());
            if (ws.got_text() && text == "close-me") {
                co_await ws.async_close(websocket::close_reason(websocket::close_code::normal, "bye"),
                    net::use_awaitable);
                co_return;
            }
            if (ws.got_text() && text == "big") {
                ws.text(true);
                co_await ws.async_write(net::buffer(std::string(2000, 'b')), net::use_awaitable);
            } else {
                ws.text(ws.got_text());
                co_await ws.async_write(buffer.data(), net::use_awaitable);
            }
            buffer.consume(buffer.size());
        }
    }

    ssl::context* tls_;
};

//------------------------------------------------------------------------------

/// Runs `ioc` until `done()` or `limit` passes; returns whether `done()` became true.
inline bool
run_until(net::io_context& ioc, std::function<bool()> const& done,
    std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (ioc.run_one_for(std::chrono::milliseconds(10)) == 0 && ioc.stopped())
            ioc.restart();
    }
    return done();
}

/// Runs `ioc` for `d` regardless, to prove that nothing happens.
inline void
run_for(net::io_context& ioc, std::chrono::milliseconds d)
{
    run_until(ioc, [] { return false; }, d);
}

/// A client TLS context that trusts only the shared test certificate.
inline ssl::context
trusting_client_context()
{
    ssl::context ctx(ssl::context::tls_client);
    shared_test_cert().trust_in(ctx);
    return ctx;
}

/// A server TLS context serving the shared test certificate.
inline ssl::context
test_server_context()
{
    ssl::context ctx(ssl::context::tls_server);
    shared_test_cert().use_in(ctx);
    return ctx;
}

} // namespace tradepush::plugin_host::test
