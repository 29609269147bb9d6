#include "faults.hpp"

namespace tradepush::bybit_sim {

namespace json = boost::json;

namespace {

// One table drives both directions so a new fault cannot be readable but not settable.
struct int_field {
    char const* name;
    int fault_state::*member;
    int min;
    int max;
};
struct bool_field {
    char const* name;
    bool fault_state::*member;
};

constexpr int_field int_fields[] = {
    {"httpErrorCount", &fault_state::http_error_count, -1, 1000000},
    {"httpErrorStatus", &fault_state::http_error_status, 400, 599},
    {"slowCount", &fault_state::slow_count, -1, 1000000},
    {"slowMs", &fault_state::slow_ms, 0, 120000},
    {"rateLimitCount", &fault_state::rate_limit_count, -1, 1000000},
    {"ipLimitCount", &fault_state::ip_limit_count, -1, 1000000},
    {"maxPageSize", &fault_state::max_page_size, 0, 1000},
    {"restLimitPerSecond", &fault_state::rest_limit_per_s, 1, 1000000},
    {"ipLimitPer5s", &fault_state::ip_limit_per_5s, 1, 10000000},
    {"wsConnectLimitPer5min", &fault_state::ws_connect_limit_per_5min, 1, 10000000},
};
constexpr bool_field bool_fields[] = {
    {"rateLimitResetHeader", &fault_state::rate_limit_reset_header},
    {"wsNoPong", &fault_state::ws_no_pong},
    {"wsDataBeforeAck", &fault_state::ws_data_before_ack},
    {"wsRejectAuth", &fault_state::ws_reject_auth},
    {"wsDuplicateFilled", &fault_state::ws_duplicate_filled},
    {"signAbsentRecvWindow", &fault_state::sign_absent_recv_window},
};

} // namespace

json::object
to_json(fault_state const& f)
{
    json::object o;
    for (auto const& fld : int_fields)
        o[fld.name] = f.*fld.member;
    for (auto const& fld : bool_fields)
        o[fld.name] = f.*fld.member;
    return o;
}

bool
apply_json(fault_state& f, json::object const& patch, std::string& error)
{
    // Validate everything first: a half-applied patch would leave the tests guessing.
    fault_state next = f;
    for (auto const& [key, value] : patch) {
        bool known = false;
        for (auto const& fld : int_fields) {
            if (key != fld.name)
                continue;
            known = true;
            if (!value.is_int64() || value.as_int64() < fld.min || value.as_int64() > fld.max) {
                error = std::string(fld.name) + " must be an integer in [" + std::to_string(fld.min) + ", " +
                    std::to_string(fld.max) + "]";
                return false;
            }
            next.*fld.member = static_cast<int>(value.as_int64());
        }
        for (auto const& fld : bool_fields) {
            if (key != fld.name)
                continue;
            known = true;
            if (!value.is_bool()) {
                error = std::string(fld.name) + " must be a boolean";
                return false;
            }
            next.*fld.member = value.as_bool();
        }
        if (!known) {
            error = "unknown fault: " + std::string(key);
            return false;
        }
    }
    f = next;
    return true;
}

} // namespace tradepush::bybit_sim
