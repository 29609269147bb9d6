#include "ws_conn.hpp"

#include "app.hpp"
#include "format.hpp"
#include "shapes.hpp"
#include "sign.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tradepush::bybit_sim {

namespace json = boost::json;

std::optional<ws_channel>
channel_for_path(std::string_view path)
{
    if (path == "/v5/public/linear")
        return ws_channel::linear;
    if (path == "/v5/public/spot")
        return ws_channel::spot;
    if (path == "/v5/private")
        return ws_channel::private_stream;
    return std::nullopt;
}

char const*
to_string(ws_channel c)
{
    switch (c) {
    case ws_channel::linear:
        return "linear";
    case ws_channel::spot:
        return "spot";
    case ws_channel::private_stream:
        return "private";
    }
    return "private";
}

namespace {

// Spot accepts at most 10 args per subscribe, and 21,000 characters of args per connection (spec §5.1).
constexpr std::size_t spot_max_args = 10;
constexpr std::size_t max_args_chars = 21000;

std::string
req_id_of(json::object const& msg)
{
    auto const* v = msg.if_contains("req_id");
    if (!v)
        return {};
    if (v->is_string())
        return std::string(v->as_string());
    if (v->is_int64() || v->is_uint64())
        return json::serialize(*v);
    return {};
}

} // namespace

ws_conn::ws_conn(app& a, ws_channel channel) : app_(a), channel_(channel), conn_id_(a.make_conn_id()) {}

std::string
ws_conn::reply(std::string_view op, bool success, std::string const& ret_msg, json::object const& msg)
{
    // Field order and presence per channel follow the documented acks (tests/data/bybit/ws_*ack*).
    json::object o;
    o["success"] = success;
    o["ret_msg"] = ret_msg;
    if (channel_ == ws_channel::private_stream) {
        o["op"] = op;
        o["conn_id"] = conn_id_;
        if (msg.contains("req_id"))
            o["req_id"] = req_id_of(msg);
        return json::serialize(o);
    }
    o["conn_id"] = conn_id_;
    // Linear always carries req_id ("" when absent); spot echoes it when the client sent one.
    if (channel_ == ws_channel::linear || msg.contains("req_id"))
        o["req_id"] = req_id_of(msg);
    o["op"] = op;
    return json::serialize(o);
}

std::vector<std::string>
ws_conn::on_text(std::string_view text)
{
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        json::object empty;
        out.push_back(reply("", false, "error:invalid op", empty));
        return out;
    }
    auto const& msg = v.as_object();
    auto const* op = msg.if_contains("op");
    std::string const op_name = op && op->is_string() ? std::string(op->as_string()) : std::string();
    if (op_name == "ping")
        on_ping(msg, out);
    else if (op_name == "subscribe")
        on_subscribe(msg, true, out);
    else if (op_name == "unsubscribe")
        on_subscribe(msg, false, out);
    else if (op_name == "auth" && channel_ == ws_channel::private_stream)
        on_auth(msg, out);
    else
        out.push_back(reply(op_name, false, "error:invalid op", msg));
    return out;
}

void
ws_conn::on_ping(json::object const& msg, std::vector<std::string>& out)
{
    ++app_.stats().ws_pings;
    if (app_.faults().ws_no_pong)
        return;
    if (channel_ == ws_channel::private_stream) {
        // Private dialect: op "pong" with the server time in args (ws_pong_private.docs.json).
        json::object o;
        o["req_id"] = req_id_of(msg);
        o["op"] = "pong";
        o["args"] = json::array{json::value(std::to_string(app_.clock().now_ms()))};
        o["conn_id"] = conn_id_;
        out.push_back(json::serialize(o));
        return;
    }
    out.push_back(reply("ping", true, "pong", msg));
}

std::optional<std::string>
ws_conn::check_public_topic(std::string const& topic) const
{
    auto const cat = channel_ == ws_channel::spot ? category::spot : category::linear;
    constexpr std::string_view prefix = "tickers.";
    if (topic.rfind(prefix, 0) != 0)
        return "error:handler not found,topic:" + topic;
    if (!app_.eng().find_instrument(cat, topic.substr(prefix.size())))
        return "Invalid symbol :[" + topic + "]";
    return std::nullopt;
}

std::optional<std::string>
ws_conn::check_private_topic(std::string const& topic) const
{
    static std::set<std::string> const known = {"wallet", "position", "position.linear", "order", "order.linear",
        "order.spot", "execution", "execution.linear", "execution.spot"};
    if (!known.count(topic))
        return "error:handler not found,topic:" + topic;
    return std::nullopt;
}

