// One client connection: the coroutine that reads commands, asks SessionState
// what to do, runs the filter stages, drives the backend transaction and writes
// replies. It is the only place where client sockets, deadlines and TLS meet.
// Errors: I/O failures end the session quietly (logged); everything the client
// did wrong is a reply (SessionState chooses those to commands, this coroutine
// those to content, and SessionState counts both); a backend failure is a 4xx.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/backend/backend.hpp"
#include "policy/rules/evaluate.hpp"
#include "policy/rules/scopes.hpp"
#include "policy/verdict.hpp"
#include "proxy/generation.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/session/held_message.hpp"
#include "proxy/session/input_buffer.hpp"
#include "proxy/session/lmtp_memory.hpp"
#include "proxy/session/session_state.hpp"
#include "proxy/smtp/data_reader.hpp"
#include "proxy/smtp/header_filter.hpp"
#include "proxy/smtp/line_reader.hpp"
#include "proxy/tls/stream.hpp"

namespace mxgate::session {

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<const Generation> generation,
            const config::Listener& listener, backend::BackendPool& pool, std::string id);

    // Serves the connection to its end. Keep the shared_ptr alive while it runs.
    boost::asio::awaitable<void> run();

    // SIGTERM: finish the current transaction, then 421 (idle sessions at once).
    void drain();
    // The shutdown deadline passed: 421 now, abandoning any transaction (never a 250).
    void abort();

