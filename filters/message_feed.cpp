#include "filters/message_feed.hpp"

#include <exception>
#include <iterator>

namespace mxgate::filters {

void MessageFeed::add(const Filter& filter, std::unique_ptr<MessageInspector> inspector) {
    entries_.push_back({&filter, std::move(inspector)});
}

void MessageFeed::header_field(std::string_view field) {
    for (auto& entry : entries_) entry.inspector->header_field(field);
}

void MessageFeed::end_of_header() {
    for (auto& entry : entries_) entry.inspector->end_of_header();
}

void MessageFeed::body(std::string_view chunk) {
    for (auto& entry : entries_) entry.inspector->body(chunk);
}

boost::asio::awaitable<std::vector<core::Finding>> MessageFeed::finish(const TransactionView& view) {
    // Each inspector sees the transaction's findings plus those found before it. Those
    // are copied into `seen` only once an inspector found something a later one must
    // see: never with one content filter, once per message with DKIM and then DMARC.
    std::vector<core::Finding> seen;
    TransactionView own = view;
    if (!own.findings) own.findings = &seen;  // inspectors may count on a vector
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        Entry& entry = entries_[i];
        try {
            entry.found = co_await entry.inspector->finish(own);
        } catch (const std::exception& e) {
            // No action: policy fails closed on it, as on a filter that throws in the chain.
            entry.found = {{std::string(entry.filter->name()), core::Outcome::temperror, {{"error", "exception"}}, e.what()}};
        }
        entry.finished = true;
        if (entry.found.empty() || i + 1 == entries_.size()) continue;
        if (own.findings != &seen) {
            if (view.findings) seen = *view.findings;
            own.findings = &seen;
        }
        seen.insert(seen.end(), entry.found.begin(), entry.found.end());
    }
    // Handed over, not copied: at_deadline() is for a finish() that did not end.
    std::vector<core::Finding> out;
    for (auto& entry : entries_)
        out.insert(out.end(), std::make_move_iterator(entry.found.begin()), std::make_move_iterator(entry.found.end()));
    co_return out;
}

std::vector<core::Finding> MessageFeed::at_deadline() const {
    std::vector<core::Finding> out;
    for (const auto& entry : entries_) {
        auto found = entry.finished ? entry.found : entry.filter->timed_out(core::Stage::end_of_data);
        out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    }
    return out;
}

void MessageFeed::concluded(MessageFate fate) {
    for (auto& entry : entries_) entry.inspector->concluded(fate);
}

}  // namespace mxgate::filters
