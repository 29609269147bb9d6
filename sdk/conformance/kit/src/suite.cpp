#include <tradepush/conformance/suite.hpp>

#include "json.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

namespace tradepush::conformance {

namespace {

namespace chr = std::chrono;

constexpr char const* alice = "conformance-alice";
constexpr char const* bob = "conformance-bob";

/// What the plugin declares and implements; tests are gated on it.
struct capabilities {
    std::vector<int> account_streams; ///< declared (or, without features_json, all four)
    std::vector<std::string> ticker_categories;
    bool features_declared = false;
    bool open_account = false;
    bool request_snapshot = false;
    bool close_account = false;
    bool subscribe_ticker = false;
    bool unsubscribe_ticker = false;
    bool reset_user = false;

    std::uint32_t
    mask() const
    {
        std::uint32_t m = 0;
        for(int s : account_streams)
            m |= std::uint32_t{1} << s;
        return m;
    }
};

char const*
stream_name(int s)
{
    switch(s) {
    case TRADEPUSH_STREAM_BALANCE: return "balance";
    case TRADEPUSH_STREAM_POSITIONS: return "positions";
    case TRADEPUSH_STREAM_PNL: return "pnl";
    case TRADEPUSH_STREAM_ORDERS: return "orders";
    case TRADEPUSH_STREAM_TICKER: return "ticker";
    default: return "unknown";
    }
}

char const*
status_name(tradepush_status s)
{
    switch(s) {
    case TRADEPUSH_OK: return "OK";
    case TRADEPUSH_E_INVALID: return "E_INVALID";
    case TRADEPUSH_E_UNSUPPORTED: return "E_UNSUPPORTED";
    case TRADEPUSH_E_AUTH: return "E_AUTH";
    case TRADEPUSH_E_RATE_LIMIT: return "E_RATE_LIMIT";
    case TRADEPUSH_E_NOT_FOUND: return "E_NOT_FOUND";
    case TRADEPUSH_E_TRANSIENT: return "E_TRANSIENT";
    case TRADEPUSH_E_INTERNAL: return "E_INTERNAL";
    }
    return "not a tradepush_status";
}

capabilities
read_capabilities(plugin_library const& lib)
{
    capabilities c;
    auto const& a = lib.api();
    c.open_account = a.open_account != nullptr;
    c.request_snapshot = a.request_snapshot != nullptr;
    c.close_account = a.close_account != nullptr;
    c.subscribe_ticker = a.subscribe_ticker != nullptr;
    c.unsubscribe_ticker = a.unsubscribe_ticker != nullptr;
    c.reset_user = a.reset_user != nullptr;

    std::vector<std::string> streams{"balance", "positions", "pnl", "orders"};
    std::vector<std::string> categories{"linear"};
    if(auto f = detail::parse_json(lib.features_json()); f && f->type == detail::json_value::kind::object) {
        c.features_declared = true;
        // An absent key means "not declared": fall back to what the slots say.
        if(auto const* s = f->find("account_streams"))
            streams = s->strings();
        if(auto const* t = f->find("tickers"))
            categories = t->strings();
    }
    for(auto const& s : streams) {
        for(int i = TRADEPUSH_STREAM_BALANCE; i <= TRADEPUSH_STREAM_ORDERS; ++i)
            if(s == stream_name(i))
                c.account_streams.push_back(i);
    }
    c.ticker_categories = categories;
    return c;
}

//------------------------------------------------------------------------------------------------------

/// One test's findings: failures are collected so a result names every problem at once.
class check {
public:
    void
    fail(std::string what)
    {
        failures_.push_back(std::move(what));
    }
    void
    expect(bool ok, std::string what)
    {
        if(!ok)
            fail(std::move(what));
    }
    void
    note(std::string what)
    {
        notes_.push_back(std::move(what));
    }
    bool
    ok() const
    {
        return failures_.empty();
    }
    std::string
    text() const
    {
        std::string out;
        for(auto const& s : failures_.empty() ? notes_ : failures_)
            out += (out.empty() ? "" : "; ") + s;
        return out;
    }

private:
    std::vector<std::string> failures_;
    std::vector<std::string> notes_;
};

/// Shared state of a run: the library, its capabilities, the options, and every violation any test's
/// host recorded (the whole-run tests judge those).
class runner {
public:
    runner(plugin_library const& lib, suite_options const& options)
        : lib_(lib), options_(options), caps_(read_capabilities(lib))
    {
        account_ = options_.account;
        if(account_.exchange.empty())
            account_.exchange = lib.name();
    }

