// A worker thread: its own io_context, its own acceptors (SO_REUSEPORT), its
// sessions and its backend connection pool. Nothing in a worker is shared with
// another worker except the ConnectionLimiter and the current Generation.
// Control calls (drain, abort, stop) may come from any thread; they are posted.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "proxy/backend/backend.hpp"
#include "proxy/generation.hpp"
#include "proxy/listener.hpp"

namespace mxgate {

namespace session {
class Session;
}

using GenerationSource = std::function<std::shared_ptr<const Generation>()>;

class Worker {
public:
    // `backend_slots` is shared by every worker: backend max_connections is per process.
    Worker(unsigned index, ConnectionLimiter& limiter, std::shared_ptr<backend::BackendSlots> backend_slots,
           GenerationSource current_generation);
    ~Worker();

    boost::asio::io_context& io() { return io_; }
    // Takes a bound acceptor for `listener` and serves it once start() runs.
    void serve(boost::asio::ip::tcp::acceptor acceptor, const config::Listener& listener);

    void start();
    void drain();  // stop accepting; sessions finish their transaction, then 421
    void abort();  // the shutdown deadline passed: end every session now
    void stop();   // end the event loop and join the thread
    unsigned sessions() const { return session_count_.load(); }
    void clear_backend_pool();  // after a reload, drop idle connections of the old config

private:
    boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor, config::Listener listener);
    boost::asio::awaitable<void> run_session(std::shared_ptr<session::Session> session, std::string client_key);
    std::string next_session_id();

    unsigned index_;
    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    ConnectionLimiter& limiter_;
    GenerationSource current_generation_;
    backend::BackendPool pool_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<config::Listener> listeners_;
    std::unordered_set<session::Session*> sessions_;
    std::atomic<unsigned> session_count_{0};
    std::uint64_t session_counter_ = 0;
    std::uint32_t id_prefix_;
    std::thread thread_;
};

}  // namespace mxgate
