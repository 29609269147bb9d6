#include "hub/hub.hpp"

#include "hub/request.hpp"
#include "hub/stream.hpp"
#include "hub/wire.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace tradepush::hub {

namespace json = boost::json;
using feed::stream_state;
using feed::stream_type;

namespace {

constexpr unsigned
bit(stream_type t) noexcept
{
    return 1u << static_cast<unsigned>(t);
}

constexpr std::size_t
index(stream_type t) noexcept
{
    return static_cast<std::size_t>(t);
}

// Ticker streams are keyed by one string; the separator cannot occur in a valid exchange,
// category or symbol.
std::string
ticker_key(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    std::string key;
    key.reserve(exchange.size() + category.size() + symbol.size() + 2);
    key.append(exchange).push_back('\x1f');
    key.append(category).push_back('\x1f');
    key.append(symbol);
    return key;
}

} // namespace

//------------------------------------------------------------------------------

struct hub::state {
    /// One attached connection and what it subscribed to.
    struct connection {
        std::string user;
        std::size_t shard = 0;
        std::string trading_account; ///< label of its trading subscription
        unsigned trading_types = 0;  ///< bit set; 0 = no trading subscription
        std::set<std::string> tickers; ///< ticker_key of each subscribed ticker
    };

    /// An account of a user that has subscribed streams (and so an upstream session).
    struct account_entry {
        feed::account acct;
        bool open = false; ///< open_account was called in the current epoch
        std::array<std::unique_ptr<stream>, feed::stream_type_count> streams;

        bool
        idle() const noexcept
        {
            return std::all_of(streams.begin(), streams.end(), [](auto const& s) { return !s; });
        }
    };

    /// A user with at least one attached connection.
    struct user_entry {
        std::uint64_t epoch = 0;
        /// Exchanges flushed alone (`user flush U --exchange X`) run in a newer epoch than the rest of
        /// the user's accounts, whose upstream sessions carry on in `epoch`. Cleared by reset_user.
        std::map<std::string, std::uint64_t, std::less<>> exchange_epochs;

        /// The epoch requests for accounts of `exchange` carry, and answers must match.
        std::uint64_t
        epoch_of(std::string_view exchange) const
        {
            auto it = exchange_epochs.find(exchange);
            return it == exchange_epochs.end() ? epoch : it->second;
        }
        std::vector<conn_id> conns;
        std::map<std::string, account_entry, std::less<>> accounts;
    };

    net::any_io_executor control;
    feed::provider& provider;
    account_directory const& directory;
    std::vector<shard_port*> shards;
    hub_limits limits;

    /// Posted work holds a weak reference, so work queued behind the hub's destruction does nothing.
    std::shared_ptr<int> alive = std::make_shared<int>(0);

    std::unordered_map<conn_id, connection> conns;
    std::map<std::string, user_entry, std::less<>> users;
    std::unordered_map<std::string, std::unique_ptr<stream>> tickers;

    /// One counter for every user, so an epoch is never reused after a user's state is dropped and a
    /// late answer for a former incarnation of the user can never match.
    std::uint64_t last_epoch = 0;
    /// Conflate keys: data key odd, status key = data key + 1; never 0.
    std::uint64_t next_key = 1;
    /// The counters of hub_stats (sizes are computed on demand).
    hub_stats counters;

    state(net::any_io_executor ex, feed::provider& p, account_directory const& d, std::vector<shard_port*> s,
        hub_limits l)
        : control(std::move(ex))
        , provider(p)
        , directory(d)
        , shards(std::move(s))
        , limits(l)
    {
    }

    std::uint64_t
    new_epoch() noexcept
    {
        return ++last_epoch;
    }

    std::uint64_t
    new_key() noexcept
    {
        auto const k = next_key;
        next_key += 2;
        return k;
    }

    //--------------------------------------------------------------------------
    // Delivery

    // One deliver per shard with subscribers; the message was serialized once by the caller.
    void
    push_all(stream const& s, outbound_ptr const& msg, std::uint64_t key)
    {
        s.subscribers.for_each_shard([&](std::size_t shard, subscriber_set::list_ptr const& list) {
            shards[shard]->deliver(list, msg, key);
            counters.pushes += list->size();
        });
    }

    void
    push_one(conn_id conn, std::size_t shard, outbound_ptr const& msg, std::uint64_t key)
    {
        shards[shard]->deliver_one(conn, msg, key);
        ++counters.pushes;
    }