void
ws_conn::on_subscribe(json::object const& msg, bool subscribe, std::vector<std::string>& out)
{
    char const* op = subscribe ? "subscribe" : "unsubscribe";
    if (channel_ == ws_channel::private_stream && user_.empty()) {
        out.push_back(reply(op, false, "Request not authorized", msg));
        return;
    }
    auto const* args = msg.if_contains("args");
    if (!args || !args->is_array() || args->as_array().empty()) {
        out.push_back(reply(op, false, "error:args is empty", msg));
        return;
    }
    std::vector<std::string> topics;
    for (auto const& a : args->as_array()) {
        if (!a.is_string()) {
            out.push_back(reply(op, false, "error:param error", msg));
            return;
        }
        topics.emplace_back(a.as_string());
    }
    if (channel_ == ws_channel::spot && topics.size() > spot_max_args) {
        out.push_back(reply(op, false, "args size >10", msg));
        return;
    }
    // Validate the whole batch first: one bad topic fails it all (sieblyio#477).
    std::size_t chars = 0;
    for (auto const& t : topics_)
        chars += t.size();
    bool has_all_in_one = false;
    bool has_categorised = false;
    for (auto const& t : topics) {
        auto err = channel_ == ws_channel::private_stream ? check_private_topic(t) : check_public_topic(t);
        if (err) {
            out.push_back(reply(op, false, *err, msg));
            return;
        }
        if (subscribe && topics_.count(t)) {
            out.push_back(reply(op, false, "error:already subscribed,topic:" + t, msg));
            return;
        }
        (t.find('.') == std::string::npos ? has_all_in_one : has_categorised) = true;
        chars += t.size();
    }
    if (channel_ == ws_channel::private_stream && has_all_in_one && has_categorised) {
        out.push_back(reply(op, false, "error:all-in-one and categorised topics in one request", msg));
        return;
    }
    if (subscribe && chars > max_args_chars) {
        out.push_back(reply(op, false, "error:args length exceeds 21000", msg));
        return;
    }
    if (!subscribe) {
        for (auto const& t : topics) {
            topics_.erase(t);
            last_sent_.erase(t);
            last_cs_.erase(t);
        }
        out.push_back(reply(op, true, "", msg));
        return;
    }
    for (auto const& t : topics) {
        topics_.insert(t);
        ++app_.stats().ws_subscribes[t];
    }
    // Spot acks say "subscribe", the others "" (ws_subscribe_ack_*.docs.json).
    std::string const ack = reply(op, true, channel_ == ws_channel::spot ? "subscribe" : "", msg);
    if (channel_ == ws_channel::private_stream) {
        // No snapshot on private subscribe (spec §5.4).
        out.push_back(ack);
        return;
    }
    // Public: a fresh snapshot after every (re)subscribe, optionally before the ack as seen live.
    bool const early = app_.faults().ws_data_before_ack;
    if (!early)
        out.push_back(ack);
    for (auto const& t : topics)
        out.push_back(ticker_frame(t, true));
    if (early)
        out.push_back(ack);
}

void
ws_conn::on_auth(json::object const& msg, std::vector<std::string>& out)
{
    auto fail = [&](std::string const& why) { out.push_back(reply("auth", false, why, msg)); };
    auto const* args = msg.if_contains("args");
    if (!args || !args->is_array() || args->as_array().size() != 3 || !args->as_array()[0].is_string() ||
        !args->as_array()[2].is_string())
        return fail("Params Error");
    auto const& a = args->as_array();
    std::string const key(a[0].as_string());
    ++app_.stats().ws_auth_attempts[key];
    if (!user_.empty())
        return fail("Request already authorized");
    // expires arrives as an int (pybit, nautilus) or a string (ccxt): accept both.
    std::int64_t expires = 0;
    if (a[1].is_int64())
        expires = a[1].as_int64();
    else if (a[1].is_uint64())
        expires = static_cast<std::int64_t>(a[1].as_uint64());
    else if (a[1].is_string()) {
        if (!parse_int(std::string(a[1].as_string()), expires))
            return fail("Params Error");
    } else
        return fail("Params Error");
    // An `expires` already in the past is "Params Error" on V5 (pybit#152); no upper bound.
    if (expires <= app_.clock().now_ms() || app_.faults().ws_reject_auth)
        return fail("Params Error");
    auto const* k = app_.eng().find_key(key);
    if (!k)
        return fail("Invalid apikey");
    if (!signature_equal(ws_signature(k->secret, expires), std::string(a[2].as_string())))
        return fail("Signature verification failed");
    if (k->expired)
        return fail("API key has expired");
    if (k->perm == permission::none)
        return fail("Permission denied");
    user_ = k->user;
    key_ = key;
    ++app_.stats().ws_auth_ok[key];
    out.push_back(reply("auth", true, "", msg));
}

