#include "proxy/backend/backend_slots.hpp"

#include <algorithm>
#include <deque>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/log.hpp"

namespace mxgate::backend {

namespace asio = boost::asio;

namespace {

// One session in line. Its timer is the deadline, and is cancelled (on the
// waiter's own executor) to wake it when a slot is handed over.
struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : wake(executor) {}
    asio::steady_timer wake;
    bool granted = false;  // under SlotState::mutex
};

}  // namespace

struct SlotState {
    std::mutex mutex;
    unsigned open = 0;  // slots held: connecting, in use or idle
    unsigned idle = 0;  // of those, held by pooled idle connections
    unsigned max = 0;   // the latest max_connections asked with (a reload may change it)
    std::deque<std::shared_ptr<Waiter>> waiters;  // FIFO

    // A slot comes back: to the first waiter while the bound allows, else freed.
    void give_back(bool was_idle) {
        std::lock_guard lock(mutex);
        if (was_idle) --idle;
        if (!waiters.empty() && open <= max) {
            auto waiter = std::move(waiters.front());
            waiters.pop_front();
            waiter->granted = true;  // the slot is the waiter's now: `open` stays
            auto executor = waiter->wake.get_executor();
            asio::post(executor, [waiter = std::move(waiter)] { waiter->wake.cancel(); });
            return;
        }
        --open;
    }
};

BackendSlot::BackendSlot(BackendSlot&& other) noexcept
    : state_(std::move(other.state_)), idle_(std::exchange(other.idle_, false)) {}

BackendSlot& BackendSlot::operator=(BackendSlot&& other) noexcept {
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        idle_ = std::exchange(other.idle_, false);
    }
    return *this;
}

void BackendSlot::set_idle(bool idle) {
    if (!state_ || idle == idle_) return;
    std::lock_guard lock(state_->mutex);
    idle ? ++state_->idle : --state_->idle;
    idle_ = idle;
}

void BackendSlot::release() {
    if (!state_) return;
    std::shared_ptr<SlotState> state = std::move(state_);
    state->give_back(std::exchange(idle_, false));
}

std::shared_ptr<SlotState> BackendSlots::state_for(const std::string& backend) {
    std::lock_guard lock(mutex_);
    auto& state = states_[backend];
    if (!state) state = std::make_shared<SlotState>();
    return state;
}

bool BackendSlots::waiting(const std::string& backend) {
    auto state = state_for(backend);
    std::lock_guard lock(state->mutex);
    return !state->waiters.empty();
}

std::size_t BackendSlots::add_pool(Reclaim reclaim) {
    std::lock_guard lock(mutex_);
    pools_.emplace(next_pool_, std::move(reclaim));
    return next_pool_++;
}

void BackendSlots::remove_pool(std::size_t id) {
    std::lock_guard lock(mutex_);
    pools_.erase(id);
}

void BackendSlots::reclaim(const std::string& backend) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, reclaim] : pools_) reclaim(backend);
}

asio::awaitable<BackendSlot> BackendSlots::acquire(const std::string& backend, unsigned max_connections,
                                                   std::chrono::milliseconds timeout) {
    auto state = state_for(backend);
    auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
    bool idle_held = false;
    {
        std::lock_guard lock(state->mutex);
        state->max = max_connections;
        if (state->open < max_connections && state->waiters.empty()) {
            ++state->open;
            waiter.reset();
        } else {
            state->waiters.push_back(waiter);
            idle_held = state->idle > 0;
        }
    }
    if (!waiter) co_return BackendSlot(state);

    // Leaves the line however the wait ends, also when the coroutine is destroyed
    // mid-wait; a slot handed over meanwhile is taken (`slot`) or passed on.
    struct InLine {
        std::shared_ptr<SlotState> state;
        std::shared_ptr<Waiter> waiter;
        bool granted() {
            std::lock_guard lock(state->mutex);
            if (!waiter->granted)
                state->waiters.erase(std::find(state->waiters.begin(), state->waiters.end(), waiter));
            return std::exchange(waiter->granted, false);
        }
        ~InLine() {
            if (waiter && granted()) state->give_back(false);
        }
    } in_line{state, waiter};

    ++counters_.waits;
    if (idle_held) reclaim(backend);
    const auto start = std::chrono::steady_clock::now();
    waiter->wake.expires_after(timeout);
    boost::system::error_code ec;
    co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const bool got = in_line.granted();
    in_line.waiter.reset();
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (!got) {
        ++counters_.wait_timeouts;
        log::warn(log::Line("backend_busy").add("backend", backend)
                      .add("max_connections", static_cast<long long>(max_connections)).add("waited_ms", waited));
        co_return BackendSlot();
    }
    log::info(log::Line("backend_slot_wait").add("backend", backend)
                  .add("max_connections", static_cast<long long>(max_connections)).add("waited_ms", waited));
    co_return BackendSlot(state);
}

void BackendSlots::report(filters::MetricSink& sink) const {
    sink.counter("mxgate_backend_slot_waits_total", "Sessions that found every backend connection slot taken",
                 counters_.waits.load());
    sink.counter("mxgate_backend_slot_wait_timeouts_total", "Of those, the ones whose deadline passed (451 4.3.2)",
                 counters_.wait_timeouts.load());
}

}  // namespace mxgate::backend
