#include "filters/message_feed.hpp"

#include <exception>

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
    // Each inspector sees the transaction's findings plus those found before it.
    std::vector<core::Finding> seen = view.findings ? *view.findings : std::vector<core::Finding>{};
    TransactionView own = view;
    own.findings = &seen;
    std::vector<core::Finding> out;
    for (auto& entry : entries_) {
        try {
            entry.found = co_await entry.inspector->finish(own);
        } catch (const std::exception& e) {
            // No action: policy fails closed on it, as on a filter that throws in the chain.
            entry.found = {{std::string(entry.filter->name()), core::Outcome::temperror, {{"error", "exception"}}, e.what()}};
        }
        entry.finished = true;
        seen.insert(seen.end(), entry.found.begin(), entry.found.end());
        out.insert(out.end(), entry.found.begin(), entry.found.end());
    }
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

}  // namespace mxgate::filters