    suite_report run();

private:
    using test_fn = test_result (runner::*)(test_info const&);

    std::unique_ptr<fake_host> make_host(check& c);
    void collect(fake_host const& h, std::string const& id);
    test_result result(test_info const& t, check const& c) const;
    test_result skip(test_info const& t, std::string reason) const;
    std::string skip_account_reason() const;
    std::string skip_ticker_reason() const;
    bool wait_for_streams(fake_host& h, std::string const& user, std::uint64_t epoch, std::size_t from,
        std::vector<int>& missing);
    std::string const& ticker_category() const { return caps_.ticker_categories.front(); }

    test_result t_load(test_info const&);
    test_result t_create_destroy(test_info const&);
    test_result t_open_account(test_info const&);
    test_result t_request_snapshot(test_info const&);
    test_result t_close_account(test_info const&);
    test_result t_two_users(test_info const&);
    test_result t_reset_twice(test_info const&);
    test_result t_reset_unknown(test_info const&);
    test_result t_reset_in_flight(test_info const&);
    test_result t_reset_reopen(test_info const&);
    test_result t_subscribe_ticker(test_info const&);
    test_result t_unsubscribe_ticker(test_info const&);
    test_result t_exceptions(test_info const&);
    test_result t_whole_run(test_info const&, violation_kind kind, std::string const& what);