    // Gives the cached state to every connection still waiting for its first message, one deliver
    // per shard.
    void
    serve_awaiting(stream& s)
    {
        std::map<std::size_t, std::vector<conn_id>> by_shard;
        for(auto const& [conn, shard] : s.awaiting)
            by_shard[shard].push_back(conn);
        s.awaiting.clear();
        for(auto& [shard, list] : by_shard) {
            counters.pushes += list.size();
            shards[shard]->deliver(
                std::make_shared<std::vector<conn_id> const>(std::move(list)), s.latest, s.data_key);
        }
    }

    // A new subscriber gets the cached state (or waits for the first one) and the last non-live status.
    // Returns true when the stream has no state and no request in flight, i.e. the caller must ask.
    bool
    serve_new_subscriber(stream& s, conn_id conn, std::size_t shard)
    {
        s.subscribers.insert(conn, shard);
        bool must_fetch = false;
        if(s.latest) {
            push_one(conn, shard, s.latest, s.data_key);
        } else {
            s.awaiting.emplace(conn, shard);
            must_fetch = !s.snapshot_pending;
        }
        if(s.status)
            push_one(conn, shard, s.status, s.status_key());
        return must_fetch;
    }

    // New data for a stream: dedup against the cache, else seq+1, cache and push to everyone.
    void
    apply_data(stream& s, json::value const& data)
    {
        s.snapshot_pending = false;
        if(s.status) {
            // Data flows again: say so once.
            s.status.reset();
            push_all(s, s.make_status(stream_state::live, "", ""), s.status_key());
        }
        auto const data_json = to_json(data);
        auto const h = std::hash<std::string_view>{}(data_json);
        if(s.latest && h == s.hash) {
            // Unchanged: already-served connections skip it, first-timers still get it (invariant 1).
            // Today nobody can be waiting while a cache exists (newcomers are served from the cache at
            // once, flush clears it), so this only guards invariant 1 against future changes.
            ++counters.dedup_skips;
            if(!s.awaiting.empty())
                serve_awaiting(s);
            return;
        }
        ++s.seq;
        s.hash = h;
        s.latest = s.make_data(data_json, now_ms());
        s.awaiting.clear();
        push_all(s, s.latest, s.data_key);
    }

    void
    apply_status(stream& s, stream_state st, std::string_view code, std::string_view message)
    {
        if(st == stream_state::live) {
            if(!s.status)
                return; // already live; nothing new to tell
            s.status.reset();
            push_all(s, s.make_status(st, code, message), s.status_key());
            return;
        }
        // A failed fetch is no longer in flight: the next subscriber asks again.
        if(st == stream_state::error)
            s.snapshot_pending = false;
        s.status = s.make_status(st, code, message);
        push_all(s, s.status, s.status_key());
    }

    //--------------------------------------------------------------------------
    // Subscriptions

    // Removes `conn` from a stream; destroys the stream (and its cached state) with its last subscriber.
    static void
    leave(std::unique_ptr<stream>& s, conn_id conn, std::size_t shard)
    {
        if(!s)
            return;
        s->subscribers.erase(conn, shard);
        s->awaiting.erase(conn);
        if(s->subscribers.empty())
            s.reset();
    }

    void
    drop_trading(conn_id id, connection& c, user_entry& u)
    {
        if(!c.trading_types)
            return;
        if(auto a = u.accounts.find(c.trading_account); a != u.accounts.end())
            for(std::size_t i = 0; i < feed::stream_type_count; ++i)
                if(c.trading_types & (1u << i))
                    leave(a->second.streams[i], id, c.shard);
        c.trading_types = 0;
        c.trading_account.clear();
    }

    void
    drop_ticker(conn_id id, connection& c, std::string const& key)
    {
        auto it = tickers.find(key);
        if(it == tickers.end())
            return;
        auto& s = *it->second;
        s.subscribers.erase(id, c.shard);
        s.awaiting.erase(id);
        if(s.subscribers.empty()) {
            // Reference count reached zero: release the shared upstream.
            provider.unsubscribe_ticker(s.exchange, s.category, s.symbol);
            tickers.erase(it);
        }
    }

    // Releases the upstream session of every account nobody subscribes to any more.
    void
    release_idle_accounts(std::string const& user, user_entry& u)
    {
        for(auto it = u.accounts.begin(); it != u.accounts.end();) {
            if(!it->second.idle()) {
                ++it;
                continue;
            }
            if(it->second.open)
                provider.close_account(user, it->first);
            it = u.accounts.erase(it);
        }
    }

