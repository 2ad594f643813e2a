// A scripted dns::Resolver for the SPF, DKIM and DMARC unit tests: answers from a table, nxdomain for
// anything else; names marked "hang" never answer until the query is cancelled
// (then Status::timeout, as UnboundResolver does). Counts the questions asked.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/dns/resolver.hpp"

namespace mxgate::test {

class ScriptedResolver final : public filters::dns::Resolver {
public:
    using RecordType = filters::dns::RecordType;
    using Answer = filters::dns::Answer;
    using Status = filters::dns::Status;

    void add(std::string name, RecordType type, std::vector<std::string> records) {
        std::lock_guard lock(mutex_);
        answers_[{lower(std::move(name)), type}] = Answer{Status::ok, std::move(records), 300};
    }
    void fail(std::string name, RecordType type, Status status) {
        std::lock_guard lock(mutex_);
        answers_[{lower(std::move(name)), type}] = Answer{status, {}, 0};
    }
    void hang(std::string name) {
        std::lock_guard lock(mutex_);
        hanging_.insert(lower(std::move(name)));
    }
    int asked() const { return asked_.load(); }

    boost::asio::awaitable<Answer> query(std::string name, RecordType type) override {
        ++asked_;
        const std::string key = lower(std::move(name));
        bool hangs = false;
        Answer answer{Status::nxdomain};
        {
            std::lock_guard lock(mutex_);
            hangs = hanging_.contains(key);
            if (auto it = answers_.find({key, type}); it != answers_.end()) {
                answer = it->second;
            } else {
                // The name exists when any type is known for it: nodata.
                for (const auto& [k, v] : answers_)
                    if (k.first == key) answer = Answer{Status::nodata};
            }
        }
        if (hangs) {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, std::chrono::hours(1));
            co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            co_return Answer{Status::timeout};
        }
        co_return answer;
    }

private:
    static std::string lower(std::string s) {
        if (!s.empty() && s.back() == '.') s.pop_back();
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        return s;
    }
    std::mutex mutex_;
    std::map<std::pair<std::string, RecordType>, Answer> answers_;
    std::set<std::string> hanging_;
    std::atomic<int> asked_{0};
};

}  // namespace mxgate::test
