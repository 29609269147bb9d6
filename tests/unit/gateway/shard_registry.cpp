// Test that header file is self-contained.
#include "gateway/shard_registry.hpp"

#include "socketio/fake_session.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace tradepush;
namespace net = boost::asio;

/// A Socket.IO socket that records the pushes it gets (the fan-out path is send()).
class recording_socket final : public socketio::socket {
public:
    recording_socket(net::io_context& ioc, std::vector<hub::conn_id>& log, hub::conn_id id)
        : session_(std::make_shared<test::fake_session>(ioc))
        , log_(log)
        , conn_(id)
    {
    }

    std::string const& id() const noexcept override { return id_; }
    std::string const& nsp() const noexcept override { return nsp_; }
    engineio::session& session() noexcept override { return *session_; }
    bool connected() const noexcept override { return true; }
    void accept() override {}
    void reject(std::string_view, socketio::json::value) override {}
    void emit(std::string_view, socketio::json::array, std::vector<std::string>) override {}
    void ack(std::uint64_t, socketio::json::array, std::vector<std::string>) override {}
    void send(outbound_ptr, std::uint64_t) override { log_.push_back(conn_); }
    void disconnect() override {}
    void close_transport(std::string_view) override {}

private:
    std::shared_ptr<test::fake_session> session_;
    std::vector<hub::conn_id>& log_;
    hub::conn_id conn_;
    std::string id_ = "s";
    std::string nsp_ = "/";
};

struct fixture {
    net::io_context ioc;
    gateway::shard_registry registry{ioc, 0};
    std::vector<hub::conn_id> log;
    outbound_ptr msg = outbound_message::text("42[\"ticker\",{}]");

    void
    add(hub::conn_id id)
    {
        registry.add(gateway::connection{id, std::make_shared<recording_socket>(ioc, log, id), "u",
            rate_limiter(10, 10)});
    }

    std::vector<hub::conn_id>
    deliver(std::shared_ptr<std::vector<hub::conn_id> const> const& list)
    {
        log.clear();
        registry.deliver(list, msg, 1);
        ioc.restart();
        ioc.run();
        return log;
    }
};

std::shared_ptr<std::vector<hub::conn_id> const>
ids(hub::conn_id first, hub::conn_id last)
{
    auto v = std::make_shared<std::vector<hub::conn_id>>();
    for(auto i = first; i <= last; ++i)
        v->push_back(i);
    return v;
}

} // namespace

TEST_CASE("shard_registry: a large list reaches every connection in order, tick after tick")
{
    fixture f;
    for(hub::conn_id i = 1; i <= 40; ++i)
        f.add(i);
    auto const list = ids(1, 40);
    auto const all = *list;
    CHECK(f.deliver(list) == all);
    // The same list again (the resolved sockets are reused).
    CHECK(f.deliver(list) == all);
}

TEST_CASE("shard_registry: a connection removed after a fan-out gets nothing more")
{
    fixture f;
    for(hub::conn_id i = 1; i <= 40; ++i)
        f.add(i);
    auto const list = ids(1, 40);
    REQUIRE(f.deliver(list).size() == 40);
    f.registry.remove(7);
    auto const got = f.deliver(list);
    CHECK(got.size() == 39);
    CHECK(std::find(got.begin(), got.end(), 7) == got.end());
    // Added back under the same id: reached again.
    f.add(7);
    CHECK(f.deliver(list).size() == 40);
}

TEST_CASE("shard_registry: unknown ids are skipped, small and large lists alike")
{
    fixture f;
    for(hub::conn_id i = 1; i <= 40; i += 2)
        f.add(i);
    CHECK(f.deliver(ids(1, 4)) == std::vector<hub::conn_id>{1, 3});
    auto const got = f.deliver(ids(1, 40));
    CHECK(got.size() == 20);
    CHECK(std::is_sorted(got.begin(), got.end()));
}

TEST_CASE("shard_registry: many distinct lists keep working past the cache bound")
{
    fixture f;
    for(hub::conn_id i = 1; i <= 40; ++i)
        f.add(i);
    // Lists the hub rebuilt and dropped; each is delivered once.
    for(int round = 0; round < 200; ++round)
        REQUIRE(f.deliver(ids(1, 20 + static_cast<hub::conn_id>(round % 20))).size() ==
            20 + static_cast<std::size_t>(round % 20));
    // A list still held keeps being served right.
    auto const held = ids(5, 40);
    CHECK(f.deliver(held).size() == 36);
    CHECK(f.deliver(held).size() == 36);
}