    // Drops everything upstream of a user (sessions, cached state, in-flight requests) and fences
    // late answers with a new epoch. Callers make sure no subscriber is left on the dropped streams.
    void
    reset_user(std::string const& user, user_entry& u)
    {
        for(auto const& [label, a] : u.accounts)
            if(a.open)
                provider.close_account(user, label);
        u.accounts.clear();
        provider.reset_user(user);
        ++counters.resets;
        u.epoch = new_epoch();
        u.exchange_epochs.clear();
        spdlog::debug("hub: reset user {} (epoch {})", user, u.epoch);
    }

    bool
    holds_trading(user_entry const& u, conn_id except) const
    {
        return std::any_of(u.conns.begin(), u.conns.end(), [&](conn_id other) {
            if(other == except)
                return false;
            auto it = conns.find(other);
            return it != conns.end() && it->second.trading_types != 0;
        });
    }

    //--------------------------------------------------------------------------
    // Requests

    void
    attach(conn_id id, std::string user, std::size_t shard, std::function<void(bool)> const& done)
    {
        auto answer = [&](bool ok) {
            if(done)
                done(ok);
        };
        if(shard >= shards.size() || !shards[shard] || conns.contains(id))
            return answer(false);
        auto u = users.find(user);
        if(u != users.end() && u->second.conns.size() >= limits.max_connections_per_user)
            return answer(false);
        if(u == users.end()) {
            u = users.emplace(user, user_entry{}).first;
            u->second.epoch = new_epoch();
        }
        u->second.conns.push_back(id);
        conns.emplace(id, connection{std::move(user), shard, {}, 0, {}});
        answer(true);
    }

    void
    detach(conn_id id)
    {
        auto it = conns.find(id);
        if(it == conns.end())
            return;
        auto& c = it->second;
        auto u = users.find(c.user);
        if(u != users.end()) {
            drop_trading(id, c, u->second);
            std::erase(u->second.conns, id);
        }
        for(auto const& key : c.tickers)
            drop_ticker(id, c, key);
        if(u != users.end()) {
            if(u->second.conns.empty()) {
                // Invariant 3: the last connection leaves no trace.
                reset_user(u->first, u->second);
                users.erase(u);
            } else {
                release_idle_accounts(u->first, u->second);
            }
        }
        conns.erase(it);
    }