private:
    enum class End { none, quit, peer_closed, timeout, draining, error };

    static boost::asio::awaitable<void> watchdog(std::shared_ptr<Session> self);
    boost::asio::awaitable<void> serve();
    boost::asio::awaitable<std::optional<smtp::LineEvent>> next_line();
    boost::asio::awaitable<bool> fill(std::size_t min_space);
    boost::asio::awaitable<bool> flush();
    boost::asio::awaitable<void> perform(Step& step);
    boost::asio::awaitable<Step> handle_line(const smtp::LineEvent& event);
    boost::asio::awaitable<Step> do_mail();
    Step route_rcpt();
    boost::asio::awaitable<Step> do_rcpt();
    boost::asio::awaitable<Step> do_data();
    boost::asio::awaitable<Step> do_bdat(const Step& command);
    boost::asio::awaitable<bool> do_starttls(const Step& step);
    boost::asio::awaitable<void> do_xclient(const Step& step);
    filters::TransactionView view_for(core::Stage stage) const;
    // session_policy.cpp: a stage's filters and the policy over their findings.
    boost::asio::awaitable<std::optional<policy::Verdict>> run_stage(core::Stage stage,
                                                                     filters::MessageFeed* feed = nullptr);
    boost::asio::awaitable<std::vector<core::Finding>> run_filters(core::Stage stage, filters::MessageFeed* feed,
                                                                   std::span<const std::string> skip);
    policy::rules::Facts facts_for(core::Stage stage);
    void see_findings(core::Stage stage, policy::rules::Facts& facts);
    std::optional<policy::Verdict> verdict_of(core::Stage stage, const policy::rules::Decision& decision);
    // Each logs its lines and counts them in the generation's verdict_counts (docs/metrics.md).
    void log_monitored(core::Stage stage, const policy::rules::Decision& decision) const;
    void log_verdict(core::Stage stage, const policy::Verdict& verdict,
                     const policy::rules::Decision& decision) const;
    std::optional<core::Reply> route_by_policy();
    bool policy_reads_message() const;
    bool hold_message();
    void begin_content();
    boost::asio::awaitable<bool> forward(std::string_view content);
    std::optional<core::Reply> refuse_header() const;
    boost::asio::awaitable<bool> finish_content();
    boost::asio::awaitable<bool> write_content(std::string_view content);  // to the spool or the backend
    boost::asio::awaitable<bool> send_to_backend(std::string_view content);
    template <class Reader>
    boost::asio::awaitable<core::Reply> finish_message(const Reader& reader);
    boost::asio::awaitable<core::Reply> deliver_held();
    // LMTP's delivery memory (session_lmtp.cpp, lmtp_memory.hpp).
    boost::asio::awaitable<LmtpAdmission> admit_lmtp_recipient();
    bool lmtp_transaction() const;
    void begin_digest();
    const std::string& content_digest();
    boost::asio::awaitable<std::optional<core::Reply>> delivered_before();
    boost::asio::awaitable<core::Reply> end_backend_data();
    boost::asio::awaitable<void> remember_mixed_outcome(const std::vector<core::Reply>& replies);
    boost::asio::awaitable<core::Reply> apply_held_verdict(const std::optional<policy::Verdict>& verdict);
    boost::asio::awaitable<core::Reply> send_held(const std::string& headers);
    // session_quarantine.cpp: a held message to the quarantine instead of its route.
    boost::asio::awaitable<core::Reply> quarantine_held(const policy::Verdict& verdict);
    boost::asio::awaitable<core::Reply> quarantine_to_folder(const policy::Verdict& verdict, const std::string& headers);
    boost::asio::awaitable<core::Reply> quarantine_to_backend(const std::string& headers);
    void say_goodbye(const core::Reply& reply);  // queue a last reply; flush() sends it
    void reply(const core::Reply& r) {
        if (r.code != 0) out_ += r.wire();  // code 0: nothing to say (the session is ending)
    }
    std::string trace_headers();
    backend::ClientInfo backend_client_info() const;
    void log_transaction(const core::Reply& reply, std::uint64_t size);

    std::shared_ptr<const Generation> generation_;
    const config::Config& config_;
    config::ListenerTls listener_tls_;
    backend::BackendPool& pool_;
    tls::Stream stream_;
    Deadline deadline_;
    SessionState state_;
    smtp::LineReader lines_;
    InputBuffer in_;
    std::string out_;
    backend::Client client_;  // its greeting and TLS are state_'s
    bool trusted_ = false;
    std::unique_ptr<backend::Transaction> transaction_;
    const config::Backend* transaction_backend_ = nullptr;
    std::optional<smtp::ChunkStuffer> bdat_;  // the message being received in BDAT chunks
    std::string pending_header_;   // trace headers, sent with the first content bytes
    // The message being held for the end-of-data verdict (a content filter reads
    // it); null when the content streams to the backend as it arrives.
    std::unique_ptr<HeldMessage> held_;
    std::optional<smtp::HeaderFieldFilter> header_filter_;  // per message
    std::string filtered_;         // header_filter_'s output, reused
    std::string backend_reply_;    // the backend's answer to the message, for the log
    LmtpMode lmtp_mode_ = LmtpMode::shared;  // of the current transaction, when it goes to an LMTP route
    std::optional<ContentDigest> digest_;    // LMTP: of the client's content, when the memory needs it
    std::string digest_hex_;                 // digest_ once the content is complete
    std::string quarantined_;      // a quarantined message's id (or "backend:<name>"), for the log
    std::string quarantine_rule_;  // the rule that quarantined it
    // What the filters found: the session's (connect, helo) first, then this
    // transaction's (mail_from, rcpt, end_of_data). One vector, so each stage's
    // view of the earlier findings is a pointer, not a copy.
    std::vector<core::Finding> findings_;
    std::size_t connect_findings_end_ = 0;  // the helo stage's findings follow; a new EHLO replaces them
    std::size_t session_findings_end_ = 0;
    // What the policy file's rules settled so far (score, accept, skip, headers, route).
    policy::rules::Scopes policy_scopes_;
    std::vector<core::Address> accepted_recipients_;  // this transaction's, for the rules
    std::string decided_by_;                          // the rule behind this transaction's last verdict
    // Where the RCPT findings start in findings_, and this recipient's; facts at RCPT
    // leave out the earlier recipients' (recipient_findings_ holds what they see).
    std::size_t earlier_recipients_findings_ = 0;
    std::size_t this_recipient_findings_ = 0;
    std::vector<core::Finding> recipient_findings_;

    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point transaction_started_;
    std::chrono::steady_clock::time_point message_deadline_;  // BDAT: timeouts.data from the first chunk
    End end_ = End::none;
    bool waiting_for_command_ = false;
    bool draining_ = false;
};

}  // namespace mxgate::session
