#include "proxy/worker.hpp"

#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/log.hpp"
#include "proxy/session/session.hpp"

namespace mxgate {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Over a limit: a 421 and close, without building a session (RFC 5321 §3.8).
asio::awaitable<void> refuse(tcp::socket socket, std::string text) {
    boost::system::error_code ec;
    co_await asio::async_write(socket, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

}  // namespace

Worker::Worker(unsigned index, ConnectionLimiter& limiter, std::shared_ptr<backend::BackendSlots> backend_slots,
               GenerationSource current_generation)
    : index_(index),
      work_(io_.get_executor()),
      limiter_(limiter),
      current_generation_(std::move(current_generation)),
      pool_(io_, std::move(backend_slots)),
      id_prefix_(std::random_device{}()) {}

Worker::~Worker() { stop(); }

void Worker::serve(tcp::acceptor acceptor, const config::Listener& listener) {
    acceptors_.push_back(std::make_unique<tcp::acceptor>(std::move(acceptor)));
    listeners_.push_back(listener);
}

void Worker::start() {
    for (std::size_t i = 0; i < acceptors_.size(); ++i)
        asio::co_spawn(io_, accept_loop(*acceptors_[i], listeners_[i]), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
}

std::string Worker::next_session_id() {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%08x%02x%06llx", id_prefix_, index_ & 0xff,
                  static_cast<unsigned long long>(++session_counter_ & 0xffffff));
    return buffer;
}

asio::awaitable<void> Worker::accept_loop(tcp::acceptor& acceptor, config::Listener listener) {
    asio::steady_timer backoff(io_);
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of file descriptors and the like: wait instead of spinning.
            log::warn(log::Line("accept_failed").add("error", ec.message()));
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        auto generation = current_generation_();
        boost::system::error_code peer_ec;
        auto client = normalize(socket.remote_endpoint(peer_ec).address());
        if (peer_ec) continue;
        auto client_key = connection_limit_key(client, generation->config->limits);
        if (!limiter_.try_acquire(client_key, generation->config->limits)) {
            log::info(log::Line("connection_refused").add("client", client.to_string()).add("network", client_key)
                          .add("reason", "limit"));
            asio::co_spawn(io_, refuse(std::move(socket), "421 4.7.0 " + generation->config->server.hostname +
                                                               " Error: too many connections\r\n"),
                           asio::detached);
            continue;
        }
        auto session = std::make_shared<session::Session>(std::move(socket), std::move(generation), listener, pool_,
                                                          next_session_id());
        sessions_.insert(session.get());
        ++session_count_;
        asio::co_spawn(io_, run_session(std::move(session), std::move(client_key)), asio::detached);
    }
}

// The session is a coroutine parameter, so the frame owns it until the end.
asio::awaitable<void> Worker::run_session(std::shared_ptr<session::Session> session, std::string client_key) {
    co_await session->run();
    sessions_.erase(session.get());
    limiter_.release(client_key);
    --session_count_;
}

void Worker::drain() {
    asio::post(io_, [this] {
        for (auto& acceptor : acceptors_) {
            boost::system::error_code ignored;
            acceptor->close(ignored);
        }
        for (auto* session : sessions_) session->drain();
        pool_.clear();
    });
}

void Worker::abort() {
    asio::post(io_, [this] {
        for (auto* session : sessions_) session->abort();
    });
}

void Worker::clear_backend_pool() {
    asio::post(io_, [this] { pool_.clear(); });
}

void Worker::stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
}

}  // namespace mxgate
