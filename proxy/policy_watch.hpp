// Reloads the configuration when the policy file or one of its list files
// changes (issue 12 item 6), as SIGHUP does: every policy.watch_interval the
// files the current generation's policy was compiled from are stat()ed and
// compared with their stamps from that compile. A reload the loader refuses
// (the new policy does not compile) is not tried again for the same files:
// the old generation keeps serving, and the error is logged once per change,
// whether the watcher or SIGHUP tried them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "proxy/config/config.hpp"
#include "proxy/core/file_stamp.hpp"

namespace mxgate {

// The decision, without clock or I/O: whether files stamped `now` need a reload.
class PolicyWatch {
public:
    // `built_from`: the stamps the current generation was compiled from.
    bool should_reload(const std::vector<core::FileStamp>& built_from,
                       const std::vector<core::FileStamp>& now) const {
        return now != built_from && now != refused_;
    }
    // A reload of the files as stamped `now` was refused: wait for the next change.
    void refused(std::vector<core::FileStamp> now) { refused_ = std::move(now); }

private:
    std::vector<core::FileStamp> refused_;
};

// The policy's files as they are now, in the order of their stamps in the config.
std::vector<core::FileStamp> policy_file_stamps(const config::Config& config);

// The first of the files whose stamp differs (for the log), "" when none does.
std::string first_changed(const std::vector<core::FileStamp>& built_from, const std::vector<core::FileStamp>& now);

// The loop, on the control io_context, with the thread's one PolicyWatch (the
// caller marks refused reloads in it). `current` is the config in force; `reload`
// is SIGHUP's, called with the reason "policy_changed".
boost::asio::awaitable<void> watch_policy(PolicyWatch& watch,
                                          std::function<std::shared_ptr<const config::Config>()> current,
                                          std::function<void(const std::string& reason)> reload);

}  // namespace mxgate
