// A deadline for a phase of a session (waiting for a command, receiving a
// message): set once when the phase starts and never pushed back by traffic, so
// a client trickling one byte a second cannot hold a slot. One timer per session;
// moving the deadline later costs no timer operation (the watchdog re-arms lazily,
// as in Asio's timeouts example).
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace mxgate::session {

class Deadline {
public:
    using clock = std::chrono::steady_clock;

    explicit Deadline(const boost::asio::any_io_executor& executor) : timer_(executor, clock::time_point::max()) {}

    void expires_after(clock::duration d) { expires_at(clock::now() + d); }
    void expires_at(clock::time_point at);
    bool passed() const { return clock::now() >= at_; }
    // The watchdog fired since the deadline was last set: the guarded I/O was cancelled for it.
    bool fired() const { return fired_; }

    // Runs until stop(); calls on_expire (which cancels the guarded I/O) whenever
    // the deadline passes. Keep the owner alive while it runs.
    boost::asio::awaitable<void> watch(std::function<void()> on_expire);
    void stop();

private:
    boost::asio::steady_timer timer_;
    clock::time_point at_ = clock::time_point::max();
    bool stopped_ = false;
    bool fired_ = false;
};

}  // namespace mxgate::session
