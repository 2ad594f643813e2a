// LMTP with several recipients per transaction: the session's side of
// lmtp_memory.hpp (which recipients a transaction takes, the content digest, the
// end of data with one reply per recipient, the store records of a mixed outcome).
// Part of Session (session.hpp); split from session.cpp to keep each file short.
#include "proxy/session/session.hpp"

#include "proxy/log.hpp"

namespace mxgate::session {

namespace asio = boost::asio;

using filters::state::system_now;

bool Session::lmtp_transaction() const {
    return transaction_backend_ && transaction_backend_->kind == config::BackendKind::lmtp;
}

// Asks the store, for each recipient, whether this sender's mail to it had a
// mixed outcome; a store that cannot answer keeps the transaction to one recipient.
asio::awaitable<LmtpAdmission> Session::admit_lmtp_recipient() {
    const std::size_t accepted = state_.recipients().size();
    if (accepted > 0 && lmtp_mode_ != LmtpMode::shared) co_return LmtpAdmission{false, lmtp_mode_};
    std::optional<bool> mixed_before;
    if (generation_->store) {
        const std::string key = mixed_outcome_key(state_.sender().str(), state_.pending_rcpt().address.str());
        const auto now = system_now();
        auto found = co_await generation_->store->has_mark(key, now);
        if (found) mixed_before = *found;
    }
    co_return session::admit_lmtp_recipient(accepted, lmtp_mode_, mixed_before);
}

void Session::begin_digest() {
    // One recipient the store could not ask about: nothing to remember or to look up.
    if (lmtp_transaction() && lmtp_mode_ != LmtpMode::alone_unknown) digest_.emplace(state_.sender().str());
}

const std::string& Session::content_digest() {
    if (digest_hex_.empty() && digest_) digest_hex_ = digest_->hex();
    return digest_hex_;
}

// The one recipient of a transaction whose earlier attempt had a mixed outcome:
// 250 when it got this message then (nothing is delivered again), 451 when the
// store cannot say (a duplicate is not risked), nullopt to deliver it now.
asio::awaitable<std::optional<core::Reply>> Session::delivered_before() {
    const std::string& recipient = state_.recipients().front();
    if (!generation_->store) co_return memory_unavailable_reply();
    const std::string key = delivered_key(recipient, content_digest());
    const auto now = system_now();
    auto found = co_await generation_->store->has_mark(key, now);
    log::Line line("lmtp_retry");
    line.add("session", client_.session_id).add("rcpt", recipient);
    if (!found) {
        log::warn(line.add("result", "store_unavailable").add("error", found.error().message()));
        co_return memory_unavailable_reply();
    }
    log::info(line.add("result", *found ? "already_delivered" : "deliver"));
    if (!*found) co_return std::nullopt;
    backend_reply_ = "none (already delivered)";
    co_return already_delivered_reply();
}

// The backend's verdict on the message. LMTP with the memory in use: one reply
// per recipient, combined into the client's (lmtp_memory.hpp).
asio::awaitable<core::Reply> Session::end_backend_data() {
    if (!digest_) {
        core::Reply answer = co_await transaction_->end_data();
        backend_reply_ = answer.summary();
        co_return answer;
    }
    std::vector<core::Reply> replies = co_await transaction_->end_data_per_recipient();
    backend_reply_.clear();
    for (const auto& reply : replies) backend_reply_ += (backend_reply_.empty() ? "" : " | ") + reply.summary(100);
    LmtpOutcome outcome = combine_replies(replies);
    if (outcome.mixed) co_await remember_mixed_outcome(replies);
    co_return outcome.reply;
}

// The records that make the client's retry exact: which recipients have this
// message (sender + content digest), and, for every recipient, that this
// sender's mail to it had a mixed outcome, so the retry takes it alone. The
// "has" records first: a retry that finds the mixed record must find them too.
asio::awaitable<void> Session::remember_mixed_outcome(const std::vector<core::Reply>& replies) {
    const auto& recipients = state_.recipients();
    const auto now = system_now();
    const auto until = now + std::chrono::duration_cast<std::chrono::seconds>(transaction_backend_->mixed_outcome_memory);
    std::string delivered;
    std::string refused;
    bool remembered = generation_->store != nullptr;
    const bool per_recipient = replies.size() == recipients.size();
    for (std::size_t i = 0; remembered && per_recipient && i < recipients.size(); ++i) {
        if (replies[i].klass() != 2) {
            refused += (refused.empty() ? "<" : ",<") + recipients[i] + ">";
            continue;
        }
        delivered += (delivered.empty() ? "<" : ",<") + recipients[i] + ">";
        std::string key = delivered_key(recipients[i], content_digest());
        auto stored = co_await generation_->store->set_mark(std::move(key), until, now);
        remembered = stored.has_value();
    }
    for (std::size_t i = 0; remembered && i < recipients.size(); ++i) {
        std::string key = mixed_outcome_key(state_.sender().str(), recipients[i]);
        auto stored = co_await generation_->store->set_mark(std::move(key), until, now);
        remembered = stored.has_value();
    }
    log::Line line("lmtp_mixed_outcome");
    line.add("session", client_.session_id).add("delivered", delivered).add("refused", refused)
        .add("remembered", remembered ? "yes" : "no");
    // Not remembered: the retry goes to every recipient again, and those that
    // have the message get it twice; the client still never sees a false 250.
    if (remembered)
        log::info(line);
    else
        log::warn(line);
}

}  // namespace mxgate::session
