// A message held for its end-of-data verdict (issue 11), when a content filter
// reads it: every byte the session would forward goes to the spool and, through
// the splitter, to the filters' inspectors, in one pass. After the verdict the
// session sends the spool to the backend, or drops it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "filters/message_feed.hpp"
#include "policy/rules/facts.hpp"
#include "proxy/config/config.hpp"
#include "proxy/session/spool.hpp"
#include "proxy/smtp/message_splitter.hpp"

namespace mxgate::session {

class HeldMessage final : smtp::MessageSink {
public:
    // Fields longer than `max_field_size` are not shown to the inspectors (MessageSplitter).
    // `policy_header_size` > 0: the header fields are kept for the policy's rules, up
    // to that many bytes of them (a header of a million tiny fields stays bounded).
    HeldMessage(filters::MessageFeed feed, const config::Spool& spool, std::size_t max_field_size,
                std::size_t policy_header_size = 0)
        : feed_(std::move(feed)), spool_(spool.memory_limit.bytes, spool.directory), splitter_(*this, max_field_size),
          policy_header_room_(policy_header_size) {}
    HeldMessage(const HeldMessage&) = delete;
    HeldMessage& operator=(const HeldMessage&) = delete;

    // Content as forwarded (dot-stuffed, CRLF-only); false once the spool failed.
    bool add(std::string_view content) {
        splitter_.feed(content);
        return spool_.append(content);
    }
    // The content ended: the inspectors get what the splitter still holds.
    void finish() { splitter_.finish(); }

    // Header fields the inspectors did not see (too long): their verdict would be on another message.
    std::size_t hidden_fields() const noexcept { return splitter_.dropped_fields(); }
    filters::MessageFeed& feed() noexcept { return feed_; }
    std::span<const policy::rules::HeaderField> header_fields() const noexcept { return header_fields_; }
    Spool& spool() noexcept { return spool_; }

private:
    void header_field(std::string_view field) override {
        feed_.header_field(field);
        keep_for_policy(field);
    }
    void keep_for_policy(std::string_view field);
    void end_of_header() override { feed_.end_of_header(); }
    void body(std::string_view chunk) override { feed_.body(chunk); }

    filters::MessageFeed feed_;
    Spool spool_;
    smtp::MessageSplitter splitter_;
    std::size_t policy_header_room_;
    std::vector<policy::rules::HeaderField> header_fields_;
};

}  // namespace mxgate::session
