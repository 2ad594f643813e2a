// The key lookups of one message: started as soon as the signatures are read
// (the end of the header section), all at once on the session's executor, and
// awaited at the end of the message, so the body streams while DNS answers.
// Each lookup is bounded by one deadline, filters.dkim.timeout after begin() (the
// end of the header: a slow client's header costs the lookups nothing); one
// still running when the inspector goes away ends at that deadline, holding only
// shared state and the process-wide resolver. Answers are values, never thrown:
// a lookup past the deadline reads Status::timeout.
// Not thread-safe: the executor must run one thing at a time (a worker's
// io_context, or a strand), as the session's does.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/dns/deadline_query.hpp"
#include "filters/dns/resolver.hpp"

namespace mxgate::filters::dkim {

struct KeyAnswer {
    dns::Status status = dns::Status::timeout;
    std::string record;  // the first TXT record (its strings joined), when status is ok
};

class KeyFetcher {
public:
    KeyFetcher(dns::Resolver& resolver, boost::asio::any_io_executor executor, std::chrono::milliseconds timeout);

    // Sets the deadline of every lookup: `timeout` from now. Before start().
    void begin();
    // Asks for the TXT record of `name` unless it was asked already.
    void start(const std::string& name);
    std::size_t asked() const { return shared_->answers.size(); }

    // Until every answer is in or the deadline passed. Returns false when the
    // caller was cancelled (then it returns at once, the lookups run on).
    boost::asio::awaitable<bool> wait_all();

    // The answer for a name start() was given; a lookup not done yet reads timeout.
    KeyAnswer answer(const std::string& name) const;

private:
    struct Shared {
        explicit Shared(boost::asio::any_io_executor executor) : wake(std::move(executor)) {}
        std::map<std::string, KeyAnswer> answers;
        std::size_t pending = 0;
        boost::asio::steady_timer wake;  // cancelled when the last answer came in
    };
    static boost::asio::awaitable<void> fetch(std::shared_ptr<Shared> shared, dns::Resolver& resolver,
                                              std::string name, dns::QueryDeadline deadline);

    dns::Resolver& resolver_;
    boost::asio::any_io_executor executor_;
    std::chrono::milliseconds timeout_;
    dns::QueryDeadline deadline_;
    std::shared_ptr<Shared> shared_;
};

}  // namespace mxgate::filters::dkim
