#include "shapes.hpp"

#include "format.hpp"

#include <cmath>

namespace tradepush::bybit_sim {

namespace json = boost::json;

namespace {

std::string
ms(std::int64_t v)
{
    return std::to_string(v);
}

std::string
px(instrument const& inst, double v)
{
    return fmt_fixed(v, inst.price_decimals);
}

std::string
qty(instrument const& inst, double v)
{
    return fmt_fixed(v, inst.qty_decimals);
}

std::string
pct(double now, double before)
{
    return before > 0 ? fmt_fixed((now - before) / before, 6) : "0";
}

// Funding settles every 8 h on the hour boundaries 00/08/16 UTC.
std::int64_t
next_funding(std::int64_t now_ms)
{
    constexpr std::int64_t period = 8LL * 3600 * 1000;
    return (now_ms / period + 1) * period;
}

} // namespace

json::object
envelope(int ret_code, std::string const& ret_msg, json::object result, std::int64_t time_ms)
{
    json::object o;
    o["retCode"] = ret_code;
    o["retMsg"] = ret_msg;
    o["result"] = std::move(result);
    o["retExtInfo"] = json::object{};
    o["time"] = time_ms;
    return o;
}

json::object
rest_ticker(instrument const& i, std::int64_t now_ms)
{
    json::object o;
    o["symbol"] = i.symbol;
    if (i.cat == category::spot) {
        o["bid1Price"] = px(i, i.bid1);
        o["bid1Size"] = qty(i, i.bid1_size);
        o["ask1Price"] = px(i, i.ask1);
        o["ask1Size"] = qty(i, i.ask1_size);
        o["lastPrice"] = px(i, i.last);
        o["prevPrice24h"] = px(i, i.prev_24h);
        o["price24hPcnt"] = pct(i.last, i.prev_24h);
        o["highPrice24h"] = px(i, i.high_24h);
        o["lowPrice24h"] = px(i, i.low_24h);
        o["turnover24h"] = fmt_amount(i.turnover_24h, 8);
        o["volume24h"] = fmt_amount(i.volume_24h, 8);
        o["usdIndexPrice"] = fmt_amount(i.index, 8);
        return o;
    }
    o["lastPrice"] = px(i, i.last);
    o["indexPrice"] = px(i, i.index);
    o["markPrice"] = px(i, i.mark);
    o["prevPrice24h"] = px(i, i.prev_24h);
    o["price24hPcnt"] = pct(i.last, i.prev_24h);
    o["highPrice24h"] = px(i, i.high_24h);
    o["lowPrice24h"] = px(i, i.low_24h);
    o["prevPrice1h"] = px(i, i.prev_1h);
    o["openInterest"] = fmt_amount(i.open_interest, 3);
    o["openInterestValue"] = fmt_fixed(i.open_interest * i.mark, 2);
    o["turnover24h"] = fmt_fixed(i.turnover_24h, 4);
    o["volume24h"] = fmt_fixed(i.volume_24h, 4);
    o["fundingRate"] = fmt_amount(i.funding_rate, 6);
    o["nextFundingTime"] = ms(next_funding(now_ms));
    o["predictedDeliveryPrice"] = "";
    o["basisRate"] = "";
    o["deliveryFeeRate"] = "";
    o["deliveryTime"] = "0";
    o["ask1Size"] = qty(i, i.ask1_size);
    o["bid1Price"] = px(i, i.bid1);
    o["ask1Price"] = px(i, i.ask1);
    o["bid1Size"] = qty(i, i.bid1_size);
    o["basis"] = "";
    o["preOpenPrice"] = "";
    o["preQty"] = "";
    o["curPreListingPhase"] = "";
    o["fundingIntervalHour"] = "8";
    o["basisRateYear"] = "";
    o["fundingCap"] = "0.005";
    return o;
}

json::object
ws_ticker(instrument const& i, std::int64_t now_ms)
{
    json::object o;
    o["symbol"] = i.symbol;
    if (i.cat == category::spot) {
        // Spot WS tickers carry no bid/ask (spec §5.2).
        o["lastPrice"] = px(i, i.last);
        o["highPrice24h"] = px(i, i.high_24h);
        o["lowPrice24h"] = px(i, i.low_24h);
        o["prevPrice24h"] = px(i, i.prev_24h);
        o["volume24h"] = fmt_amount(i.volume_24h, 8);
        o["turnover24h"] = fmt_amount(i.turnover_24h, 8);
        o["price24hPcnt"] = pct(i.last, i.prev_24h);
        o["usdIndexPrice"] = fmt_amount(i.index, 8);
        return o;
    }
    o["tickDirection"] = i.tick_direction;
    o["price24hPcnt"] = pct(i.last, i.prev_24h);
    o["lastPrice"] = px(i, i.last);
    o["prevPrice24h"] = px(i, i.prev_24h);
    o["highPrice24h"] = px(i, i.high_24h);
    o["lowPrice24h"] = px(i, i.low_24h);
    o["prevPrice1h"] = px(i, i.prev_1h);
    o["markPrice"] = px(i, i.mark);
    o["indexPrice"] = px(i, i.index);
    o["openInterest"] = fmt_amount(i.open_interest, 3);
    o["openInterestValue"] = fmt_fixed(i.open_interest * i.mark, 2);
    o["turnover24h"] = fmt_fixed(i.turnover_24h, 4);
    o["volume24h"] = fmt_fixed(i.volume_24h, 4);
    o["fundingIntervalHour"] = "8";
    o["fundingCap"] = "0.005";
    o["nextFundingTime"] = ms(next_funding(now_ms));
    o["fundingRate"] = fmt_amount(i.funding_rate, 6);
    o["bid1Price"] = px(i, i.bid1);
    o["bid1Size"] = qty(i, i.bid1_size);
    o["ask1Price"] = px(i, i.ask1);
    o["ask1Size"] = qty(i, i.ask1_size);
    o["preOpenPrice"] = "";
    o["preQty"] = "";
    o["curPreListingPhase"] = "";
    return o;
}

json::object
wallet_item(wallet_view const& w)
{
    auto rate = [](double num, double den) { return den > 0 ? fmt_amount(num / den, 4) : std::string("0"); };
    json::object o;
    o["totalEquity"] = fmt_amount(w.total_equity, 8);
    o["accountIMRate"] = rate(w.total_im, w.total_margin);
    o["accountIMRateByMp"] = rate(w.total_im, w.total_margin);
    o["totalMarginBalance"] = fmt_amount(w.total_margin, 8);
    o["totalInitialMargin"] = fmt_amount(w.total_im, 8);
    o["totalInitialMarginByMp"] = fmt_amount(w.total_im, 8);
    o["accountType"] = "UNIFIED";
    o["totalAvailableBalance"] = fmt_amount(w.total_available, 8);
    o["accountMMRate"] = rate(w.total_mm, w.total_margin);
    o["accountMMRateByMp"] = rate(w.total_mm, w.total_margin);
    o["totalPerpUPL"] = fmt_amount(w.total_perp_upl, 8);
    o["totalWalletBalance"] = fmt_amount(w.total_wallet, 8);
    o["accountLTV"] = "0";
    o["totalMaintenanceMargin"] = fmt_amount(w.total_mm, 8);
    o["totalMaintenanceMarginByMp"] = fmt_amount(w.total_mm, 8);
    json::array coins;
    for (auto const& c : w.coins) {
        json::object k;
        k["availableToBorrow"] = "";
        k["bonus"] = "0";
        k["accruedInterest"] = "0";
        k["availableToWithdraw"] = "";
        k["totalOrderIM"] = fmt_amount(c.order_im, 8);
        k["equity"] = fmt_amount(c.equity, 8);
        k["totalPositionMM"] = fmt_amount(c.position_mm, 8);
        k["usdValue"] = fmt_amount(c.usd_value, 8);
        k["spotHedgingQty"] = "0";
        k["unrealisedPnl"] = fmt_amount(c.upl, 8);
        k["collateralSwitch"] = true;
        k["borrowAmount"] = "0";
        k["totalPositionIM"] = fmt_amount(c.position_im, 8);
        k["walletBalance"] = fmt_amount(c.wallet, 8);
        k["cumRealisedPnl"] = fmt_amount(c.cum_realised, 8);
        k["locked"] = fmt_amount(c.locked, 8);
        k["marginCollateral"] = true;
        k["coin"] = c.coin;
        k["spotBorrow"] = "0";
        coins.push_back(std::move(k));
    }
    o["coin"] = std::move(coins);
    return o;
}

json::object
position_row(position_view const& v, bool ws)
{
    auto const& i = *v.inst;
    auto const& p = *v.pos;
    bool const open = std::fabs(p.size) > 1e-12;
    json::object o;
    o["positionIdx"] = 0;
    o["riskId"] = 1;
    o["riskLimitValue"] = "2000000";
    o["symbol"] = i.symbol;
    o["side"] = open ? (p.size > 0 ? "Buy" : "Sell") : "";
    o["size"] = qty(i, std::fabs(p.size));
    o[ws ? "entryPrice" : "avgPrice"] = open ? px(i, p.avg_price) : std::string("0");
    o["positionValue"] = open ? fmt_amount(v.value, 8) : std::string("0");
    o["tradeMode"] = 0;
    o["positionStatus"] = "Normal";
    o["autoAddMargin"] = 0;
    o["adlRankIndicator"] = open ? 2 : 0;
    o["leverage"] = fmt_amount(p.leverage, 2);
    o["breakEvenPrice"] = open ? px(i, v.break_even) : std::string("0");
    o["positionBalance"] = open ? fmt_amount(v.im, 8) : std::string("0");
    o["markPrice"] = px(i, v.mark);
    // REST says "" for an out-of-range liq price; the WS sample says "0" for a flat one.
    o["liqPrice"] = open ? px(i, v.liq) : std::string(ws ? "0" : "");
    o["bustPrice"] = "";
    o["positionMM"] = fmt_amount(v.mm, 8);
    o["positionMMByMp"] = fmt_amount(v.mm, 8);
    o["positionIM"] = fmt_amount(v.im, 8);
    o["positionIMByMp"] = fmt_amount(v.im, 8);
    o["tpslMode"] = "Full";
    o["takeProfit"] = "0";
    o["stopLoss"] = "0";
    o["trailingStop"] = "0";
    o["unrealisedPnl"] = fmt_amount(v.upl, 8);
    o["curRealisedPnl"] = fmt_amount(p.cur_realised, 8);
    o["cumRealisedPnl"] = fmt_amount(p.cum_realised, 8);
    o["seq"] = p.seq;
    o["isReduceOnly"] = false;
    // The REST sample spells it mmrSysUpdateTime, the WS one mmrSysUpdatedTime: keep both as Bybit does.
    o[ws ? "mmrSysUpdatedTime" : "mmrSysUpdateTime"] = "";
    o["leverageSysUpdatedTime"] = "";
    o["sessionAvgPrice"] = ws ? "0" : "";
    o["createdTime"] = ms(p.created_ms);
    o["updatedTime"] = ms(p.updated_ms);
    if (ws)
        o["category"] = "linear";
    return o;
}

json::object
order_row(order const& o, instrument const& i, bool ws)
{
    bool const has_fill = o.cum_qty > 1e-12;
    bool const open = o.is_open();
    json::object r;
    r["orderId"] = o.order_id;
    r["orderLinkId"] = o.order_link_id;
    r["blockTradeId"] = "";
    r["symbol"] = o.symbol;
    r["price"] = o.order_type == "Market" && o.cat == category::spot ? std::string("0") : px(i, o.price);
    r["qty"] = qty(i, o.qty);
    r["side"] = o.side;
    if (!ws)
        r["isLeverage"] = o.cat == category::spot ? "0" : "";
    r["positionIdx"] = 0;
    r["orderStatus"] = o.status;
    r["cancelType"] = o.cancel_type;
    r["rejectReason"] = o.reject_reason;
    // Docs show "0" for an unfilled order's avgPrice where the spec says "" — both parse; we use "".
    r["avgPrice"] = has_fill ? px(i, o.cum_value / o.cum_qty) : std::string("");
    r["leavesQty"] = qty(i, open ? o.leaves() : 0.0);
    r["leavesValue"] = fmt_amount(open ? o.leaves() * o.price : 0.0, 8);
    r["cumExecQty"] = qty(i, o.cum_qty);
    r["cumExecValue"] = fmt_amount(o.cum_value, 8);
    r["cumExecFee"] = fmt_amount(o.cum_fee, 8);
    r["timeInForce"] = o.time_in_force;
    r["orderType"] = o.order_type;
    r["stopOrderType"] = ws ? "" : "UNKNOWN";
    r["orderIv"] = "";
    r["triggerPrice"] = ws ? "" : "0";
    r["takeProfit"] = ws ? "" : "0";
    r["stopLoss"] = ws ? "" : "0";
    r["tpTriggerBy"] = "";
    r["slTriggerBy"] = "";
    r["triggerDirection"] = 0;
    r["triggerBy"] = ws ? "" : "UNKNOWN";
    r["lastPriceOnCreated"] = px(i, o.last_price_on_created);
    r["reduceOnly"] = o.reduce_only;
    r["closeOnTrigger"] = false;
    r["smpType"] = "None";
    r["smpGroup"] = 0;
    r["smpOrderId"] = "";
    r["tpslMode"] = "";
    r["tpLimitPrice"] = "";
    r["slLimitPrice"] = "";
    r["placeType"] = "";
    r["createdTime"] = ms(o.created_ms);
    r["updatedTime"] = ms(o.updated_ms);
    std::string const fee_coin = o.cat == category::spot ? (o.side == "Buy" ? i.base : i.quote) : i.quote;
    json::object fee_detail;
    if (has_fill)
        fee_detail[fee_coin] = fmt_amount(o.cum_fee, 8);
    r["cumFeeDetail"] = std::move(fee_detail);
    if (ws) {
        r["closedPnl"] = fmt_amount(o.closed_pnl, 8);
        r["category"] = to_string(o.cat);
        r["feeCurrency"] = o.cat == category::spot ? fee_coin : std::string("");
        r["rpiTakerAccess"] = false;
        r["rpiMatchedQty"] = "0";
    }
    return r;
}

json::object
execution_row(execution const& e, instrument const& i)
{
    json::object r;
    r["category"] = to_string(e.cat);
    r["symbol"] = e.symbol;
    r["closedSize"] = qty(i, e.closed_size);
    r["execFee"] = fmt_amount(e.exec_fee, 8);
    r["execId"] = e.exec_id;
    r["execPrice"] = px(i, e.exec_price);
    r["execQty"] = qty(i, e.exec_qty);
    r["execType"] = "Trade";
    r["execValue"] = fmt_amount(e.exec_qty * e.exec_price, 8);
    r["feeRate"] = fmt_amount(e.fee_rate, 8);
    r["tradeIv"] = "";
    r["markIv"] = "";
    r["blockTradeId"] = "";
    r["markPrice"] = px(i, e.mark_price);
    r["indexPrice"] = "";
    r["underlyingPrice"] = "";
    r["leavesQty"] = qty(i, e.leaves_qty);
    r["orderId"] = e.order_id;
    r["orderLinkId"] = e.order_link_id;
    r["orderPrice"] = px(i, e.order_price);
    r["orderQty"] = qty(i, e.order_qty);
    r["orderType"] = e.order_type;
    r["stopOrderType"] = "UNKNOWN";
    r["side"] = e.side;
    r["execTime"] = ms(e.exec_time);
    r["isLeverage"] = "0";
    r["isMaker"] = e.is_maker;
    r["seq"] = e.seq;
    r["marketUnit"] = "";
    r["execPnl"] = fmt_amount(e.exec_pnl, 8);
    r["createType"] = "CreateByUser";
    r["extraFees"] = json::array{};
    r["feeCurrency"] = e.fee_currency.empty() ? i.quote : e.fee_currency;
    return r;
}

json::object
closed_pnl_row(closed_pnl const& c, instrument const& i)
{
    json::object r;
    r["symbol"] = c.symbol;
    r["orderType"] = c.order_type;
    r["leverage"] = fmt_amount(c.leverage, 2);
    r["updatedTime"] = ms(c.updated_ms);
    r["side"] = c.side;
    r["orderId"] = c.order_id;
    r["closedPnl"] = fmt_amount(c.closed_pnl_value, 8);
    r["openFee"] = fmt_amount(c.open_fee, 8);
    r["closeFee"] = fmt_amount(c.close_fee, 8);
    r["avgEntryPrice"] = fmt_amount(c.closed_size > 0 ? c.entry_value / c.closed_size : 0, 8);
    r["qty"] = qty(i, c.qty);
    r["cumEntryValue"] = fmt_amount(c.entry_value, 8);
    r["createdTime"] = ms(c.created_ms);
    r["orderPrice"] = px(i, c.order_price);
    r["closedSize"] = qty(i, c.closed_size);
    r["avgExitPrice"] = fmt_amount(c.closed_size > 0 ? c.exit_value / c.closed_size : 0, 8);
    r["execType"] = "Trade";
    r["fillCount"] = std::to_string(c.fill_count);
    r["cumExitValue"] = fmt_amount(c.exit_value, 8);
    return r;
}

} // namespace tradepush::bybit_sim
