#pragma once
// Faults the control API can switch on, so tests can watch an adapter survive them (spec §6).

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace tradepush::bybit_sim {

/// Every injectable fault. Counts are "next N requests"; -1 means "until cleared".
struct fault_state {
    int http_error_count = 0;    ///< REST answers `http_error_status` with a non-JSON body
    int http_error_status = 503; ///< 500..599 or 429
    int slow_count = 0;          ///< REST answers after `slow_ms`
    int slow_ms = 0;
    int rate_limit_count = 0;          ///< private REST answers 10006 (a "storm")
    bool rate_limit_reset_header = true; ///< with X-Bapi-Limit-Reset-Timestamp (pybit#340 has none)
    int ip_limit_count = 0;            ///< REST answers HTTP 403 "access too frequent"
    bool ws_no_pong = false;           ///< pings get no answer (connections look dead)
    bool ws_data_before_ack = false;   ///< public snapshot before the subscribe ack (real capture)
    bool ws_reject_auth = false;       ///< every private auth fails with "Params Error"
    bool ws_duplicate_filled = false;  ///< every Filled order push is followed by a second one (spec §5.4)
    int max_page_size = 0;             ///< caps `limit` so adapters must paginate (0 = off)
    int rest_limit_per_s = 50;         ///< per UID per endpoint rolling 1 s limit
    int ip_limit_per_5s = 600;         ///< real IP limit: 600 requests / 5 s
    int ws_connect_limit_per_5min = 500; ///< real limit: 500 new WebSocket connections / 5 min (per domain)
    bool sign_absent_recv_window = false; ///< absent X-BAPI-RECV-WINDOW signs as "5000" instead of ""
};

/// Current faults as JSON (camelCase keys, as the control API takes them).
boost::json::object
to_json(fault_state const& f);

/// Applies the keys present in `patch`; false + `error` on an unknown key or a bad value.
bool
apply_json(fault_state& f, boost::json::object const& patch, std::string& error);

} // namespace tradepush::bybit_sim
