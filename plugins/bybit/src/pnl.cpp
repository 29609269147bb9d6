#include "pnl.hpp"

#include "decimal.hpp"
#include "json_writer.hpp"

#include <cmath>

namespace tradepush::bybit {

double
round_money(double v) noexcept
{
    if(!std::isfinite(v))
        return 0;
    // Beyond 1e8 the 10-decimal scale would exceed double precision; such values need no rounding.
    if(std::fabs(v) >= 1e8)
        return v;
    return std::round(v * 1e10) / 1e10;
}

std::optional<double>
unrealised_pnl(position const& p, double mark)
{
    auto const entry = parse_decimal(p.entry_price);
    auto const size = parse_decimal(p.size);
    if(!entry || !size)
        return std::nullopt;
    double const dir = p.side == "Sell" ? -1.0 : 1.0;
    if(p.category == "inverse") {
        if(*entry == 0 || mark == 0)
            return std::nullopt;
        return round_money(*size * (1.0 / *entry - 1.0 / mark) * dir);
    }
    return round_money((mark - *entry) * *size * dir);
}

position_pnl
compute_position_pnl(position const& p, mark_map const& marks)
{
    position_pnl out;
    out.symbol = p.symbol;
    out.side = p.side == "Sell" ? "short" : "long";
    out.realised_pnl = parse_decimal(p.cur_realised_pnl).value_or(0.0);
    if(auto it = marks.find(p.symbol); it != marks.end()) {
        if(auto u = unrealised_pnl(p, it->second)) {
            out.mark_price = it->second;
            out.unrealised_pnl = *u;
            out.live_mark = true;
            return out;
        }
    }
    // No live mark yet: Bybit's own numbers as of its last message.
    out.mark_price = parse_decimal(p.mark_price).value_or(0.0);
    out.unrealised_pnl = parse_decimal(p.unrealised_pnl).value_or(0.0);
    return out;
}

pnl_summary
compute_pnl(std::map<position_key, position> const& positions, mark_map const& marks)
{
    pnl_summary s;
    for(auto const& [key, p] : positions) {
        auto pp = compute_position_pnl(p, marks);
        s.unrealised_pnl += pp.unrealised_pnl;
        s.realised_pnl += pp.realised_pnl;
        s.positions.push_back(std::move(pp));
    }
    s.unrealised_pnl = round_money(s.unrealised_pnl);
    s.realised_pnl = round_money(s.realised_pnl);
    return s;
}

std::string
pnl_json(pnl_summary const& s)
{
    json_writer w;
    w.begin_object()
        .number("unrealised_pnl", s.unrealised_pnl)
        .number("realised_pnl", s.realised_pnl)
        .number("total_pnl", round_money(s.unrealised_pnl + s.realised_pnl))
        .begin_array("positions");
    for(auto const& p : s.positions) {
        w.begin_object()
            .string("symbol", p.symbol)
            .string("side", p.side)
            .number("mark_price", p.mark_price)
            .number("unrealised_pnl", p.unrealised_pnl)
            .number("realised_pnl", p.realised_pnl)
            .end_object();
    }
    w.end_array().end_object();
    return w.release();
}

} // namespace tradepush::bybit
