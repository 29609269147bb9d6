#include "admin/connection.hpp"

#include "admin/protocol.hpp"
#include "admin/redact.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <exception>

namespace tradepush::admin::detail {

namespace json = boost::json;

connection::connection(core& c, stream_protocol::socket socket, caller who)
    : core_(c)
    , socket_(std::move(socket))
    , caller_(std::move(who))
    , idle_(*c.ioc)
    , last_activity_(clock::now())
{
}

void
connection::start()
{
    out_.push_back(hello_line(core_.opts.version, caller_.level, caller_.peer));
    out_bytes_ = out_.back().size();
    do_write();
    arm_idle(core_.opts.idle_timeout);
    do_read();
}

void
connection::close()
{
    if(closed_)
        return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(stream_protocol::socket::shutdown_both, ec);
    socket_.close(ec);
    idle_.cancel();
    // Cancelling the deadlines lets the io_context run out of work so stop() can join.
    for(auto& p : pending_)
        if(p.deadline)
            p.deadline->cancel();
    pending_.clear();
    out_.clear();
    out_bytes_ = 0;
    core_.remove(caller_.connection);
}

//------------------------------------------------------------------------------
// Reading

void
connection::do_read()
{
    if(closed_ || read_done_ || reading_)
        return;
    // Bounded pipelining: a client that fires requests without reading replies stalls here, both
    // while requests are in flight and while their answers wait for it to read them.
    if(pending_.size() >= core_.opts.max_pipeline || out_bytes_ > core_.opts.max_output_bytes)
        return;
    reading_ = true;
    // max_size makes read_until fail with not_found instead of buffering an endless line.
    net::async_read_until(socket_, net::dynamic_buffer(in_, core_.opts.max_line + 1), '\n',
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void
connection::on_read(boost::system::error_code ec, std::size_t n)
{
    reading_ = false;
    if(closed_)
        return;
    if(ec == net::error::not_found) {
        // The rest of the line is unread garbage we cannot resynchronise on: answer, then close.
        read_done_ = true;
        push_ready(error_line(nullptr, errc::bad_request,
            "request line longer than " + std::to_string(core_.opts.max_line) + " bytes; closing"));
        return;
    }
    if(ec == net::error::eof) {
        // Half-close after the last request (`echo ... | socat`): still deliver what is pending.
        read_done_ = true;
        maybe_finish();
        return;
    }
    if(ec) {
        close();
        return;
    }
    last_activity_ = clock::now();
    // Take the line out of the buffer first: handling it may already start the next read.
    std::string line = in_.substr(0, n - 1);
    in_.erase(0, n);
    if(!line.empty() && line.back() == '\r')
        line.pop_back();
    handle_line(line);
    do_read();
}

void
connection::handle_line(std::string_view line)
{
    // Blank lines are harmless keep-alives from interactive users.
    if(line.find_first_not_of(" \t") == std::string_view::npos)
        return;
    auto req = parse_request(line);
    if(!req) {
        push_ready(error_line(req.error().id, errc::bad_request, req.error().message));
        return;
    }
    command const* c = core_.registry.find(req->cmd);
    if(!c) {
        json::array names;
        std::string list;
        for(auto const* a : core_.registry.available(caller_.level)) {
            names.emplace_back(a->name);
            list += (list.empty() ? "" : ", ") + a->name;
        }
        push_ready(error_line(req->id, errc::unknown_command,
            "unknown command '" + req->cmd + "'; available: " + list, json::object{{"commands", std::move(names)}}));
        return;
    }
    if(caller_.level < c->min_level) {
        std::string msg = "'" + c->name + "' needs level " + std::string(to_string(c->min_level)) +
            "; uid " + std::to_string(caller_.peer.uid) + " has " + std::string(to_string(caller_.level));
        pending p;
        p.cmd = c->name;
        p.args = redact(req->args);
        audit(p, "forbidden", msg);
        push_ready(error_line(req->id, errc::forbidden, msg));
        return;
    }
    run_command(*c, std::move(req->id), std::move(req->args));
}

//------------------------------------------------------------------------------
// Running commands

void
connection::push_ready(std::string line)
{
    pending p;
    p.seq = next_seq_++;
    p.line = std::move(line);
    pending_.push_back(std::move(p));
    flush();
}

void
connection::run_command(command const& c, json::value id, json::object args)
{
    auto const seq = next_seq_++;
    pending p;
    p.seq = seq;
    p.id = std::move(id);
    p.cmd = c.name;
    if(c.min_level > level::read)
        p.args = redact(args);
    p.started = clock::now();
    p.deadline = std::make_unique<net::steady_timer>(*core_.ioc);
    auto const limit = c.deadline.count() > 0 ? c.deadline : core_.opts.command_deadline;
    p.deadline->expires_after(limit);
    p.deadline->async_wait([self = shared_from_this(), seq, limit](boost::system::error_code ec) {
        if(ec)
            return;
        self->complete(seq, command_result(boost::system::in_place_error,
            command_error{std::string(errc::timeout),
                "no reply within " + std::to_string(limit.count()) + " ms"}));
    });
    pending_.push_back(std::move(p));

    // The responder may be called from any thread and after this connection is gone: it holds the
    // io_context (shared) and only a weak reference to us.
    responder reply([ioc = core_.ioc, weak = weak_from_this(), seq](command_result r) {
        net::post(*ioc, [weak, seq, r = std::move(r)]() mutable {
            if(auto self = weak.lock())
                self->complete(seq, std::move(r));
        });
    });
    // A throwing handler must not take the admin thread down with it.
    try {
        c.handler(std::move(args), caller_, reply);
    } catch(std::exception const& e) {
        reply.fail(std::string(errc::internal), std::string("command failed: ") + e.what());
    } catch(...) {
        reply.fail(std::string(errc::internal), "command failed: unknown exception");
    }
}

void
connection::complete(std::uint64_t seq, command_result r)
{
    if(closed_)
        return;
    for(auto& p : pending_) {
        if(p.seq != seq)
            continue;
        if(p.line)
            return; // already answered (deadline won the race)
        if(p.deadline)
            p.deadline->cancel();
        if(r) {
            audit(p, "ok", {});
            p.line = ok_line(p.id, *r);
        } else {
            audit(p, r.error().code, r.error().message);
            p.line = error_line(p.id, r.error().code, r.error().message);
        }
        flush();
        return;
    }
}

void
connection::audit(pending const& p, std::string_view outcome, std::string_view message) const
{
    // Read-level commands are not audited: they change nothing and monitoring polls them.
    if(p.args.is_null())
        return;
    auto const ms = p.started == clock::time_point{}
        ? 0
        : std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - p.started).count();
    core_.log().info("admin audit: uid={} pid={} level={} cmd=\"{}\" args={} outcome={}{}{} ms={}",
        caller_.peer.uid, caller_.peer.pid, to_string(caller_.level), p.cmd, json::serialize(p.args), outcome,
        message.empty() ? "" : " message=", message.empty() ? std::string() : json::serialize(json::value(message)),
        ms);
}

//------------------------------------------------------------------------------
// Writing

void
connection::flush()
{
    while(!pending_.empty() && pending_.front().line) {
        out_bytes_ += pending_.front().line->size();
        out_.push_back(std::move(*pending_.front().line));
        pending_.pop_front();
    }
    do_write();
    // Room again in the pipeline: resume a read paused by max_pipeline.
    do_read();
    maybe_finish();
}

void
connection::do_write()
{
    if(closed_ || writing_ || out_.empty())
        return;
    writing_ = true;
    net::async_write(socket_, net::buffer(out_.front()),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void
connection::on_write(boost::system::error_code ec, std::size_t)
{
    writing_ = false;
    if(closed_)
        return;
    if(ec) {
        close();
        return;
    }
    last_activity_ = clock::now();
    out_bytes_ -= out_.front().size();
    out_.pop_front();
    do_write();
    // The client read: room again for its next requests.
    do_read();
    maybe_finish();
}

void
connection::maybe_finish()
{
    if(read_done_ && pending_.empty() && out_.empty() && !writing_)
        close();
}

//------------------------------------------------------------------------------
// Idle timeout

void
connection::arm_idle(clock::duration after)
{
    idle_.expires_after(after);
    idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_idle(ec); });
}

void
connection::on_idle(boost::system::error_code ec)
{
    if(ec || closed_)
        return;
    auto const limit = std::chrono::duration_cast<clock::duration>(core_.opts.idle_timeout);
    // A command still running is not idleness; its deadline bounds the wait.
    if(!pending_.empty() && !writing_) {
        arm_idle(limit);
        return;
    }
    auto const quiet = clock::now() - last_activity_;
    if(quiet < limit) {
        arm_idle(limit - quiet);
        return;
    }
    if(writing_) {
        // A write stuck this long: the peer stopped reading. Free the slot.
        core_.log().warn("admin socket: uid={} pid={} stopped reading; closing", caller_.peer.uid, caller_.peer.pid);
        close();
        return;
    }
    // Say why before closing, best effort: a client that stopped reading gets no say.
    auto const line = error_line(nullptr, errc::timeout,
        "idle for " + std::to_string(core_.opts.idle_timeout.count()) + " ms; closing");
    boost::system::error_code wec;
    socket_.non_blocking(true, wec);
    socket_.write_some(net::buffer(line), wec);
    close();
}

} // namespace tradepush::admin::detail
