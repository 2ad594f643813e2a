// Delivers one claimed quarantine item through the normal route: the same
// Router and BackendPool the session uses, on the caller's io_context. One
// transaction per route backend (one per recipient for LMTP); a recipient is
// marked delivered in the item's metadata as soon as its backend said 250, so a
// retry (release --force) never sends it twice, except when mxgate dies between
// that 250 and the metadata update: the at-least-once window.
// Errors are values: each failed recipient with the reply that refused it.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "proxy/config/config.hpp"
#include "proxy/quarantine/quarantine_store.hpp"

namespace mxgate::quarantine {

struct ReleaseResult {
    std::vector<std::string> delivered;  // "alice@example.org: 250 2.0.0 Ok ..."
    std::vector<std::string> failed;     // "bob@example.org: 451 4.3.0 ..."
    std::string store_error;             // the metadata could not be updated
    bool complete() const { return failed.empty() && store_error.empty(); }
};

// `item` must be claimed (releasing/); its recipients' delivered flags are updated in the store.
// Runs on `io` (the BackendPool's loop).
boost::asio::awaitable<ReleaseResult> release_item(boost::asio::io_context& io,
                                                   std::shared_ptr<const config::Config> config,
                                                   const QuarantineStore& store, Item& item);

}  // namespace mxgate::quarantine
