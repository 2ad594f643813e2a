// The content of one message on its way to the backend: the trace headers
// mxgate prepends, the removal of forged Authentication-Results fields, and a
// message held for its end-of-data verdict when a content filter reads it.
// Part of Session (session.hpp); split from session.cpp to keep each file short.
#include "proxy/session/session.hpp"

#include "filters/auth_results.hpp"
#include "filters/dnsbl/fcrdns.hpp"
#include "proxy/log.hpp"
#include "proxy/session/received.hpp"

namespace mxgate::session {

namespace asio = boost::asio;

namespace {

// What the client's reply says became of a held message.
filters::MessageFate fate_of(const core::Reply& answer, bool quarantine) {
    if (answer.code >= 200 && answer.code < 300)
        return quarantine ? filters::MessageFate::quarantined : filters::MessageFate::delivered;
    return answer.code >= 500 ? filters::MessageFate::refused : filters::MessageFate::deferred;
}

// An Authentication-Results field longer than this is dropped unread (RFC 8601
// fields are short; a huge one is an attack on whoever parses it downstream),
// and a held message with any field longer than this is refused (the content
// filters would not see it).
constexpr std::size_t max_held_header_field = 64 * 1024;
// The header the policy's `header` conditions read, at most; later fields are
// not seen by them (Postfix's header_size_limit is 100 KiB).
constexpr std::size_t policy_header_size = 1024 * 1024;
constexpr std::size_t released_buffer_size = 16 * 1024;  // smaller buffers are kept for the next message

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
    for (const auto& field : policy_scopes_.at(core::Stage::end_of_data).headers) added += field + "\r\n";
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

// Whether this message is held for its verdict: when an enabled content filter
// wants to read it. Then mxgate answers the 354 itself and the backend sees DATA
// only after the verdict; otherwise the content streams as it arrives.
bool Session::hold_message() {
    policy_scopes_.begin(core::Stage::end_of_data);  // what the rules settled for this message
    const policy::rules::Settled& settled = policy_scopes_.at(core::Stage::end_of_data);
    filters::MessageFeed feed;
    if (!settled.accepted)
        feed = generation_->chain.begin_message(view_for(core::Stage::end_of_data), stream_.socket().get_executor(),
                                                settled.skip);
    const bool rules_read_it = policy_reads_message();
    // Also a message for a recipient that may have it already: delivered only after the store said not.
    if (feed.empty() && !rules_read_it && lmtp_mode_ != LmtpMode::alone_remembered) return false;
    held_ = std::make_unique<HeldMessage>(std::move(feed), config_.spool, max_held_header_field,
                                          rules_read_it ? policy_header_size : 0);
    return true;
}

// The content of one message starts: forged Authentication-Results fields naming
// us are cut out on the way, and the trace headers wait for the first bytes (a
// held message gets them at delivery, when every result is known).
void Session::begin_content() {
    if (!held_) pending_header_ = trace_headers();
    begin_digest();
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
    const bool written = co_await write_content(out);
    // Past the header filtered_ is not used again in this message: a first read of
    // up to 64 KiB must not stay allocated while the rest of the message is held.
    if (header_filter_->in_body() && filtered_.capacity() > released_buffer_size) std::string().swap(filtered_);
    co_return written;
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
    if (digest_) digest_->update(content);
    if (held_) co_return held_->add(content);
    co_return co_await send_to_backend(content);
}

asio::awaitable<bool> Session::send_to_backend(std::string_view content) {
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

// A held message after its last byte: the content filters finish (the
// end_of_data stage), and only a message that passes is sent to the backend,
// with mxgate's fields first. A refused one never reaches it: the serve loop
// resets the backend transaction, which never saw DATA.
asio::awaitable<core::Reply> Session::deliver_held() {
    co_await finish_content();
    held_->finish();
    if (held_->hidden_fields() > 0) {
        const core::Reply refusal = core::make_reply(550, "5.6.0", "Error: message refused: header field too long");
        log::info(log::Line("content_refused").add("session", client_.session_id).add("reason", refusal.summary()));
        co_return refusal;
    }
    Spool& spool = held_->spool();
    if (spool.failed()) {
        log::warn(log::Line("spool_failed").add("session", client_.session_id).add("error", spool.error()));
        co_return core::make_reply(451, "4.3.0", "Error: cannot hold the message now, try again later");
    }
    const auto verdict = co_await run_stage(core::Stage::end_of_data, &held_->feed());
    const bool quarantine = verdict && verdict->action == policy::Verdict::Action::quarantine;
    core::Reply answer = co_await apply_held_verdict(verdict);
    held_->feed().concluded(fate_of(answer, quarantine));
    co_return answer;
}

// The reply the end-of-data verdict becomes: a refusal as it is, a quarantine,
// or the backend's answer.
asio::awaitable<core::Reply> Session::apply_held_verdict(const std::optional<policy::Verdict>& verdict) {
    if (verdict && verdict->action == policy::Verdict::Action::quarantine) {
        core::Reply answer = co_await quarantine_held(*verdict);
        co_return answer;
    }
    if (verdict) co_return verdict->reply();
    if (lmtp_mode_ == LmtpMode::alone_remembered) {
        std::optional<core::Reply> known = co_await delivered_before();
        if (known) co_return *known;
    }
    const std::string headers = trace_headers();
    core::Reply answer = co_await send_held(headers);
    co_return answer;
}

// The held message to transaction_ (the route's, or the quarantine backend's),
// `headers` first. The backend's answer, or 451 when the spool fails.
asio::awaitable<core::Reply> Session::send_held(const std::string& headers) {
    Spool& spool = held_->spool();
    core::Reply ready = co_await transaction_->begin_data();
    if (ready.code != 354) co_return ready;  // the backend's refusal (or 451 when it failed)
    pending_header_ = headers;
    Spool::Reader parts(spool);
    bool sent = true;
    while (sent) {
        const std::string_view part = parts.next();
        if (part.empty()) break;  // the end, or a read error: end_data must not say 250 for less than the message
        sent = co_await send_to_backend(part);
    }
    if (spool.failed()) {
        log::warn(log::Line("spool_failed").add("session", client_.session_id).add("error", spool.error()));
        co_return core::make_reply(451, "4.3.0", "Error: cannot hold the message now, try again later");
    }
    if (sent && !pending_header_.empty()) co_await send_to_backend({});  // an empty message: the fields alone
    core::Reply answer = co_await end_backend_data();  // 451 if any write failed
    co_return answer;
}

}  // namespace mxgate::session
