// BackendPool: opens transactions and keeps idle SMTP/LMTP connections per worker.
#include <algorithm>

#include <boost/asio/post.hpp>

#include "proxy/backend/backend.hpp"
#include "proxy/backend/backend_log.hpp"
#include "proxy/backend/connection.hpp"
#include "proxy/backend/maildir_store.hpp"
#include "proxy/backend/pool_core.hpp"
#include "proxy/backend/smtp_transaction.hpp"

namespace mxgate::backend {

asio::awaitable<std::vector<core::Reply>> Transaction::end_data_per_recipient() {
    core::Reply reply = co_await end_data();
    co_return std::vector<core::Reply>{std::move(reply)};
}

// ---------------------------------------------------------------- PoolCore

PoolCore::PoolCore(asio::io_context& io, std::shared_ptr<BackendSlots> slots)
    : io_(io), slots_(std::move(slots)), sweeper_(io) {}

PoolCore::~PoolCore() {
    shutdown();
    if (disk_) disk_->join();  // queued deliveries finish; nothing is abandoned half-written
}

asio::thread_pool& PoolCore::disk() {
    // Two threads: one slow fsync does not hold up every other delivery of the worker.
    if (!disk_) disk_.emplace(2);
    return *disk_;
}

std::shared_ptr<Connection> PoolCore::take(const std::string& backend, const std::vector<std::string>& keys) {
    auto found = idle_.find(backend);
    if (found == idle_.end()) return nullptr;
    auto& list = found->second;
    const auto now = Clock::now();
    // Newest first: it is the most likely to be alive and warm.
    for (auto it = list.rbegin(); it != list.rend();) {
        const bool wanted = std::find(keys.begin(), keys.end(), it->connection->key()) != keys.end();
        if (!wanted) {
            ++it;
            continue;
        }
        std::shared_ptr<Connection> connection = std::move(it->connection);
        const bool fresh = it->expires > now;
        it = decltype(it)(list.erase(std::next(it).base()));
        if (fresh && connection->alive()) {
            connection->slot().set_idle(false);
            if (log::debug_enabled())
                log::debug(backend_line("backend_reuse", connection->conversation().settings().peer));
            return connection;
        }
        connection->close();
    }
    if (list.empty()) idle_.erase(found);
    return nullptr;
}

void PoolCore::put(std::shared_ptr<Connection> connection, const std::string& backend, unsigned max_idle,
                   std::chrono::milliseconds idle_timeout) {
    if (shut_down_ || max_idle == 0 || idle_timeout.count() <= 0 ||
        connection->conversation().health() != Health::clean || slots_->waiting(backend)) {
        connection->close();
        return;
    }
    auto& list = idle_[backend];
    while (list.size() >= max_idle) {  // the oldest go first
        list.front().connection->close();
        list.pop_front();
    }
    connection->slot().set_idle(true);
    list.push_back(Idle{std::move(connection), Clock::now() + idle_timeout});
    schedule_sweep();
}

void PoolCore::close_one_idle(const std::string& backend) {
    auto found = idle_.find(backend);
    if (found == idle_.end()) return;
    found->second.front().connection->close();
    found->second.pop_front();
    if (found->second.empty()) idle_.erase(found);
}

void PoolCore::clear() {
    for (auto& [name, list] : idle_)
        for (auto& idle : list) idle.connection->close();
    idle_.clear();
    sweeper_.cancel();
}

void PoolCore::shutdown() {
    shut_down_ = true;
    clear();
}

std::size_t PoolCore::idle_count() const {
    std::size_t n = 0;
    for (const auto& [name, list] : idle_) n += list.size();
    return n;
}

void PoolCore::sweep() {
    const auto now = Clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
        auto& list = it->second;
        for (auto idle = list.begin(); idle != list.end();) {
            if (idle->expires <= now || !idle->connection->alive()) {
                idle->connection->close();
                idle = list.erase(idle);
            } else {
                ++idle;
            }
        }
        it = list.empty() ? idle_.erase(it) : std::next(it);
    }
}

void PoolCore::schedule_sweep() {
    if (sweeping_ || idle_.empty()) return;
    auto earliest = Clock::time_point::max();
    for (const auto& [name, list] : idle_)
        for (const auto& idle : list) earliest = std::min(earliest, idle.expires);
    sweeping_ = true;
    sweeper_.expires_at(earliest);
    sweeper_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self) return;
        self->sweeping_ = false;
        if (ec || self->shut_down_) return;
        self->sweep();
        self->schedule_sweep();
    });
}

// ---------------------------------------------------------------- BackendPool

struct BackendPool::Impl {
    std::shared_ptr<PoolCore> core;
    std::size_t slots_id = 0;  // our entry in the slots' pool list
};

BackendPool::BackendPool(asio::io_context& io, std::shared_ptr<BackendSlots> slots)
    : impl_(std::make_unique<Impl>(Impl{std::make_shared<PoolCore>(io, slots)})) {
    // Asked from any thread; the idle list is touched only on this worker's thread.
    impl_->slots_id = slots->add_pool([&io, weak = std::weak_ptr<PoolCore>(impl_->core)](const std::string& backend) {
        asio::post(io, [weak, backend] {
            if (auto core = weak.lock()) core->close_one_idle(backend);
        });
    });
}

BackendPool::~BackendPool() {
    impl_->core->slots().remove_pool(impl_->slots_id);
    impl_->core->shutdown();
}

std::unique_ptr<Transaction> BackendPool::open(std::shared_ptr<const config::Config> config,
                                               const config::Backend& backend,
                                               std::shared_ptr<asio::ssl::context> tls, const ClientInfo& client,
                                               const Envelope& envelope) {
    if (backend.kind == config::BackendKind::maildir)
        return make_maildir_transaction(impl_->core, std::move(config), backend, envelope);
    std::string helo = backend.helo_name;
    if (helo.empty()) helo = config->server.hostname;  // which parse_config never leaves empty
    return std::make_unique<SmtpTransaction>(impl_->core, std::move(config), backend, std::move(tls), client,
                                             envelope, std::move(helo));
}

asio::thread_pool& BackendPool::disk() { return impl_->core->disk(); }

void BackendPool::clear() { impl_->core->clear(); }

}  // namespace mxgate::backend
