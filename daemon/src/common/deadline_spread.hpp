#pragma once
// Per-connection deadlines drawn from a span instead of one value. A client that opens hundreds of
// connections at once (a flood, or a carrier NAT reconnecting a cell) would otherwise see them all
// expire in the same millisecond, and the worker would close them in one burst while every other
// connection on it waits for its writes.

#include <chrono>

namespace tradepush {

/// `d` less a random part of at most an eighth of it (so never longer than `d`, never shorter than
/// 7/8 of it). Uses a generator of the calling thread's own: callable from any thread, not for secrets.
std::chrono::milliseconds spread_deadline(std::chrono::milliseconds d) noexcept;

} // namespace tradepush
