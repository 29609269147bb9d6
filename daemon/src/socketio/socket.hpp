#pragma once
// One Socket.IO namespace connection ("socket") on top of an Engine.IO session.

#include "common/outbound.hpp"
#include "engineio/session.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::socketio {

namespace json = boost::json;

/// A client EVENT (or BINARY_EVENT) after attachment reconstruction.
struct event {
    std::string name;
    /// Arguments after the event name; binary arguments stay as `{"_placeholder":true,"num":i}`.
    json::array args;
    /// Binary attachments, in placeholder order.
    std::vector<std::string> attachments;
    /// Present when the client asked for an acknowledgement.
    std::optional<std::uint64_t> ack_id;
};

/// A namespace connection. Lives on its Engine.IO session's shard: call every member there.
class socket {
public:
    virtual ~socket() = default;

    /// The public socket id (fresh random per namespace connection; never the Engine.IO sid).
    virtual std::string const& id() const noexcept = 0;
    /// The namespace, e.g. "/".
    virtual std::string const& nsp() const noexcept = 0;
    /// The underlying Engine.IO session (handshake headers, executor, stats).
    virtual engineio::session& session() noexcept = 0;
    /// True once accepted and until disconnected.
    virtual bool connected() const noexcept = 0;

    /// Completes a pending CONNECT: sends `0<nsp,>{"sid":...}`. Events are delivered only after this.
    virtual void accept() = 0;
    /// Refuses a pending CONNECT: sends CONNECT_ERROR `4<nsp,>{"message":...,"data":...}`.
    /// `data` is omitted when null. The Engine.IO session stays open.
    virtual void reject(std::string_view message, json::value data = nullptr) = 0;

    /// Emits an event; `args` may contain placeholders for `attachments` (then a BINARY_EVENT is sent).
    virtual void emit(std::string_view name, json::array args = {},
        std::vector<std::string> attachments = {}) = 0;
    /// Answers the client's ack `id`; binary-capable like emit().
    virtual void ack(std::uint64_t id, json::array args = {},
        std::vector<std::string> attachments = {}) = 0;
    /// Sends a pre-serialized packet (built by encode_event_message) without per-connection work;
    /// `conflate_key != 0` lets a newer message with the same key replace an unsent one.
    virtual void send(outbound_ptr msg, std::uint64_t conflate_key = 0) = 0;

    /// Server-side namespace disconnect: sends DISCONNECT; clients do NOT auto-reconnect.
    virtual void disconnect() = 0;
    /// Closes the whole Engine.IO session; clients auto-reconnect.
    virtual void close_transport(std::string_view reason) = 0;
};

using socket_ptr = std::shared_ptr<socket>;

/// Builds the serialize-once Engine.IO message for a text EVENT `[name, payload]` in namespace `nsp`.
outbound_ptr encode_event_message(std::string_view nsp, std::string_view name,
    json::value const& payload);

} // namespace tradepush::socketio
