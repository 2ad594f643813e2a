// A scripted dns::Resolver for the filter unit tests (SPF, DKIM, DMARC, DNSBL): answers from a
// table, nodata for another type of a name it knows, nxdomain for anything else. An answer can
// come after a delay, or never ("hang"); like UnboundResolver, a query cancelled by the caller's
// budget completes at once with Status::timeout. Counts the questions (in all and per question),
// the most in flight at once and the cancelled ones, so tests can assert cost and concurrency.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "filters/dns/resolver.hpp"

namespace mxgate::test {

class ScriptedResolver final : public filters::dns::Resolver {
public:
    using RecordType = filters::dns::RecordType;
    using Answer = filters::dns::Answer;
    using Status = filters::dns::Status;

    void add(std::string name, RecordType type, std::vector<std::string> records,
             std::chrono::milliseconds delay = {}) {
        script(std::move(name), type, Scripted{Answer{Status::ok, std::move(records), 300}, delay});
    }
    void fail(std::string name, RecordType type, Status status) {
        script(std::move(name), type, Scripted{Answer{status, {}, 0}});
    }
    // Every type of the name never answers.
    void hang(std::string name) {
        std::lock_guard lock(mutex_);
        hanging_names_.insert(filters::dns::canonical_name(name));
    }
    // This one question never answers; the name's other types answer as scripted.
    void hang(std::string name, RecordType type) {
        script(std::move(name), type, Scripted{Answer{Status::timeout}, {}, true});
    }
    // Forgets the script and the counts: a fresh resolver for the next case of a table,
    // where a filter still holds a reference to this one.
    void reset() {
        std::lock_guard lock(mutex_);
        script_.clear();
        hanging_names_.clear();
        asked_.clear();
        in_flight_ = max_in_flight_ = cancelled_ = 0;
    }

    int asked() const {
        std::lock_guard lock(mutex_);
        int total = 0;
        for (const auto& [question, times] : asked_) total += times;
        return total;
    }
    int asked(const std::string& name, RecordType type) const {
        std::lock_guard lock(mutex_);
        const auto it = asked_.find({filters::dns::canonical_name(name), type});
        return it == asked_.end() ? 0 : it->second;
    }
    int max_in_flight() const {
        std::lock_guard lock(mutex_);
        return max_in_flight_;
    }
    // Questions that ended early because the caller cancelled them.
    int cancelled() const {
        std::lock_guard lock(mutex_);
        return cancelled_;
    }

    boost::asio::awaitable<Answer> query(std::string name, RecordType type) override {
        Scripted scripted = start_question(filters::dns::canonical_name(name), type);
        if (scripted.hangs || scripted.delay.count() > 0) {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
            if (scripted.hangs)
                timer.expires_at(boost::asio::steady_timer::time_point::max());
            else
                timer.expires_after(scripted.delay);
            try {
                co_await timer.async_wait(boost::asio::use_awaitable);
            } catch (const boost::system::system_error&) {  // cancelled by the caller
                scripted.answer = Answer{Status::timeout};
                std::lock_guard lock(mutex_);
                ++cancelled_;
            }
        }
        std::lock_guard lock(mutex_);
        --in_flight_;
        co_return scripted.answer;
    }

private:
    using Question = std::pair<std::string, RecordType>;
    struct Scripted {
        Answer answer;
        std::chrono::milliseconds delay{0};
        bool hangs = false;
    };

    void script(std::string name, RecordType type, Scripted scripted) {
        std::lock_guard lock(mutex_);
        script_[{filters::dns::canonical_name(name), type}] = std::move(scripted);
    }

    // Counts the question and finds its script.
    Scripted start_question(const std::string& name, RecordType type) {
        std::lock_guard lock(mutex_);
        ++asked_[{name, type}];
        max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
        Scripted scripted{Answer{Status::nxdomain}};
        if (auto it = script_.find({name, type}); it != script_.end()) {
            scripted = it->second;
        } else {
            // The name exists when any type is known for it: nodata.
            for (const auto& [question, other] : script_)
                if (question.first == name) scripted.answer = Answer{Status::nodata};
        }
        scripted.hangs = scripted.hangs || hanging_names_.contains(name);
        return scripted;
    }

    mutable std::mutex mutex_;
    std::map<Question, Scripted> script_;
    std::set<std::string> hanging_names_;
    std::map<Question, int> asked_;
    int in_flight_ = 0;
    int max_in_flight_ = 0;
    int cancelled_ = 0;
};

}  // namespace mxgate::test
