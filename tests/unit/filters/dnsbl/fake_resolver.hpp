// A scripted dns::Resolver for filter tests: a table (name, type) -> Answer, each
// entry optionally answered after a delay or never. Unknown questions answer
// NXDOMAIN. Like the real resolver, a cancelled query (the caller's budget ran
// out) completes at once with Status::timeout. Records every question and the
// highest number of questions in flight at once, so tests can assert concurrency.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "filters/dns/resolver.hpp"

namespace mxgate::test {

class FakeResolver final : public filters::dns::Resolver {
public:
    using Answer = filters::dns::Answer;
    using Status = filters::dns::Status;
    using RecordType = filters::dns::RecordType;

    struct Entry {
        Answer answer;
        std::chrono::milliseconds delay{0};
        bool never = false;  // waits until cancelled
    };

    void set(std::string name, RecordType type, Answer answer, std::chrono::milliseconds delay = {}) {
        table_[{std::move(name), type}] = Entry{std::move(answer), delay, false};
    }
    void records(std::string name, RecordType type, std::vector<std::string> records,
                 std::chrono::milliseconds delay = {}) {
        set(std::move(name), type, Answer{Status::ok, std::move(records), 300}, delay);
    }
    void status(std::string name, RecordType type, Status status, std::chrono::milliseconds delay = {}) {
        set(std::move(name), type, Answer{status, {}, 60}, delay);
    }
    void never(std::string name, RecordType type) { table_[{std::move(name), type}] = Entry{{}, {}, true}; }

    boost::asio::awaitable<Answer> query(std::string name, RecordType type) override {
        asked.emplace_back(name, type);
        ++in_flight_;
        max_in_flight = std::max(max_in_flight, in_flight_);
        Entry entry{Answer{Status::nxdomain, {}, 60}};
        if (auto it = table_.find({name, type}); it != table_.end()) entry = it->second;
        Answer out = entry.answer;
        if (entry.never || entry.delay.count() > 0) {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
            if (entry.never)
                timer.expires_at(boost::asio::steady_timer::time_point::max());
            else
                timer.expires_after(entry.delay);
            try {
                co_await timer.async_wait(boost::asio::use_awaitable);
            } catch (const boost::system::system_error&) {  // cancelled by the caller
                ++cancelled;
                out = Answer{Status::timeout};
            }
        }
        --in_flight_;
        co_return out;
    }

    bool was_asked(const std::string& name, RecordType type) const {
        return std::find(asked.begin(), asked.end(), std::pair{name, type}) != asked.end();
    }

    std::vector<std::pair<std::string, RecordType>> asked;
    int max_in_flight = 0;
    int cancelled = 0;

private:
    std::map<std::pair<std::string, RecordType>, Entry> table_;
    int in_flight_ = 0;
};

}  // namespace mxgate::test
