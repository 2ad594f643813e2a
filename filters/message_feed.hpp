// The inspectors of one message (issue 11): the session feeds them all at once
// as the message arrives, and the chain finishes them one after the other in
// registry order, each seeing the findings of those before it (DMARC needs
// DKIM's). Single-threaded: it lives on the session's executor.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/filter.hpp"

namespace mxgate::filters {

class MessageFeed {
public:
    void add(const Filter& filter, std::unique_ptr<MessageInspector> inspector);
    bool empty() const noexcept { return entries_.empty(); }

    void header_field(std::string_view field);
    void end_of_header();
    void body(std::string_view chunk);

    // Every inspector's findings, in order. An inspector that throws becomes a
    // temperror naming its filter, as in the chain.
    boost::asio::awaitable<std::vector<core::Finding>> finish(const TransactionView& view);
    // At the stage deadline, when finish() did not end: the findings of the inspectors
    // done so far, and the timed_out() findings of the filters of the rest.
    std::vector<core::Finding> at_deadline() const;
    // Tells every inspector what became of the message (MessageInspector::concluded).
    void concluded(MessageFate fate);

private:
    struct Entry {
        const Filter* filter;
        std::unique_ptr<MessageInspector> inspector;
        bool finished = false;
        std::vector<core::Finding> found;
    };
    std::vector<Entry> entries_;
};

}  // namespace mxgate::filters
