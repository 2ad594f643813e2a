// The shared part of a BackendPool: idle connections kept for reuse, the
// worker's io_context, and a small thread pool for
// blocking disk work (Maildir fsync). Held by shared_ptr so that transactions
// and their detached RSET coroutines may outlive a pool that is shutting down:
// after shutdown() every returned connection is closed. Internal; one per
// worker thread, not thread-safe (only the disk pool runs elsewhere).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "proxy/backend/backend_slots.hpp"

namespace mxgate::backend {

namespace asio = boost::asio;
class Connection;

class PoolCore : public std::enable_shared_from_this<PoolCore> {
public:
    using Clock = std::chrono::steady_clock;

    PoolCore(asio::io_context& io, std::shared_ptr<BackendSlots> slots);
    ~PoolCore();

    asio::io_context& io() { return io_; }
    BackendSlots& slots() { return *slots_; }
    asio::thread_pool& disk();  // created on first use

    // The newest idle connection of `backend` whose key is one of `keys`, not
    // older than its idle limit and still alive; nullptr if none.
    std::shared_ptr<Connection> take(const std::string& backend, const std::vector<std::string>& keys);
    // Keeps a clean connection for reuse (or closes it: pool full, shut down, or
    // sessions waiting for its slot).
    void put(std::shared_ptr<Connection> connection, const std::string& backend, unsigned max_idle,
             std::chrono::milliseconds idle_timeout);
    // Closes the oldest idle connection of `backend`, if any: a waiter needs its slot.
    void close_one_idle(const std::string& backend);
    void clear();
    void shutdown();
    std::size_t idle_count() const;

private:
    struct Idle {
        std::shared_ptr<Connection> connection;
        Clock::time_point expires;
    };
    void sweep();
    void schedule_sweep();

    asio::io_context& io_;
    std::shared_ptr<BackendSlots> slots_;
    std::map<std::string, std::deque<Idle>> idle_;  // backend name -> oldest first
    asio::steady_timer sweeper_;
    bool sweeping_ = false;
    bool shut_down_ = false;
    std::optional<asio::thread_pool> disk_;
};

}  // namespace mxgate::backend
