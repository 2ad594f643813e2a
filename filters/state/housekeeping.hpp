// Periodic expiry for the state store: SQLite keeps expired rows until
// expire() deletes them (Redis expires keys itself; there expire() is a no-op).
// Run one loop per process (co_spawn it on one worker); it ends when its
// executor stops or the operation is cancelled. Store errors are logged and
// retried at the next tick, never thrown.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/awaitable.hpp>

#include "filters/state/store.hpp"

namespace mxgate::filters::state {

boost::asio::awaitable<void> housekeeping_loop(Store& store, std::chrono::milliseconds interval,
                                               std::function<TimePoint()> clock);

}  // namespace mxgate::filters::state