    plugin_library const& lib_;
    suite_options const& options_;
    capabilities caps_;
    account_info account_;
    std::vector<std::pair<std::string, violation>> seen_;
    std::size_t tests_observed_ = 0;
};

std::unique_ptr<fake_host>
runner::make_host(check& c)
{
    fake_host_options o;
    o.call_budget = options_.call_budget;
    o.echo_logs = options_.echo_logs;
    auto h = std::make_unique<fake_host>(lib_, o);
    if(options_.setup)
        options_.setup(*h);
    std::string err;
    if(!h->create(options_.config_json, &err)) {
        c.fail("create failed: " + err);
        return nullptr;
    }
    return h;
}

void
runner::collect(fake_host const& h, std::string const& id)
{
    ++tests_observed_;
    for(auto& v : h.violations())
        seen_.emplace_back(id, std::move(v));
    if(options_.inspect)
        options_.inspect(id, h);
}

test_result
runner::result(test_info const& t, check const& c) const
{
    return test_result{t.id, t.name, c.ok() ? outcome::pass : outcome::fail, c.text()};
}

test_result
runner::skip(test_info const& t, std::string reason) const
{
    return test_result{t.id, t.name, outcome::skip, std::move(reason)};
}

std::string
runner::skip_account_reason() const
{
    if(!caps_.open_account)
        return "no open_account slot (capability open_account)";
    if(caps_.account_streams.empty())
        return "features_json declares no account streams (capability account_streams)";
    return {};
}

std::string
runner::skip_ticker_reason() const
{
    if(!caps_.subscribe_ticker)
        return "no subscribe_ticker slot (capability subscribe_ticker)";
    if(caps_.ticker_categories.empty())
        return "features_json declares no ticker categories (capability tickers)";
    return {};
}

/// Advances until `user` got a delivered snapshot of every declared stream under `epoch` (emits from
/// index `from` on). `missing` lists what did not come.
bool
runner::wait_for_streams(fake_host& h, std::string const& user, std::uint64_t epoch, std::size_t from,
    std::vector<int>& missing)
{
    auto const done = [&] {
        missing.clear();
        for(int s : caps_.account_streams) {
            auto const& e = h.emits();
            bool const got = std::any_of(e.begin() + static_cast<std::ptrdiff_t>(std::min(from, e.size())), e.end(),
                [&](emit_record const& r) {
                    return !r.is_status && r.delivered && r.stream == s && r.user == user && r.epoch == epoch;
                });
            if(!got)
                missing.push_back(s);
        }
        return missing.empty();
    };
    return h.advance_until(done, options_.snapshot_timeout);
}

std::string
describe_missing(fake_host const& h, std::vector<int> const& missing, std::string const& user)
{
    std::string out = "no snapshot of";
    for(int s : missing)
        out += std::string{" "} + stream_name(s);
    // Tell the author why, when the plugin said so.
    for(auto const& e : h.emits())
        if(e.is_status && e.user == user && e.state == TRADEPUSH_STATE_ERROR) {
            out += " (stream_status error " + e.code + ": " + e.message + ")";
            break;
        }
    if(auto const un = h.unmatched_http(); !un.empty())
        out += " (unscripted HTTP " + un.front().method + " " + un.front().url +
            ": supply fixtures with suite_options::setup)";
    return out;
}

//--- TC-L: loading and lifecycle -------------------------------------------------------------------------

test_result
runner::t_load(test_info const& t)
{
    check c;
    auto const* newer = lib_.entry()(TRADEPUSH_ABI_MAJOR + 1, 0);
    c.expect(newer == nullptr, "the entry returned a table for host major " + std::to_string(TRADEPUSH_ABI_MAJOR + 1));
    c.expect(!lib_.name().empty(), "the table has no name");
    c.expect(lib_.declared_size() >= offsetof(tradepush_plugin_api, reset_user) + sizeof(void*),
        "struct_size " + std::to_string(lib_.declared_size()) + " is smaller than ABI 1.0's table");
    std::string why;
    if(!lib_.features_json().empty()) {
        auto f = detail::parse_json(lib_.features_json(), &why);
        c.expect(f && f->type == detail::json_value::kind::object,
            "features_json is not a JSON object" + (why.empty() ? std::string{} : " (" + why + ")"));
    }
    c.note("\"" + lib_.name() + "\" " + lib_.version() + ", ABI " + std::to_string(lib_.api().abi_major) + "." +
        std::to_string(lib_.api().abi_minor));
    return result(t, c);
}

test_result
runner::t_create_destroy(test_info const& t)
{
    check c;
    fake_host_options o;
    o.call_budget = options_.call_budget;
    fake_host h{lib_, o};
    if(options_.setup)
        options_.setup(h);
    unsigned done = 0;
    for(; done < options_.create_destroy_cycles; ++done) {
        std::string err;
        if(!h.create(options_.config_json, &err)) {
            c.fail("create failed at cycle " + std::to_string(done) + ": " + err);
            break;
        }
        h.destroy();
    }
    c.note(std::to_string(done) + " cycles");
    collect(h, t.id);
    return result(t, c);
}

//--- TC-A: account sessions ------------------------------------------------------------------------------

test_result
runner::t_open_account(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    auto const st = h->open_account(alice, account_, caps_.mask());
    c.expect(st == TRADEPUSH_OK, std::string{"open_account returned "} + status_name(st));
    if(st == TRADEPUSH_OK) {
        std::vector<int> missing;
        if(!wait_for_streams(*h, alice, *h->epoch(alice), 0, missing))
            c.fail(describe_missing(*h, missing, alice) + " within " +
                std::to_string(chr::duration_cast<chr::milliseconds>(options_.snapshot_timeout).count()) +
                " virtual ms");
        for(auto const& e : h->emits())
            if(!e.is_status && e.user == alice && e.account != account_.label) {
                c.fail("emit for account \"" + e.account + "\", opened \"" + account_.label + "\"");
                break;
            }
        c.note("snapshot of " + std::to_string(caps_.account_streams.size()) + " stream(s) after " +
            std::to_string((h->now_ns() - 1'000'000'000) / 1'000'000) + " virtual ms");
    }
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_request_snapshot(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.request_snapshot)
        return skip(t, "no request_snapshot slot (capability request_snapshot)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    if(h->open_account(alice, account_, caps_.mask()) == TRADEPUSH_OK) {
        std::vector<int> missing;
        wait_for_streams(*h, alice, *h->epoch(alice), 0, missing);
        for(int s : caps_.account_streams) {
            auto const before = h->emits().size();
            auto const st = h->request_snapshot(alice, account_.label, s);
            if(st != TRADEPUSH_OK) {
                c.fail(std::string{"request_snapshot "} + stream_name(s) + " returned " + status_name(st));
                continue;
            }
            auto const got = [&] {
                auto const& e = h->emits();
                return std::any_of(e.begin() + static_cast<std::ptrdiff_t>(before), e.end(),
                    [&](emit_record const& r) { return !r.is_status && r.delivered && r.stream == s && r.user == alice; });
            };
            if(!h->advance_until(got, options_.snapshot_timeout))
                c.fail(std::string{"no "} + stream_name(s) + " emit after request_snapshot");
        }
    } else {
        c.fail("open_account failed");
    }
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_close_account(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.close_account)
        return skip(t, "no close_account slot (capability close_account)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    if(h->open_account(alice, account_, caps_.mask()) == TRADEPUSH_OK) {
        std::vector<int> missing;
        wait_for_streams(*h, alice, *h->epoch(alice), 0, missing);
        auto const st = h->close_account(alice, account_.label);
        c.expect(st == TRADEPUSH_OK, std::string{"close_account returned "} + status_name(st));
        auto const before = h->emits().size();
        h->advance(2 * options_.snapshot_timeout);
        auto const& e = h->emits();
        auto const late = std::count_if(e.begin() + static_cast<std::ptrdiff_t>(before), e.end(),
            [&](emit_record const& r) { return !r.is_status && r.user == alice; });
        c.expect(late == 0, std::to_string(late) + " account emit(s) after close_account");
        c.expect(h->live_ops(alice) == 0,
            std::to_string(h->live_ops(alice)) + " operation(s) of the closed session still alive");
    } else {
        c.fail("open_account failed");
    }
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_two_users(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    auto const a = h->open_account(alice, account_, caps_.mask());
    auto const b = h->open_account(bob, account_, caps_.mask());
    c.expect(a == TRADEPUSH_OK && b == TRADEPUSH_OK, std::string{"open_account returned "} + status_name(a) +
        " / " + status_name(b));
    std::vector<int> missing;
    if(a == TRADEPUSH_OK && !wait_for_streams(*h, alice, *h->epoch(alice), 0, missing))
        c.fail("first user: " + describe_missing(*h, missing, alice));
    if(b == TRADEPUSH_OK && !wait_for_streams(*h, bob, *h->epoch(bob), 0, missing))
        c.fail("second user: " + describe_missing(*h, missing, bob));
    // Resetting one user must leave the other's session alone.
    h->reset_user(alice);
    auto const before = h->emits().size();
    if(caps_.request_snapshot && b == TRADEPUSH_OK) {
        int const s = caps_.account_streams.front();
        auto const st = h->request_snapshot(bob, account_.label, s);
        c.expect(st == TRADEPUSH_OK,
            std::string{"request_snapshot of the other user after a reset returned "} + status_name(st));
        auto const got = [&] {
            auto const& e = h->emits();
            return std::any_of(e.begin() + static_cast<std::ptrdiff_t>(before), e.end(), [&](emit_record const& r) {
                return !r.is_status && r.delivered && r.user == bob && r.stream == s;
            });
        };
        if(st == TRADEPUSH_OK && !h->advance_until(got, options_.snapshot_timeout))
            c.fail("the other user's session answered no request_snapshot after the first user's reset");
    } else {
        c.note("no request_snapshot slot: the survival of the other session after a reset is not checked");
    }
    collect(*h, t.id);
    return result(t, c);
}

//--- TC-R: reset_user, the epoch fence -------------------------------------------------------------------

test_result
runner::t_reset_twice(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.reset_user)
        return skip(t, "no reset_user slot (capability reset_user)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    h->open_account(alice, account_, caps_.mask());
    std::vector<int> missing;
    wait_for_streams(*h, alice, *h->epoch(alice), 0, missing);
    auto const first = h->reset_user(alice);
    auto const second = h->reset_user(alice);
    c.expect(first == TRADEPUSH_OK, std::string{"first reset_user returned "} + status_name(first));
    c.expect(second == TRADEPUSH_OK, std::string{"second reset_user returned "} + status_name(second));
    h->advance(options_.snapshot_timeout);
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_reset_unknown(test_info const& t)
{
    if(!caps_.reset_user)
        return skip(t, "no reset_user slot (capability reset_user)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    auto const st = h->reset_user("conformance-nobody");
    c.expect(st == TRADEPUSH_OK, std::string{"reset_user of an unknown user returned "} + status_name(st));
    h->advance(options_.snapshot_timeout);
    for(auto const& e : h->emits())
        if(e.user == "conformance-nobody") {
            c.fail("emitted for the unknown user");
            break;
        }
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_reset_in_flight(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.reset_user)
        return skip(t, "no reset_user slot (capability reset_user)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    // Phase 1: reset while the session's first operations (timer, HTTP request, socket) are pending.
    auto const st = h->open_account(alice, account_, caps_.mask());
    c.expect(st == TRADEPUSH_OK, std::string{"open_account returned "} + status_name(st));
    auto const in_flight = h->live_ops(alice);
    auto const dropped_before = h->dropped_completions();
    auto const reset = h->reset_user(alice);
    c.expect(reset == TRADEPUSH_OK, std::string{"reset_user returned "} + status_name(reset));
    h->advance(2 * options_.snapshot_timeout);
    // Phase 2: the same once the session is live (periodic work of a fenced session must stop).
    auto const reopened = h->open_account(alice, account_, caps_.mask());
    std::vector<int> missing;
    if(reopened == TRADEPUSH_OK)
        wait_for_streams(*h, alice, *h->epoch(alice), 0, missing);
    h->reset_user(alice);
    auto const before = h->emits().size();
    h->advance(2 * options_.snapshot_timeout);

    auto const stale = h->violations(violation_kind::stale_epoch_emit);
    c.expect(stale.empty(), std::to_string(stale.size()) + " stale-epoch emit(s), first: " +
        (stale.empty() ? std::string{} : stale.front().detail));
    auto const& e = h->emits();
    auto const late = std::count_if(e.begin() + static_cast<std::ptrdiff_t>(before), e.end(),
        [&](emit_record const& r) { return r.user == alice; });
    c.expect(late == 0, std::to_string(late) + " emit(s) for the user after reset_user");
    c.note(std::to_string(in_flight) + " operation(s) in flight at the reset, " +
        std::to_string(h->dropped_completions() - dropped_before) + " completion(s) swallowed by the fence");
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_reset_reopen(test_info const& t)
{
    if(auto r = skip_account_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.reset_user)
        return skip(t, "no reset_user slot (capability reset_user)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    // Before the first snapshot and after it: reset, then open again at once (a client resubscribing).
    for(int round = 0; round < 2; ++round) {
        h->open_account(alice, account_, caps_.mask());
        std::vector<int> missing;
        if(round == 1)
            wait_for_streams(*h, alice, *h->epoch(alice), 0, missing);
        auto const reset = h->reset_user(alice);
        c.expect(reset == TRADEPUSH_OK, std::string{"reset_user returned "} + status_name(reset));
        auto const from = h->emits().size();
        auto const st = h->open_account(alice, account_, caps_.mask());
        if(st != TRADEPUSH_OK) {
            c.fail(std::string{"open_account after reset_user returned "} + status_name(st));
            break;
        }
        auto const epoch = *h->epoch(alice);
        if(!wait_for_streams(*h, alice, epoch, from, missing))
            c.fail("round " + std::to_string(round + 1) + ", epoch " + std::to_string(epoch) + ": " +
                describe_missing(*h, missing, alice));
        h->reset_user(alice);
    }
    auto const stale = h->violations(violation_kind::stale_epoch_emit);
    c.expect(stale.empty(), std::to_string(stale.size()) + " stale-epoch emit(s), first: " +
        (stale.empty() ? std::string{} : stale.front().detail));
    collect(*h, t.id);
    return result(t, c);
}

//--- TC-K: public tickers --------------------------------------------------------------------------------

test_result
runner::t_subscribe_ticker(test_info const& t)
{
    if(auto r = skip_ticker_reason(); !r.empty())
        return skip(t, r);
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    auto const& cat = ticker_category();
    auto const& sym = options_.ticker_symbol;
    auto const st = h->subscribe_ticker(cat, sym);
    c.expect(st == TRADEPUSH_OK, std::string{"subscribe_ticker "} + cat + "/" + sym + " returned " + status_name(st));
    if(st == TRADEPUSH_OK) {
        auto const got = [&] {
            auto const& e = h->emits();
            return std::any_of(e.begin(), e.end(), [&](emit_record const& r) {
                return !r.is_status && r.delivered && r.stream == TRADEPUSH_STREAM_TICKER && r.category == cat &&
                    r.symbol == sym;
            });
        };
        if(!h->advance_until(got, options_.snapshot_timeout)) {
            std::string why = "no ticker emit for " + cat + "/" + sym;
            if(auto const un = h->unmatched_http(); !un.empty())
                why += " (unscripted HTTP " + un.front().url + ")";
            for(auto const& w : h->websockets())
                if(!w.matched) {
                    why += " (unscripted WebSocket " + w.url + ": supply fixtures with suite_options::setup)";
                    break;
                }
            c.fail(why);
        }
        for(auto const& e : h->emits())
            if(e.stream == TRADEPUSH_STREAM_TICKER && !e.user.empty()) {
                c.fail("ticker emitted with a user owner \"" + e.user + "\" (tickers are public)");
                break;
            }
    }
    collect(*h, t.id);
    return result(t, c);
}

test_result
runner::t_unsubscribe_ticker(test_info const& t)
{
    if(auto r = skip_ticker_reason(); !r.empty())
        return skip(t, r);
    if(!caps_.unsubscribe_ticker)
        return skip(t, "no unsubscribe_ticker slot (capability unsubscribe_ticker)");
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    auto const& cat = ticker_category();
    auto const& sym = options_.ticker_symbol;
    if(h->subscribe_ticker(cat, sym) == TRADEPUSH_OK) {
        h->advance_until([&] { return !h->data_emits(TRADEPUSH_STREAM_TICKER).empty(); }, options_.snapshot_timeout);
        auto const st = h->unsubscribe_ticker(cat, sym);
        c.expect(st == TRADEPUSH_OK, std::string{"unsubscribe_ticker returned "} + status_name(st));
        auto const before = h->emits().size();
        h->advance(2 * options_.snapshot_timeout);
        auto const& e = h->emits();
        auto const late = std::count_if(e.begin() + static_cast<std::ptrdiff_t>(before), e.end(),
            [&](emit_record const& r) { return !r.is_status && r.stream == TRADEPUSH_STREAM_TICKER && r.symbol == sym; });
        c.expect(late == 0, std::to_string(late) + " ticker emit(s) after unsubscribe_ticker");
    } else {
        c.fail("subscribe_ticker failed");
    }
    collect(*h, t.id);
    return result(t, c);
}

//--- TC-X: containment -----------------------------------------------------------------------------------

test_result
runner::t_exceptions(test_info const& t)
{
    check c;
    auto h = make_host(c);
    if(!h)
        return result(t, c);
    // Requests a host may legitimately send, each one a likely error path in the plugin.
    std::vector<std::pair<std::string, tradepush_status>> calls;
    calls.emplace_back("request_snapshot of an unknown account",
        h->request_snapshot(alice, "conformance-unknown", TRADEPUSH_STREAM_BALANCE));
    calls.emplace_back("close_account of an unknown account", h->close_account(alice, "conformance-unknown"));
    calls.emplace_back("unsubscribe_ticker never subscribed", h->unsubscribe_ticker("linear", "NOSUCHSYMBOL"));
    calls.emplace_back("subscribe_ticker of an unknown category", h->subscribe_ticker("conformance-nonsense", "X"));
    if(caps_.open_account) {
        calls.emplace_back("open_account with mask 0", h->open_account(bob, account_, 0));
        calls.emplace_back("request_snapshot of the ticker stream",
            h->request_snapshot(bob, account_.label, TRADEPUSH_STREAM_TICKER));
    }
    h->advance(options_.snapshot_timeout);
    for(auto const& [what, st] : calls)
        c.expect(st >= TRADEPUSH_OK && st <= TRADEPUSH_E_INTERNAL,
            what + " returned " + std::to_string(static_cast<int>(st)) + ", not a tradepush_status");
    collect(*h, t.id);
    // Judged over the whole run: every test's host caught escaped exceptions.
    std::size_t n = 0;
    std::string first;
    for(auto const& [id, v] : seen_)
        if(v.kind == violation_kind::exception_escaped && n++ == 0)
            first = id + ": " + v.detail;
    c.expect(n == 0, std::to_string(n) + " exception(s) escaped an entry point, first in " + first);
    return result(t, c);
}

test_result
runner::t_whole_run(test_info const& t, violation_kind kind, std::string const& what)
{
    check c;
    std::size_t n = 0;
    std::string first;
    for(auto const& [id, v] : seen_)
        if(v.kind == kind && n++ == 0)
            first = id + ": " + v.detail;
    c.expect(n == 0, std::to_string(n) + " " + what + ", first in " + first);
    c.note("observed " + std::to_string(tests_observed_) + " test(s)");
    return result(t, c);
}

//------------------------------------------------------------------------------------------------------

suite_report
runner::run()
{
    suite_report report;
    report.plugin_name = lib_.name();
    auto const& tests = suite_tests();
    auto const selected = [&](std::string const& id) {
        return options_.only.empty() || std::find(options_.only.begin(), options_.only.end(), id) != options_.only.end();
    };
    // Whole-run tests need every other test to have run, selected or not.
    bool const run_all = options_.only.empty() ||
        std::any_of(options_.only.begin(), options_.only.end(), [](std::string const& id) {
            return id.rfind("TC-T", 0) == 0 || id == "TC-X01";
        });

    for(auto const& t : tests) {
        if(!run_all && !selected(t.id))
            continue;
        test_result r;
        if(t.id == "TC-L01") r = t_load(t);
        else if(t.id == "TC-L02") r = t_create_destroy(t);
        else if(t.id == "TC-A01") r = t_open_account(t);
        else if(t.id == "TC-A02") r = t_request_snapshot(t);
        else if(t.id == "TC-A03") r = t_close_account(t);
        else if(t.id == "TC-A04") r = t_two_users(t);
        else if(t.id == "TC-R01") r = t_reset_twice(t);
        else if(t.id == "TC-R02") r = t_reset_unknown(t);
        else if(t.id == "TC-R03") r = t_reset_in_flight(t);
        else if(t.id == "TC-R04") r = t_reset_reopen(t);
        else if(t.id == "TC-K01") r = t_subscribe_ticker(t);
        else if(t.id == "TC-K02") r = t_unsubscribe_ticker(t);
        else if(t.id == "TC-X01") r = t_exceptions(t);
        else if(t.id == "TC-T01") r = t_whole_run(t, violation_kind::off_strand, "host API call(s) off the strand");
        else if(t.id == "TC-T02") r = t_whole_run(t, violation_kind::overlong_callback, "callback(s) over the budget");
        else if(t.id == "TC-T03") r = t_whole_run(t, violation_kind::invalid_emit, "malformed emit(s)");
        else if(t.id == "TC-T04") r = t_whole_run(t, violation_kind::stale_epoch_emit, "stale-epoch emit(s)");
        if(!selected(t.id))
            continue;
        if(options_.on_result)
            options_.on_result(r);
        report.results.push_back(std::move(r));
    }
    return report;
}

} // namespace

//------------------------------------------------------------------------------------------------------

bool
suite_report::passed() const noexcept
{
    return count(outcome::fail) == 0;
}

std::size_t
suite_report::count(outcome o) const noexcept
{
    return static_cast<std::size_t>(
        std::count_if(results.begin(), results.end(), [o](test_result const& r) { return r.result == o; }));
}

test_result const*
suite_report::find(std::string_view id) const noexcept
{
    for(auto const& r : results)
        if(r.id == id)
            return &r;
    return nullptr;
}

std::vector<test_info> const&
suite_tests()
{
    // A function-local static is fine here: the kit lives in the test process, never in a plugin image.
    static std::vector<test_info> const tests{
        {"TC-L01", "load: ABI negotiation, table and features_json"},
        {"TC-L02", "create/destroy cycles"},
        {"TC-A01", "open_account: snapshot of every requested stream"},
        {"TC-A02", "request_snapshot: fresh emit of each stream"},
        {"TC-A03", "close_account: no emit and no operation left"},
        {"TC-A04", "two users: separate sessions, reset of one spares the other"},
        {"TC-R01", "reset_user twice"},
        {"TC-R02", "reset_user of an unknown user"},
        {"TC-R03", "reset_user with operations in flight: nothing of the old epoch"},
        {"TC-R04", "reset_user then open_account at once: fresh snapshot, new epoch"},
        {"TC-K01", "subscribe_ticker: public ticker emit"},
        {"TC-K02", "unsubscribe_ticker: no ticker emit afterwards"},
        {"TC-X01", "no exception escapes an entry point"},
        {"TC-T01", "strand affinity: no host API call outside an entry point"},
        {"TC-T02", "callback budget: no entry point over the budget"},
        {"TC-T03", "every emit well-formed (stream, owner, JSON object)"},
        {"TC-T04", "no stale-epoch emit during the whole run"},
    };
    return tests;
}

suite_report
run_suite(plugin_library const& library, suite_options const& options)
{
    return runner{library, options}.run();
}

suite_report
run_suite(std::filesystem::path const& plugin, suite_options const& options)
{
    std::string error;
    auto lib = plugin_library::open(plugin, error);
    if(!lib) {
        suite_report report;
        test_result r{"TC-L01", suite_tests().front().name, outcome::fail, error};
        if(options.on_result)
            options.on_result(r);
        report.results.push_back(std::move(r));
        return report;
    }
    return run_suite(*lib, options);
}

std::string
format(test_result const& r)
{
    switch(r.result) {
    case outcome::pass: return "PASS " + r.id + " " + r.name;
    case outcome::fail: return "FAIL " + r.id + " " + r.name + ": " + r.detail;
    case outcome::skip: return "SKIP " + r.id + " " + r.name + ": " + r.detail;
    }
    return {};
}

} // namespace tradepush::conformance
