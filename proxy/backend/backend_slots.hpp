// The bound on open connections per backend (backends.<name>.max_connections),
// for the whole process: every worker's pool draws its connections' slots from
// one BackendSlots. A connection holds its slot from before it connects until it
// is closed, also while it sits idle in a pool. A session that finds no free
// slot waits in a FIFO queue, bounded by its deadline; a slot that is freed goes
// to the first waiter, and idle connections are closed for waiters rather than
// pooled. Thread-safe; waits complete on the waiter's own executor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/metric_sink.hpp"

namespace mxgate::backend {

struct BackendSlotCounters {  // mxgate_backend_slot_<name>_total
    std::atomic<std::uint64_t> waits{0};          // sessions that found every slot taken
    std::atomic<std::uint64_t> wait_timeouts{0};  // of those, the ones whose deadline passed (451 4.3.2)
};

// One backend's slots and queue (backend_slots.cpp).
struct SlotState;

// The right to one open connection; move-only, gives the slot back when released or destroyed.
class BackendSlot {
public:
    BackendSlot() = default;
    explicit BackendSlot(std::shared_ptr<SlotState> state) : state_(std::move(state)) {}
    BackendSlot(BackendSlot&& other) noexcept;
    BackendSlot& operator=(BackendSlot&& other) noexcept;
    ~BackendSlot() { release(); }

    explicit operator bool() const { return state_ != nullptr; }
    // Idle connections are the ones a waiter may have closed (BackendSlots::acquire).
    void set_idle(bool idle);
    void release();

private:
    std::shared_ptr<SlotState> state_;
    bool idle_ = false;
};

class BackendSlots {
public:
    // Called (on any thread) when a waiter could use a slot held by an idle
    // connection: the pool closes one idle connection of `backend`, on its own thread.
    using Reclaim = std::function<void(const std::string& backend)>;

    BackendSlots() = default;
    BackendSlots(const BackendSlots&) = delete;
    BackendSlots& operator=(const BackendSlots&) = delete;

    // A slot of `backend`, waiting in line up to `timeout` when `max_connections`
    // are open; an empty slot when the wait timed out. A waiter destroyed while
    // it waits leaves the line (and gives back a slot it was just handed).
    boost::asio::awaitable<BackendSlot> acquire(const std::string& backend, unsigned max_connections,
                                                std::chrono::milliseconds timeout);
    // True when sessions wait for a slot of `backend`: a connection done with
    // should then be closed, not pooled, so its slot goes to the first of them.
    bool waiting(const std::string& backend);

    std::size_t add_pool(Reclaim reclaim);
    void remove_pool(std::size_t id);
    const BackendSlotCounters& counters() const noexcept { return counters_; }
    void report(filters::MetricSink& sink) const;

private:
    std::shared_ptr<SlotState> state_for(const std::string& backend);
    void reclaim(const std::string& backend);

    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<SlotState>> states_;
    std::map<std::size_t, Reclaim> pools_;
    std::size_t next_pool_ = 0;
    BackendSlotCounters counters_;
};

}  // namespace mxgate::backend
