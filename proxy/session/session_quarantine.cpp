// A held message that policy quarantines (issue 11 item 10): it never goes to
// its route's backend (that transaction, which never saw DATA, is dropped by the
// serve loop as for a refusal); it goes to quarantine.store with an
// X-Mxgate-Quarantine field after mxgate's trace fields, and the client's 250 is
// the quarantine's: the folder's after fsync, or the quarantine backend's.
// Anything less is 451 4.3.0 and the client keeps the message.
// Part of Session (session.hpp); split from session_content.cpp to keep each file short.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/header_text.hpp"
#include "proxy/core/text.hpp"
#include "proxy/log.hpp"
#include "proxy/quarantine/quarantine_store.hpp"
#include "proxy/session/session.hpp"

namespace mxgate::session {

namespace asio = boost::asio;

namespace {

core::Reply cannot_quarantine() {
    return core::make_reply(451, "4.3.0", "Error: cannot store the message now, try again later");
}

// "X-Mxgate-Quarantine: filter.dmarc; dmarc fail for example.org", folded; the
// reason is filter text with peer input in it, so only printable ASCII is kept.
std::string quarantine_field(const policy::Verdict& verdict) {
    const std::string value = core::printable(verdict.rule, 100) + "; " + core::printable(verdict.reason, 300);
    std::vector<std::string> words;
    for (auto& word : filters::header_text::words_of(value))
        if (!word.empty()) words.push_back(std::move(word));
    return filters::header_text::fold("X-Mxgate-Quarantine:", words);
}

}  // namespace

asio::awaitable<core::Reply> Session::quarantine_held(const policy::Verdict& verdict) {
    const std::string headers = trace_headers() + quarantine_field(verdict);
    quarantine_rule_ = verdict.rule;
    if (config_.quarantine.store == config::QuarantineStore::backend) {
        core::Reply answer = co_await quarantine_to_backend(headers);
        co_return answer;
    }
    core::Reply answer = co_await quarantine_to_folder(verdict, headers);
    co_return answer;
}

asio::awaitable<core::Reply> Session::quarantine_to_folder(const policy::Verdict& verdict, const std::string& headers) {
    const quarantine::QuarantineStore store(config_.quarantine.directory);
    quarantine::QuarantineStore::Writer writer = store.begin();
    Spool& spool = held_->spool();
    bool written = writer.append(headers);
    Spool::Reader parts(spool);
    while (written) {
        const std::string_view part = parts.next();
        if (part.empty()) break;  // the end, or a read error (spool.failed())
        written = writer.append(part);
    }
    std::string problem = spool.failed() ? "spool: " + spool.error() : writer.error();
    if (problem.empty() && !written) problem = "spool read ended early";
    quarantine::Item item;
    if (problem.empty()) {
        item.received = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
        item.session = client_.session_id;
        item.client = client_.address_text();
        item.helo = state_.helo();
        item.sender = state_.sender().str();
        for (const auto& [keyword, value] : state_.mail_params())
            item.mail_params.push_back(value.empty() ? keyword : keyword + "=" + value);
        for (const auto& recipient : state_.recipients())
            item.recipients.push_back({recipient, transaction_backend_ ? transaction_backend_->name : "", false});
        item.rule = verdict.rule;
        item.reason = verdict.reason;
        // fsync can take long: on the worker's disk threads, as the Maildir store does.
        auto work = [&writer, &item]() -> asio::awaitable<std::string> { co_return writer.commit(item); };
        problem = co_await asio::co_spawn(pool_.disk(), std::move(work), asio::use_awaitable);
    }
    if (!problem.empty()) {
        log::warn(log::Line("quarantine_failed").add("session", client_.session_id).add("rule", verdict.rule)
                      .add("error", problem));
        co_return cannot_quarantine();
    }
    quarantined_ = item.id;
    log::info(log::Line("quarantined").add("session", client_.session_id).add("id", item.id)
                  .add("rule", verdict.rule).add("size", static_cast<long long>(item.size)));
    co_return core::make_reply(250, "2.0.0", "Ok");
}

// A normal transaction to the quarantine backend, for the same recipients; the
// route's transaction is replaced (dropped without DATA).
asio::awaitable<core::Reply> Session::quarantine_to_backend(const std::string& headers) {
    const config::Backend& destination = config_.backends.at(config_.quarantine.backend);
    transaction_ = pool_.open(generation_->config, destination, generation_->backend_tls_for(destination.name),
                              backend_client_info(), backend::Envelope{state_.sender(), state_.mail_params()});
    transaction_backend_ = &destination;
    for (const auto& recipient : state_.recipients()) {
        const backend::Recipient rcpt{quarantine::address_of(recipient), {}};  // named: the GCC 12 rule
        core::Reply accepted = co_await transaction_->add_recipient(rcpt);
        if (accepted.klass() != 2) {
            // Every recipient or none: a partial quarantine would lose the others' copy.
            log::warn(log::Line("quarantine_failed").add("session", client_.session_id)
                          .add("backend", destination.name).add("recipient", core::printable(recipient))
                          .add("error", accepted.summary()));
            co_return cannot_quarantine();
        }
    }
    digest_.reset();  // the LMTP memory is the route's: this backend's one reply is the answer
    core::Reply answer = co_await send_held(headers);
    backend_reply_ = answer.summary();
    if (answer.klass() != 2) {
        log::warn(log::Line("quarantine_failed").add("session", client_.session_id).add("backend", destination.name)
                      .add("error", answer.summary()));
        co_return cannot_quarantine();  // never the quarantine backend's own text, nor a 5xx for our problem
    }
    quarantined_ = "backend:" + destination.name;
    co_return answer;
}

}  // namespace mxgate::session
