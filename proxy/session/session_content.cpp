// The content of one message on its way to the backend: the trace headers
// mxgate prepends and the removal of forged Authentication-Results fields.
// Part of Session (session.hpp); split from session.cpp to keep each file short.
#include "proxy/session/session.hpp"

#include "filters/auth_results.hpp"
#include "filters/dnsbl/fcrdns.hpp"
#include "proxy/log.hpp"
#include "proxy/session/received.hpp"

namespace mxgate::session {

namespace asio = boost::asio;

namespace {

// An Authentication-Results field longer than this is dropped unread (RFC 8601
// fields are short; a huge one is an attack on whoever parses it downstream).
constexpr std::size_t max_held_header_field = 64 * 1024;

}  // namespace

// What mxgate prepends: Authentication-Results with every check's result (RFC
// 8601 §5: at the top), the filters' own fields (Received-SPF), then Received.
std::string Session::trace_headers() {
    std::vector<std::string> resinfos;
    std::string added;
    for (const auto& finding : findings_) {
        if (auto resinfo = finding.attr("auth_results"); !resinfo.empty()) resinfos.emplace_back(resinfo);
        added += finding.attr("add_header");
    }
    std::string headers;
    if (!resinfos.empty()) headers = filters::authentication_results_header(config_.server.authserv_id, resinfos);
    const auto& recipients = state_.recipients();
    headers += added;
    headers += session::received_header(
        {state_.helo(), client_.address_text(), filters::dnsbl::confirmed_name(findings_).value_or(client_.name),
         config_.server.hostname, state_.esmtp(), state_.smtputf8(), stream_.tls_version(), stream_.tls_cipher(),
         client_.session_id + "." + std::to_string(state_.transactions()),
         recipients.size() == 1 ? recipients.front() : std::string(), std::chrono::system_clock::now()});
    return headers;
}

// The content of one message starts: its trace headers wait for the first bytes,
// and forged Authentication-Results fields naming us are cut out on the way.
void Session::begin_content() {
    pending_header_ = trace_headers();
    header_filter_.emplace(
        "authentication-results",
        [this](std::string_view field) { return filters::claims_authserv_id(field, config_.server.authserv_id); },
        max_held_header_field);
}

asio::awaitable<bool> Session::forward(std::string_view content) {
    std::string_view out = content;
    if (!header_filter_->in_body()) {
        filtered_.clear();
        header_filter_->feed(content, filtered_);
        out = filtered_;
    }
    // Refused at the end (finish_message): not a byte of it goes to the backend.
    if (header_filter_->starts_with_continuation()) co_return true;
    co_return co_await write_content(out);
}

// Content the header checks refuse whole, whatever the filters say.
std::optional<core::Reply> Session::refuse_header() const {
    if (!header_filter_->starts_with_continuation()) return std::nullopt;
    // It would continue the last field mxgate prepends (a forged Received).
    return core::make_reply(550, "5.6.0", "Error: message refused: header starts with a continuation line");
}

// The end of the content: whatever the header filter still holds.
asio::awaitable<bool> Session::finish_content() {
    filtered_.clear();
    header_filter_->finish(filtered_);
    if (header_filter_->removed() > 0)
        log::info(log::Line("header_removed").add("session", client_.session_id)
                      .add("field", "Authentication-Results").add("count", header_filter_->removed()));
    co_return co_await write_content(filtered_);
}

asio::awaitable<bool> Session::write_content(std::string_view content) {
    if (!pending_header_.empty()) {
        // One write for the header and the first bytes: small messages go in one segment.
        pending_header_.append(content);
        std::string first = std::move(pending_header_);
        pending_header_.clear();
        co_return co_await transaction_->write(first);
    }
    if (content.empty()) co_return true;
    co_return co_await transaction_->write(content);
}

}  // namespace mxgate::session