std::string
ws_conn::ticker_frame(std::string const& topic, bool snapshot)
{
    auto const cat = channel_ == ws_channel::spot ? category::spot : category::linear;
    auto const* inst = app_.eng().find_instrument(cat, topic.substr(8));
    auto const now = app_.clock().now_ms();
    json::object full = inst ? ws_ticker(*inst, now) : json::object{};
    json::object data;
    if (snapshot || cat == category::spot) {
        data = full;
    } else {
        // Delta: changed keys only, `symbol` always (spec §5.2).
        auto const& prev = last_sent_[topic];
        data["symbol"] = full["symbol"];
        for (auto const& [k, v] : full)
            if (k != "symbol" && (!prev.contains(k) || prev.at(k) != v))
                data[k] = v;
    }
    last_sent_[topic] = std::move(full);
    last_cs_[topic] = inst ? inst->cs : 0;
    json::object frame;
    frame["topic"] = topic;
    frame["type"] = snapshot || cat == category::spot ? "snapshot" : "delta";
    frame["data"] = std::move(data);
    frame["cs"] = inst ? inst->cs : 0;
    frame["ts"] = now;
    return json::serialize(frame);
}

std::vector<std::string>
ws_conn::on_tick()
{
    std::vector<std::string> out;
    if (channel_ == ws_channel::private_stream)
        return out;
    auto const cat = channel_ == ws_channel::spot ? category::spot : category::linear;
    for (auto const& t : topics_) {
        auto const* inst = app_.eng().find_instrument(cat, t.substr(8));
        if (!inst || last_cs_[t] == inst->cs)
            continue;
        out.push_back(ticker_frame(t, false));
    }
    return out;
}

std::vector<std::string>
ws_conn::on_event(private_event const& ev)
{
    std::vector<std::string> out;
    if (channel_ != ws_channel::private_stream || user_.empty() || ev.user != user_)
        return out;
    char const* base = nullptr;
    switch (ev.what) {
    case private_event::kind::order:
        base = "order";
        break;
    case private_event::kind::execution:
        base = "execution";
        break;
    case private_event::kind::position:
        base = "position";
        break;
    case private_event::kind::wallet:
        base = "wallet";
        break;
    }
    std::string topic;
    if (topics_.count(base))
        topic = base;
    else if (ev.what != private_event::kind::wallet && topics_.count(std::string(base) + "." + to_string(ev.cat)))
        topic = std::string(base) + "." + to_string(ev.cat);
    else
        return out;

    auto& eng = app_.eng();
    json::array data;
    switch (ev.what) {
    case private_event::kind::order:
        for (auto const& o : ev.orders)
            if (auto const* inst = eng.find_instrument(o.cat, o.symbol)) {
                auto row = order_row(o, *inst, true);
                if (ev.duplicate_filled) {
                    row["cancelType"] = "CancelByUser";
                    row["rejectReason"] = "EC_OrigClOrdIDDoesNotExist";
                }
                data.push_back(std::move(row));
            }
        break;
    case private_event::kind::execution:
        if (auto const* acct = eng.find_account(ev.user))
            for (auto const& id : ev.ids)
                for (auto it = acct->executions.rbegin(); it != acct->executions.rend(); ++it)
                    if (it->exec_id == id) {
                        if (auto const* inst = eng.find_instrument(it->cat, it->symbol))
                            data.push_back(execution_row(*it, *inst));
                        break;
                    }
        break;
    case private_event::kind::position:
        for (auto const& snap : ev.positions)
            if (auto const* inst = eng.find_instrument(category::linear, snap.symbol))
                data.push_back(position_row(engine::view_of(snap, *inst), true));
        break;
    case private_event::kind::wallet:
        data.push_back(wallet_item(eng.view_wallet(ev.user)));
        break;
    }
    if (data.empty())
        return out;
    json::object frame;
    frame["id"] = conn_id_ + "-" + std::to_string(++push_seq_);
    frame["topic"] = topic;
    frame["creationTime"] = app_.clock().now_ms();
    frame["data"] = std::move(data);
    out.push_back(json::serialize(frame));
    return out;
}

} // namespace tradepush::bybit_sim
