#include "gateway/gateway.hpp"

#include "gateway/token.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace tradepush::gateway {

namespace json = boost::json;

namespace {

// Refused events are counted per window of this length (see connection::violations).
constexpr std::chrono::seconds violation_window{10};

json::object
error_reply(std::string_view code, std::string_view message)
{
    return json::object{{"ok", false}, {"error", json::object{{"code", code}, {"message", message}}}};
}

// The steady-clock moment a token with `exp` stops being valid (exp + leeway, as the verifier
// judges it); none when that is more than a year away (a policy without max_lifetime).
std::optional<std::chrono::steady_clock::time_point>
session_deadline(std::int64_t exp, std::chrono::seconds leeway)
{
    constexpr std::int64_t year = 366 * 24 * 3600;
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    // exp is any int64 from the token: compare before subtracting.
    if(exp > now + year)
        return std::nullopt;
    auto const left = std::max<std::int64_t>(exp - now + leeway.count(), 0);
    return std::chrono::steady_clock::now() + std::chrono::seconds(left);
}

} // namespace

gateway::gateway(hub::hub& hub, std::shared_ptr<auth::jwt_verifier const> verifier,
    std::vector<shard_registry*> shards, gateway_options opts)
    : hub_(hub)
    , verifier_(std::move(verifier))
    , shards_(std::move(shards))
    , opts_(opts)
    , backoff_(opts.login)
{
}

void
gateway::set_verifier(std::shared_ptr<auth::jwt_verifier const> verifier)
{
    verifier_.store(std::move(verifier));
}

shard_registry*
gateway::shard_of(socketio::socket& s) const
{
    auto const ex = s.session().get_executor();
    for(auto* shard : shards_)
        if(ex == net::any_io_executor(shard->executor()))
            return shard;
    return nullptr;
}

void
gateway::on_connect(socketio::socket_ptr const& s, json::object const& auth)
{
    auto* shard = shard_of(*s);
    if(!shard)
        return s->reject("internal error");
    auto const peer = s->session().handshake().remote;
    auto const peer_key = address_key::of(peer.address());
    // An address that keeps failing waits before its tokens are even looked at.
    if(auto const wait = backoff_.wait_for(peer_key); wait > wait.zero()) {
        auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count() + 1;
        if(auto const dropped = refusal_log_.admit())
            spdlog::info("auth refused from {}: too_many_failures (retry in {} ms; {} similar suppressed)",
                peer.address().to_string(), ms, *dropped);
        return s->reject("unauthorized", json::object{{"code", "too_many_failures"}, {"retry_after_ms", ms}});
    }
    auto const token = find_token(auth, s->session().handshake().authorization);
    if(token.empty())
        return refuse(s, peer_key, "no_token");
    auto const verifier = verifier_.load();
    auto claims = verifier->verify(token);
    if(!claims)
        return refuse(s, peer_key, auth::to_code(claims.error()));

    s->accept();
    auto const id = next_id_.fetch_add(1, std::memory_order_relaxed);
    connection added{id, s, claims->subject, rate_limiter(opts_.events_per_second, opts_.event_burst)};
    if(claims->exp)
        added.expires_at = session_deadline(*claims->exp, verifier->leeway());
    auto& conn = shard->add(std::move(added));
    spdlog::debug("conn {} user {} connected from {} over {}", id, conn.user, peer.address().to_string(),
        s->session().transport());
    hub_.attach(id, conn.user, shard->index(), [shard, id](bool ok) {
        if(ok)
            return;
        // Over the per-user connection cap: say why, then a namespace disconnect so the client does
        // not reconnect in a loop.
        shard->post([shard, id] {
            if(auto* c = shard->find(id)) {
                c->socket->emit("error", json::array{json::object{{"code", "too_many_connections"},
                    {"message", "this user has too many open connections"}}});
                c->socket->disconnect();
            }
        });
    });
}

void
gateway::refuse(socketio::socket_ptr const& s, address_key const& peer, std::string_view code)
{
    bool const waits = backoff_.failed(peer);
    if(auto const dropped = refusal_log_.admit()) {
        spdlog::info("auth refused from {}: {}{} ({} similar suppressed)", s->session().handshake().remote.address().to_string(),
            code, waits ? "; the address now waits before its next login" : "", *dropped);
    }
    s->reject("unauthorized", json::object{{"code", code}});
}

void
gateway::on_event(socketio::socket_ptr const& s, socketio::event&& ev)
{
    auto* shard = shard_of(*s);
    auto* conn = shard ? shard->find(s.get()) : nullptr;
    if(!conn)
        return;

    // The ack goes back to the socket's shard; hub callbacks run on the control strand.
    hub::ack_callback ack = [](json::object) {};
    if(ev.ack_id) {
        ack = [shard, w = std::weak_ptr<socketio::socket>(s), ack_id = *ev.ack_id](json::object reply) {
            shard->post([w, ack_id, reply = std::move(reply)]() mutable {
                if(auto sock = w.lock(); sock && sock->connected())
                    sock->ack(ack_id, json::array{std::move(reply)});
            });
        };
    }

    auto const now = rate_limiter::clock::now();
    if(!conn->limiter.try_take(now)) {
        if(now - conn->violations_since > violation_window) {
            conn->violations_since = now;
            conn->violations = 0;
        }
        if(++conn->violations > opts_.max_violations) {
            spdlog::warn("conn {} user {}: closed for flooding events", conn->id, conn->user);
            s->close_transport("rate limited");
            return;
        }
        return ack(error_reply("rate_limited", "too many requests; slow down"));
    }

    json::value payload = ev.args.empty() ? json::value(nullptr) : std::move(ev.args[0]);
    auto const id = conn->id;
    if(ev.name == "subscribe_trading")
        return hub_.subscribe_trading(id, std::move(payload), std::move(ack));
    if(ev.name == "unsubscribe_trading")
        return hub_.unsubscribe_trading(id, std::move(payload), std::move(ack));
    if(ev.name == "subscribe_ticker")
        return hub_.subscribe_ticker(id, std::move(payload), std::move(ack));
    if(ev.name == "unsubscribe_ticker")
        return hub_.unsubscribe_ticker(id, std::move(payload), std::move(ack));

    std::string message = "unknown event '";
    message += std::string_view(ev.name).substr(0, 64);
    message += "'";
    ack(error_reply("unknown_event", message));
}

void
gateway::on_disconnect(socketio::socket_ptr const& s, std::string_view reason)
{
    auto* shard = shard_of(*s);
    auto* conn = shard ? shard->find(s.get()) : nullptr;
    if(!conn)
        return;
    auto const id = conn->id;
    spdlog::debug("conn {} user {} disconnected: {}", id, conn->user, reason);
    if(reason == "slow consumer")
        spdlog::warn("conn {} user {} disconnected: slow consumer (client stopped reading)", id, conn->user);
    shard->remove(id);
    hub_.detach(id);
}

} // namespace tradepush::gateway