    void
    subscribe_trading(conn_id id, json::value const& args, ack_callback const& ack)
    {
        auto it = conns.find(id);
        if(it == conns.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto& c = it->second;
        auto req = parse_trading_request(args, true);
        if(!req)
            return reply(ack, ack_error(*req.error));
        auto const accounts = directory.accounts_of(c.user);
        if(accounts.empty())
            return reply(ack, ack_error("no_account", "no exchange account is configured for this user"));
        auto acct = accounts.begin();
        if(req.value.account) {
            acct = std::find_if(accounts.begin(), accounts.end(),
                [&](feed::account const& a) { return a.label == *req.value.account; });
            if(acct == accounts.end())
                return reply(ack, ack_error("unknown_account", "no account labelled \"" +
                    req.value.account->substr(0, 64) + "\""));
        }
        auto u = users.find(c.user);
        if(u == users.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto& user = u->second;

        // Invariant 4: first drop this connection's old subscriptions ...
        drop_trading(id, c, user);
        bool const shared = holds_trading(user, id);
        if(!shared) {
            // ... and when no other device holds trading streams, start from a clean upstream.
            reset_user(u->first, user);
        }
        c.trading_account = acct->label;
        c.trading_types = req.value.types;
        // The ack goes first: shards are FIFO, so the client sees it before any data.
        reply(ack, ack_trading(req.value.list, acct->label));

        auto [a_it, created] = user.accounts.try_emplace(acct->label);
        auto& a = a_it->second;
        if(created)
            a.acct = *acct;
        unsigned to_open = 0;
        for(auto t : req.value.list) {
            auto& sp = a.streams[index(t)];
            if(!sp)
                sp = std::make_unique<stream>(new_key(), t, a.acct.exchange, a.acct.label);
            if(!serve_new_subscriber(*sp, id, c.shard))
                continue;
            sp->snapshot_pending = true;
            if(a.open)
                provider.request_snapshot(u->first, a.acct.label, t, user.epoch_of(a.acct.exchange));
            else
                to_open |= bit(t);
        }
        if(to_open) {
            a.open = true;
            provider.open_account(u->first, a.acct, to_open, user.epoch_of(a.acct.exchange));
        }
        if(shared)
            release_idle_accounts(u->first, user); // e.g. this device switched away from an account
    }

    void
    unsubscribe_trading(conn_id id, json::value const& args, ack_callback const& ack)
    {
        auto it = conns.find(id);
        if(it == conns.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto& c = it->second;
        auto req = parse_trading_request(args, false);
        if(!req)
            return reply(ack, ack_error(*req.error));
        auto u = users.find(c.user);
        if(u == users.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto const drop = c.trading_types & req.value.types;
        if(drop) {
            auto a = u->second.accounts.find(c.trading_account);
            if(a != u->second.accounts.end())
                for(std::size_t i = 0; i < feed::stream_type_count; ++i)
                    if(drop & (1u << i))
                        leave(a->second.streams[i], id, c.shard);
            c.trading_types &= ~drop;
            if(!c.trading_types)
                c.trading_account.clear();
            release_idle_accounts(u->first, u->second);
        }
        reply(ack, ack_trading(req.value.list, {}));
    }

    void
    subscribe_ticker(conn_id id, json::value const& args, ack_callback const& ack)
    {
        auto it = conns.find(id);
        if(it == conns.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto& c = it->second;
        auto req = parse_ticker_request(args, limits.max_symbols_per_request);
        if(!req)
            return reply(ack, ack_error(*req.error));
        auto const exchange = req.value.exchange.value_or("bybit");
        auto const category = req.value.category.value_or("linear");
        if(!provider.has_exchange(exchange))
            return reply(ack, ack_error("unknown_exchange", "exchange \"" + exchange.substr(0, 64) +
                "\" is not served"));
        std::vector<std::string const*> fresh;
        std::vector<std::string> keys;
        for(auto const& sym : req.value.symbols) {
            keys.push_back(ticker_key(exchange, category, sym));
            if(!c.tickers.contains(keys.back()))
                fresh.push_back(&sym);
        }
        if(c.tickers.size() + fresh.size() > limits.max_tickers_per_connection)
            return reply(ack, ack_error("too_many_subscriptions", "at most " +
                std::to_string(limits.max_tickers_per_connection) + " tickers per connection"));
        reply(ack, ack_ticker(req.value.symbols, exchange, category));

        for(std::size_t i = 0; i < keys.size(); ++i) {
            auto const& sym = req.value.symbols[i];
            auto [c_it, added] = c.tickers.insert(keys[i]);
            if(!added)
                continue; // already subscribed: keeps receiving, nothing to resend
            auto [t_it, created] = tickers.try_emplace(keys[i]);
            if(created)
                t_it->second = std::make_unique<stream>(new_key(), exchange, category, sym);
            auto& s = *t_it->second;
            if(serve_new_subscriber(s, id, c.shard) && created) {
                // First subscriber: start the one shared upstream; its first ticker is the snapshot.
                s.snapshot_pending = true;
                provider.subscribe_ticker(exchange, category, sym);
            }
        }
    }

    void
    unsubscribe_ticker(conn_id id, json::value const& args, ack_callback const& ack)
    {
        auto it = conns.find(id);
        if(it == conns.end())
            return reply(ack, ack_error("not_attached", "connection is not attached"));
        auto& c = it->second;
        auto req = parse_ticker_request(args, limits.max_symbols_per_request);
        if(!req)
            return reply(ack, ack_error(*req.error));
        std::vector<std::string> drop;
        for(auto const& key : c.tickers) {
            auto t = tickers.find(key);
            if(t == tickers.end())
                continue;
            auto const& s = *t->second;
            bool const match = std::find(req.value.symbols.begin(), req.value.symbols.end(), s.symbol) !=
                    req.value.symbols.end() &&
                (!req.value.exchange || *req.value.exchange == s.exchange) &&
                (!req.value.category || *req.value.category == s.category);
            if(match)
                drop.push_back(key);
        }
        for(auto const& key : drop) {
            drop_ticker(id, c, key);
            c.tickers.erase(key);
        }
        reply(ack, ack_ticker(req.value.symbols, req.value.exchange.value_or(""), req.value.category.value_or("")));
    }

    // Refetches account `a` of `user` in `epoch` after its upstream session was dropped. With
    // `forget`, the cached state goes too, so every subscriber gets the fresh snapshot even if it
    // equals what they have (seq continues); without, only a changed state is pushed.
    void
    reopen(std::string const& user, account_entry& a, std::uint64_t epoch, bool forget)
    {
        a.open = false;
        unsigned types = 0;
        for(std::size_t i = 0; i < feed::stream_type_count; ++i) {
            auto& sp = a.streams[i];
            if(!sp)
                continue;
            if(forget) {
                sp->latest.reset();
                sp->hash = 0;
                sp->subscribers.for_each([&](conn_id conn, std::size_t shard) { sp->awaiting.emplace(conn, shard); });
            }
            sp->snapshot_pending = true;
            types |= 1u << i;
        }
        if(types) {
            a.open = true;
            provider.open_account(user, a.acct, types, epoch);
        }
    }

    // Nullopt when the user has no live connection, else the number of accounts refetched.
    std::optional<std::size_t>
    flush_user(std::string const& name)
    {
        auto u = users.find(name);
        if(u == users.end())
            return std::nullopt;
        auto& user = u->second;
        provider.reset_user(name);
        ++counters.resets;
        user.epoch = new_epoch();
        user.exchange_epochs.clear();
        spdlog::debug("hub: flush user {} (epoch {})", name, user.epoch);
        std::size_t n = 0;
        for(auto& [label, a] : user.accounts) {
            // The session is gone upstream; whatever is subscribed is fetched anew.
            reopen(name, a, user.epoch, true);
            n += a.open ? 1 : 0;
        }
        release_idle_accounts(name, user);
        return n;
    }

    // `user flush U --exchange X`: only the provider serving X is reset. It may have dropped the
    // user's sessions of other exchanges it serves too (the scripted feed serves several): those are
    // reopened, but keep their cache, so their subscribers only see a state that changed. Accounts on
    // other providers keep their sessions and their epoch.
    std::optional<std::size_t>
    flush_user(std::string const& name, std::string const& exchange)
    {
        auto u = users.find(name);
        if(u == users.end())
            return std::nullopt;
        auto& user = u->second;
        auto reset = provider.reset_user_on(name, exchange);
        ++counters.resets;
        if(!reset) {
            // The provider could not scope it: everything of the user is gone upstream. Only X's
            // streams are pushed again regardless; the rest only when changed.
            user.epoch = new_epoch();
            user.exchange_epochs.clear();
            std::size_t n = 0;
            for(auto& [label, a] : user.accounts) {
                bool const target = a.acct.exchange == exchange;
                reopen(name, a, user.epoch, target);
                n += target && a.open ? 1 : 0;
            }
            release_idle_accounts(name, user);
            return n;
        }
        auto const epoch = new_epoch();
        for(auto const& e : *reset)
            user.exchange_epochs[e] = epoch;
        spdlog::debug("hub: flush user {} on exchange {} (epoch {})", name, exchange, epoch);
        std::size_t n = 0;
        for(auto& [label, a] : user.accounts) {
            if(std::find(reset->begin(), reset->end(), a.acct.exchange) == reset->end())
                continue;
            bool const target = a.acct.exchange == exchange;
            reopen(name, a, epoch, target);
            n += target && a.open ? 1 : 0;
        }
        release_idle_accounts(name, user);
        return n;
    }

    hub_stats
    stats() const
    {
        hub_stats s = counters;
        s.connections = conns.size();
        s.users = users.size();
        s.ticker_streams = tickers.size();
        s.account_streams = 0;
        s.subscriptions = 0;
        s.open_accounts = 0;
        for(auto const& [name, u] : users)
            for(auto const& [label, a] : u.accounts) {
                s.open_accounts += a.open ? 1 : 0;
                for(std::size_t i = 0; i < feed::stream_type_count; ++i)
                    if(auto const& sp = a.streams[i]) {
                        ++s.account_streams;
                        s.subscriptions += sp->subscribers.size();
                        s.subscriptions_by_stream[i] += sp->subscribers.size();
                    }
            }
        for(auto const& [key, t] : tickers) {
            s.subscriptions += t->subscribers.size();
            s.subscriptions_by_stream[feed::stream_type_count] += t->subscribers.size();
        }
        return s;
    }

    static void
    reply(ack_callback const& ack, json::object reply)
    {
        if(ack)
            ack(std::move(reply));
    }

    //--------------------------------------------------------------------------
    // feed::sink

    // The epoch fence (invariant 5): only answers to requests of the current epoch of the account's
    // exchange count (an exchange flushed alone runs ahead of the user's other accounts).
    account_entry*
    fenced(std::string_view user, std::string_view account, std::uint64_t epoch)
    {
        auto u = users.find(user);
        if(u == users.end()) {
            ++counters.stale_epoch_drops;
            return nullptr;
        }
        auto a = u->second.accounts.find(account);
        if(a == u->second.accounts.end()) {
            // Nobody subscribes to this account any more; an answer of an older epoch still counts as
            // fenced (the account went with a reset).
            if(epoch != u->second.epoch)
                ++counters.stale_epoch_drops;
            return nullptr;
        }
        if(u->second.epoch_of(a->second.acct.exchange) != epoch) {
            ++counters.stale_epoch_drops;
            return nullptr;
        }
        return &a->second;
    }

    void
    on_account_data(std::string_view user, std::string_view account, stream_type type, json::value const& data,
        std::uint64_t epoch)
    {
        if(index(type) >= feed::stream_type_count)
            return;
        auto* a = fenced(user, account, epoch);
        if(!a)
            return;
        if(auto& sp = a->streams[index(type)])
            apply_data(*sp, data);
    }

    void
    on_account_status(std::string_view user, std::string_view account, std::optional<stream_type> type,
        stream_state st, std::string_view code, std::string_view message, std::uint64_t epoch)
    {
        auto* a = fenced(user, account, epoch);
        if(!a)
            return;
        for(std::size_t i = 0; i < feed::stream_type_count; ++i) {
            if(type && index(*type) != i)
                continue;
            if(auto& sp = a->streams[i])
                apply_status(*sp, st, code, message);
        }
    }

    // A rebuilt upstream (plugin reload) re-sends every stream's state: forget the hashes so that state
    // reaches every subscriber even when unchanged (invariant 8), while the cache keeps serving
    // newcomers until it arrives.
    void
    on_upstream_restart(std::string_view exchange)
    {
        std::size_t streams = 0;
        auto forget = [&](std::unique_ptr<stream> const& sp) {
            if(sp) {
                sp->hash = 0;
                ++streams;
            }
        };
        for(auto& [name, u] : users)
            for(auto& [label, a] : u.accounts)
                if(a.acct.exchange == exchange)
                    std::for_each(a.streams.begin(), a.streams.end(), forget);
        for(auto& [key, t] : tickers)
            if(t->exchange == exchange)
                forget(t);
        spdlog::debug("hub: upstream {} restarted, {} stream(s) expect a fresh snapshot", exchange, streams);
    }

    stream*
    find_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
    {
        auto it = tickers.find(ticker_key(exchange, category, symbol));
        return it == tickers.end() ? nullptr : it->second.get();
    }
};

//------------------------------------------------------------------------------

namespace {

// Runs `fn(state&)` on the control executor, unless the hub is gone by then.
template<class Fn>
void
post_to(hub::state* s, Fn&& fn)
{
    net::post(s->control, [s, alive = std::weak_ptr<int>(s->alive), fn = std::forward<Fn>(fn)]() mutable {
        if(!alive.expired())
            fn(*s);
    });
}

} // namespace

hub::hub(net::any_io_executor control, feed::provider& provider, account_directory const& accounts,
    std::vector<shard_port*> shards, hub_limits limits)
    : state_(std::make_unique<state>(std::move(control), provider, accounts, std::move(shards), limits))
{
    provider.set_sink(this);
}

hub::~hub()
{
    state_->provider.set_sink(nullptr);
}

void
hub::attach(conn_id conn, std::string user, std::size_t shard, std::function<void(bool)> done)
{
    post_to(state_.get(), [conn, user = std::move(user), shard, done = std::move(done)](state& s) mutable {
        s.attach(conn, std::move(user), shard, done);
    });
}

void
hub::detach(conn_id conn)
{
    post_to(state_.get(), [conn](state& s) { s.detach(conn); });
}

void
hub::subscribe_trading(conn_id conn, json::value args, ack_callback ack)
{
    post_to(state_.get(), [conn, args = std::move(args), ack = std::move(ack)](state& s) {
        s.subscribe_trading(conn, args, ack);
    });
}

void
hub::unsubscribe_trading(conn_id conn, json::value args, ack_callback ack)
{
    post_to(state_.get(), [conn, args = std::move(args), ack = std::move(ack)](state& s) {
        s.unsubscribe_trading(conn, args, ack);
    });
}

void
hub::subscribe_ticker(conn_id conn, json::value args, ack_callback ack)
{
    post_to(state_.get(), [conn, args = std::move(args), ack = std::move(ack)](state& s) {
        s.subscribe_ticker(conn, args, ack);
    });
}

void
hub::unsubscribe_ticker(conn_id conn, json::value args, ack_callback ack)
{
    post_to(state_.get(), [conn, args = std::move(args), ack = std::move(ack)](state& s) {
        s.unsubscribe_ticker(conn, args, ack);
    });
}

void
hub::flush_user(std::string user, std::function<void(bool)> done)
{
    post_to(state_.get(), [user = std::move(user), done = std::move(done)](state& s) {
        auto const found = s.flush_user(user).has_value();
        if(done)
            done(found);
    });
}

void
hub::flush_user(std::string user, std::string exchange, std::function<void(std::optional<std::size_t>)> done)
{
    post_to(state_.get(), [user = std::move(user), exchange = std::move(exchange), done = std::move(done)](state& s) {
        auto const n = exchange.empty() ? s.flush_user(user) : s.flush_user(user, exchange);
        if(done)
            done(n);
    });
}

void
hub::connections(std::string user, std::size_t limit, std::function<void(std::vector<connection_info>)> done) const
{
    post_to(state_.get(), [user = std::move(user), limit, done = std::move(done)](state& s) {
        // Ids grow with time, so sorting them lists the oldest connections first and a limit keeps
        // the same ones from one call to the next.
        std::vector<conn_id> ids;
        if(user.empty()) {
            ids.reserve(s.conns.size());
            for(auto const& [id, c] : s.conns)
                ids.push_back(id);
        } else if(auto u = s.users.find(user); u != s.users.end()) {
            ids = u->second.conns;
        }
        std::sort(ids.begin(), ids.end());
        if(ids.size() > limit)
            ids.resize(limit);
        std::vector<connection_info> out;
        out.reserve(ids.size());
        for(auto id : ids) {
            auto it = s.conns.find(id);
            if(it == s.conns.end())
                continue;
            auto const& c = it->second;
            out.push_back(connection_info{id, c.user, c.shard, c.trading_types ? c.trading_account : std::string(),
                static_cast<std::size_t>(std::popcount(c.trading_types)), c.tickers.size()});
        }
        if(done)
            done(std::move(out));
    });
}

void
hub::kick_user(std::string user, std::string reason, std::function<void(std::size_t)> done)
{
    post_to(state_.get(), [user = std::move(user), reason = std::move(reason), done = std::move(done)](state& s) {
        std::size_t n = 0;
        if(auto u = s.users.find(user); u != s.users.end()) {
            // Only the transports close here; each disconnect then comes back through detach(), as
            // for any client that goes away, so the user's state is released the usual way.
            for(auto id : u->second.conns) {
                auto it = s.conns.find(id);
                if(it == s.conns.end())
                    continue;
                s.shards[it->second.shard]->close(id, reason);
                ++n;
            }
        }
        if(done)
            done(n);
    });
}

void
hub::stats(std::function<void(hub_stats)> done) const
{
    post_to(state_.get(), [done = std::move(done)](state& s) {
        if(done)
            done(s.stats());
    });
}

void
hub::on_account_data(std::string_view user, std::string_view account, feed::stream_type type,
    boost::json::value data, std::uint64_t epoch)
{
    state_->on_account_data(user, account, type, data, epoch);
}

void
hub::on_account_status(std::string_view user, std::string_view account, std::optional<feed::stream_type> type,
    feed::stream_state state, std::string_view code, std::string_view message, std::uint64_t epoch)
{
    state_->on_account_status(user, account, type, state, code, message, epoch);
}

void
hub::on_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
    boost::json::value data)
{
    if(auto* s = state_->find_ticker(exchange, category, symbol))
        state_->apply_data(*s, data);
}

void
hub::on_ticker_status(std::string_view exchange, std::string_view category, std::string_view symbol,
    feed::stream_state state, std::string_view code, std::string_view message)
{
    if(auto* s = state_->find_ticker(exchange, category, symbol))
        state_->apply_status(*s, state, code, message);
}

void
hub::on_upstream_restart(std::string_view exchange)
{
    state_->on_upstream_restart(exchange);
}

} // namespace tradepush::hub
