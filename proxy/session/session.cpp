#include "proxy/session/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "proxy/listener.hpp"
#include "proxy/log.hpp"
#include "proxy/smtp/data_reader.hpp"

namespace mxgate::session {

namespace asio = boost::asio;
using core::make_reply;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t command_read_size = 4096;
constexpr std::size_t data_read_size = 64 * 1024;

core::Reply reply_for(smtp::CommandError error) {
    switch (error) {
        case smtp::CommandError::bad_character: return make_reply(500, "5.5.2", "Error: invalid character in command");
        case smtp::CommandError::unrecognized: return make_reply(500, "5.5.2", "Error: command not recognized");
        case smtp::CommandError::syntax: return make_reply(501, "5.5.4", "Error: syntax error in parameters");
        case smtp::CommandError::bad_address: return make_reply(501, "5.1.3", "Error: bad address syntax");
        case smtp::CommandError::bad_parameter: return make_reply(501, "5.5.4", "Error: bad ESMTP parameter");
    }
    return make_reply(500, "5.5.2", "Error: command not recognized");
}

long long milliseconds_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}


asio::ip::address peer_address(const asio::ip::tcp::socket& socket) {
    boost::system::error_code ec;
    return normalize(socket.remote_endpoint(ec).address());
}

// An unknown address (XCLIENT ADDR=[UNAVAILABLE]) is in no network, as in Postfix.
bool in_networks(const std::vector<config::Network>& networks, const std::optional<asio::ip::address>& address) {
    if (!address) return false;
    for (const auto& network : networks)
        if (network.contains(*address)) return true;
    return false;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, std::shared_ptr<const Generation> generation,
                 const config::Listener& listener, backend::BackendPool& pool, std::string id)
    : generation_(std::move(generation)),
      config_(*generation_->config),
      listener_tls_(listener.tls),
      pool_(pool),
      stream_(std::move(socket)),
      deadline_(stream_.socket().get_executor()),
      state_(ServerSettings{config_.server.hostname,
                            listener.tls == config::ListenerTls::starttls && generation_->server_tls != nullptr,
                            &config_.limits},
             listener.tls == config::ListenerTls::implicit,
             in_networks(config_.xclient_networks, peer_address(stream_.socket()))),
      lines_(config_.limits.max_command_line_length),
      started_(Clock::now()) {
    boost::system::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    client_.address = normalize(remote.address());
    client_.port = remote.port();
    client_.session_id = std::move(id);
    trusted_ = in_networks(config_.trusted_networks, client_.address);
    stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::awaitable<void> Session::run() {
    asio::co_spawn(co_await asio::this_coro::executor, watchdog(shared_from_this()), asio::detached);
    log::info(log::Line("session_open").add("session", client_.session_id).add("client", client_.address_text())
                  .add("port", client_.port).add("trusted", trusted_ ? "yes" : "no"));
    bool failed = false;
    try {
        co_await serve();
    } catch (const std::exception& e) {
        // Only library exceptions land here; the client gets a 421 if it can.
        log::error(log::Line("session_error").add("session", client_.session_id).add("error", e.what()));
        failed = true;
    }
    if (failed) {
        end_ = End::error;
        say_goodbye(make_reply(421, "4.3.0", config_.server.hostname + " Error: internal error"));
        co_await flush();
    }
    transaction_.reset();
    deadline_.stop();
    co_await stream_.shutdown();
    static constexpr const char* reasons[] = {"none", "quit", "peer_closed", "timeout", "draining", "error"};
    log::info(log::Line("session_close").add("session", client_.session_id)
                  .add("reason", reasons[static_cast<int>(end_)]).add("transactions", state_.transactions())
                  .add("duration_ms", milliseconds_since(started_)));
}

// A parameter, not a lambda capture: coroutine parameters are copied into the
// frame, so the session lives as long as the watchdog, which may resume after run().
asio::awaitable<void> Session::watchdog(std::shared_ptr<Session> self) {
    co_await self->deadline_.watch([raw = self.get()] {
        boost::system::error_code ignored;
        raw->stream_.socket().cancel(ignored);
    });
}

void Session::drain() {
    draining_ = true;
    if (waiting_for_command_ && !state_.in_transaction()) {
        boost::system::error_code ignored;
        stream_.socket().cancel(ignored);
    }
}

void Session::abort() {
    // Whatever the session was waiting for from the client fails now; a message
    // in DATA is then abandoned mid-stream, so the backend never gives it a 250.
    draining_ = true;
    boost::system::error_code ignored;
    stream_.socket().cancel(ignored);
}

asio::awaitable<void> Session::serve() {
    if (listener_tls_ == config::ListenerTls::implicit) {
        deadline_.expires_after(config_.timeouts.tls_handshake);
        try {
            co_await stream_.handshake(*generation_->server_tls, asio::ssl::stream_base::server);
        } catch (const std::exception& e) {
            log::info(log::Line("tls_failed").add("session", client_.session_id).add("error", e.what()));
            end_ = End::error;
            co_return;
        }
    }
    if (auto verdict = co_await run_stage(core::Stage::connect)) {
        say_goodbye(verdict->reply());
        co_await flush();
        co_return;
    }
    reply(state_.greeting(config_.server.banner));
    while (end_ == End::none) {
        auto event = co_await next_line();
        if (!event) break;
        Step step = co_await handle_line(*event);
        co_await perform(step);
        if (!state_.in_transaction()) {
            transaction_.reset();
            backend_reply_.clear();
            quarantined_.clear();
            quarantine_rule_.clear();
            findings_.resize(session_findings_end_);
            bdat_.reset();
            pending_header_.clear();
            header_filter_.reset();
            held_.reset();
            lmtp_mode_ = LmtpMode::shared;
            digest_.reset();
            digest_hex_.clear();
            if (draining_ && end_ == End::none) end_ = End::draining;
        }
    }
    if (end_ == End::timeout)
        say_goodbye(make_reply(421, "4.4.2", config_.server.hostname + " Error: timeout exceeded"));
    else if (end_ == End::draining)
        say_goodbye(make_reply(421, "4.3.2", config_.server.hostname + " Service shutting down"));
    co_await flush();
}

asio::awaitable<Step> Session::handle_line(const smtp::LineEvent& event) {
    using Kind = smtp::LineEvent::Kind;
    if (event.kind == Kind::too_long) co_return state_.on_bad_line(make_reply(500, "5.5.2", "Error: line too long"));
    // Postfix smtpd_forbid_bare_newline: a command must end in CRLF.
    if (event.kind == Kind::bare_lf)
        co_return state_.on_bad_line(make_reply(500, "5.5.2", "Error: bare <LF> received"));
    auto parsed = smtp::parse_command(event.text);
    if (auto* error = std::get_if<smtp::CommandError>(&parsed)) co_return state_.on_bad_line(reply_for(*error));
    co_return state_.on_command(std::move(std::get<smtp::Command>(parsed)));
}

// Results of co_await are kept in named variables, never passed on as
// temporaries: GCC 12 can destroy a temporary in a co_await expression twice.
asio::awaitable<void> Session::perform(Step& step) {
    using Action = Step::Action;
    switch (step.action) {
        case Action::reply: reply(step.reply); break;
        case Action::close:
            reply(step.reply);
            if (end_ == End::none) end_ = step.reply.code == 221 ? End::quit : End::error;
            break;
        case Action::helo: {
            auto verdict = co_await run_stage(core::Stage::helo);
            Step next = !verdict ? state_.on_helo_done(true, std::move(step.reply))
                        : verdict->action == policy::Verdict::Action::disconnect
                            ? state_.on_disconnect(verdict->reply())
                            : state_.on_helo_done(false, verdict->reply());
            co_await perform(next);
            break;
        }
        case Action::mail: {
            Step next = co_await do_mail();
            co_await perform(next);
            break;
        }
        case Action::route_rcpt: {
            Step next = route_rcpt();
            co_await perform(next);
            break;
        }
        case Action::rcpt: {
            Step next = co_await do_rcpt();
            co_await perform(next);
            break;
        }
        case Action::data: {
            Step next = co_await do_data();
            co_await perform(next);
            break;
        }
        case Action::bdat:
        case Action::bdat_discard: {
            Step next = co_await do_bdat(step);
            co_await perform(next);
            break;
        }
        case Action::starttls:
            if (!co_await do_starttls(step)) end_ = End::error;
            break;
        case Action::xclient: co_await do_xclient(step); break;
    }
}

filters::TransactionView Session::view_for(core::Stage stage) const {
    filters::TransactionView view;
    view.session_id = client_.session_id;
    view.client_address = client_.address;
    view.helo = state_.helo();
    view.tls = state_.tls();
    view.trusted = trusted_;
    view.sender = state_.sender();
    if (stage == core::Stage::rcpt) view.recipient = state_.pending_rcpt().address;
    view.recipients = &state_.recipients();
    view.findings = &findings_;  // untouched while the chain runs
    return view;
}

asio::awaitable<Step> Session::do_mail() {
    if (auto verdict = co_await run_stage(core::Stage::mail_from)) {
        if (verdict->action == policy::Verdict::Action::disconnect) co_return state_.on_disconnect(verdict->reply());
        co_return state_.on_mail(false, verdict->reply());
    }
    transaction_started_ = Clock::now();
    // The backend sees MAIL with the first RCPT, once the route is known; a
    // backend's refusal of the sender is then the reply to that RCPT.
    co_return state_.on_mail(true, make_reply(250, "2.1.0", "Ok"));
}

Step Session::route_rcpt() {
    Route route = generation_->router.route(state_.pending_rcpt().address, trusted_);
    if (route.untrusted_routing)
        log::info(log::Line("rcpt_refused").add("session", client_.session_id).add("reason", "untrusted_routing")
                      .add("rcpt", route.recipient.str()));
    return state_.on_rcpt_routed(std::move(route));
}

asio::awaitable<Step> Session::do_rcpt() {
    if (auto verdict = co_await run_stage(core::Stage::rcpt)) {
        if (verdict->action == policy::Verdict::Action::disconnect) co_return state_.on_disconnect(verdict->reply());
        co_return state_.on_rcpt(false, verdict->reply());
    }
    if (auto refusal = route_by_policy()) co_return state_.on_rcpt(false, std::move(*refusal));
    const config::Backend& destination = state_.pending_destination();
    // SessionState allows another destination only before any recipient was
    // accepted: the transaction opened for the refused ones is dropped.
    if (transaction_ && transaction_backend_ != &destination) transaction_.reset();
    LmtpMode mode = lmtp_mode_;
    if (destination.kind == config::BackendKind::lmtp) {
        const LmtpAdmission admission = co_await admit_lmtp_recipient();
        if (!admission.take)
            co_return state_.on_rcpt(false, make_reply(452, "4.5.3",
                                                       "Error: this recipient needs a transaction of its own, "
                                                       "send it separately"));
        mode = admission.mode;
    }
    if (!transaction_) {
        transaction_ = pool_.open(generation_->config, destination, generation_->backend_tls_for(destination.name),
                                  backend_client_info(), backend::Envelope{state_.sender(), state_.mail_params()});
        transaction_backend_ = &destination;
    }
    const backend::Recipient recipient{state_.pending_rcpt().address, state_.pending_rcpt().params};
    core::Reply answer = co_await transaction_->add_recipient(recipient);
    if (answer.klass() == 2) {
        lmtp_mode_ = mode;
        policy_scopes_.recipient_accepted();
        accepted_recipients_.push_back(state_.pending_rcpt().address);
    }
    co_return state_.on_rcpt(answer.klass() == 2, std::move(answer));
}

asio::awaitable<Step> Session::do_data() {
    if (!hold_message()) {  // streamed: the backend's 354 comes first
        core::Reply ready = co_await transaction_->begin_data();
        if (ready.code != 354) co_return state_.on_data_refused(std::move(ready));
    }
    reply(make_reply(354, "", "End data with <CR><LF>.<CR><LF>"));
    // One deadline for the whole message (RFC 5321 §4.5.3.2.5-6 as a deadline).
    deadline_.expires_after(config_.timeouts.data);
    if (!co_await flush()) co_return state_.on_message_done(make_reply(451, "4.3.0", "Error: connection lost"));
    begin_content();
    smtp::DataReader reader({config_.limits.max_message_size.bytes, config_.limits.max_text_line_length});
    bool backend_ok = true;
    for (;;) {
        smtp::DataChunk chunk = reader.feed(in_.view());
        if (backend_ok && !chunk.forward.empty()) backend_ok = co_await forward(chunk.forward);
        in_.consume(chunk.consumed);
        if (chunk.done) break;
        if (!co_await fill(data_read_size)) {
            // The client went away or ran out of time: the backend never sees a
            // final dot, and the 421 that ends the session (if anyone is still
            // there to read it) is the only reply.
            state_.on_message_done(make_reply(451, "4.4.2", "Error: timeout or connection lost during DATA"));
            co_return Step{};
        }
    }
    core::Reply final_reply = co_await finish_message(reader);
    log_transaction(final_reply, reader.size());
    co_return state_.on_message_done(std::move(final_reply));
}

// The end of the content: refuse what the reader found unclean, ask the
// end_of_data stage, then the backend. A refused message never gets its final
// dot: the serve loop drops the backend transaction mid-DATA and the backend
// discards it.
template <class Reader>
asio::awaitable<core::Reply> Session::finish_message(const Reader& reader) {
    if (reader.bare_line_ending())
        co_return make_reply(550, "5.6.0", "Error: message refused: bare CR or LF in message content");
    if (reader.too_big()) co_return make_reply(552, "5.3.4", "Error: message size exceeds fixed limit");
    if (reader.line_too_long())
        co_return make_reply(550, "5.6.0", "Error: message refused: text line longer than 1000 octets");
    if (auto refusal = refuse_header()) {
        log::info(log::Line("content_refused").add("session", client_.session_id).add("reason", refusal->summary()));
        co_return *refusal;
    }
    if (held_) co_return co_await deliver_held();
    if (auto verdict = co_await run_stage(core::Stage::end_of_data)) co_return verdict->reply();
    co_await finish_content();  // also sends the trace headers of an empty message
    core::Reply answer = co_await end_backend_data();  // 451 if any write failed
    co_return answer;
}

asio::awaitable<Step> Session::do_bdat(const Step& command) {
    Step step = command;
    const std::uint64_t chunk_size = step.chunk_size;
    std::uint64_t remaining = chunk_size;
    bool discard = step.action == Step::Action::bdat_discard;
    deadline_.expires_after(config_.timeouts.data);  // a chunk outside a message: its own bound
    if (!discard && !bdat_) {
        core::Reply ready = make_reply(354, "", "");  // a held message needs no backend yet
        if (!hold_message()) ready = co_await transaction_->begin_data();
        if (ready.code != 354) {
            discard = true;
            step = state_.on_message_done(std::move(ready));
        } else {
            bdat_.emplace(smtp::DataLimits{config_.limits.max_message_size.bytes, config_.limits.max_text_line_length});
            begin_content();
            // As for DATA, one deadline for the whole message: every chunk and the
            // BDAT commands between them (next_line), so trickling chunks cannot hold it.
            message_deadline_ = Clock::now() + config_.timeouts.data;
        }
    }
    if (bdat_) deadline_.expires_at(message_deadline_);
    // RFC 3030 §4.2: the chunk is read whatever the answer, or its bytes would be taken for commands.
    std::string stuffed;
    bool backend_ok = true;
    while (remaining > 0) {
        if (in_.empty() && !co_await fill(data_read_size)) {
            state_.on_message_done(make_reply(451, "4.4.2", "Error: timeout or connection lost during BDAT"));
            co_return Step{};
        }
        auto available = in_.view().substr(0, std::min<std::uint64_t>(remaining, in_.view().size()));
        if (!discard) {
            stuffed.clear();
            bdat_->stuff(available, stuffed);
            if (backend_ok && !stuffed.empty()) backend_ok = co_await forward(stuffed);
        }
        in_.consume(available.size());
        remaining -= available.size();
    }
    if (discard) {
        // Answer now; the chunk is consumed, nothing more to read for it.
        if (step.action == Step::Action::bdat_discard) step.action = Step::Action::reply;
        co_return step;
    }
    if (!step.last_chunk) {
        // A refused or failed message is answered at LAST, where the verdict is final.
        co_return Step{Step::Action::reply, make_reply(250, "2.0.0", std::to_string(chunk_size) + " octets received")};
    }
    stuffed.clear();
    bdat_->finish(stuffed);
    if (backend_ok && !stuffed.empty()) co_await forward(stuffed);
    core::Reply final_reply = co_await finish_message(*bdat_);
    log_transaction(final_reply, bdat_->size());
    co_return state_.on_message_done(std::move(final_reply));
}

asio::awaitable<bool> Session::do_starttls(const Step& step) {
    reply(step.reply);
    deadline_.expires_after(config_.timeouts.tls_handshake);
    if (!co_await flush()) co_return false;
    // CVE-2011-0411: whatever the client pipelined in plaintext after STARTTLS is dropped.
    in_.clear();
    in_.release_if_empty();
    try {
        co_await stream_.handshake(*generation_->server_tls, asio::ssl::stream_base::server);
    } catch (const std::exception& e) {
        log::info(log::Line("tls_failed").add("session", client_.session_id).add("error", e.what()));
        co_return false;
    }
    state_.on_tls_started();
    co_return true;
}

// Postfix XCLIENT: a front-end in xclient_networks names its client, and the
// session starts over as if that client had just connected: its address decides
// trust and the connect stage, and a refusal there ends the session. Whether
// XCLIENT stays allowed depends on the connection, not on the new address.
// ADDR=[UNAVAILABLE] makes the address unknown: never trusted, in no network.
// ADDR, PORT and NAME not given keep their values (a front-end may split them
// over several XCLIENT commands when a line would be too long); the greeting
// (HELO, PROTO) is SessionState's: on_xclient_done.
asio::awaitable<void> Session::do_xclient(const Step& step) {
    const smtp::XclientAttributes& given = step.xclient;
    const std::string previous_address = client_.address_text();
    if (given.address && given.address->empty()) {
        client_.address.reset();  // [UNAVAILABLE]: unknown, never the front-end's own address (Postfix)
    } else if (given.address) {
        boost::system::error_code ec;
        auto address = asio::ip::make_address(*given.address, ec);
        if (!ec) client_.address = normalize(address);  // decode_xclient checked it with the same parser
    }
    if (given.port) client_.port = *given.port;
    if (given.name) client_.name = *given.name;
    trusted_ = in_networks(config_.trusted_networks, client_.address);
    state_.on_xclient_done(given);
    transaction_.reset();
    findings_.clear();
    session_findings_end_ = 0;
    connect_findings_end_ = 0;
    log::info(log::Line("xclient").add("session", client_.session_id).add("from", previous_address)
                  .add("addr", client_.address_text()).add("port", client_.port)
                  .add("name", client_.name.empty() ? std::string("unknown") : client_.name)
                  .add("helo", state_.helo()).add("proto", given.proto.value_or(""))
                  .add("trusted", trusted_ ? "yes" : "no"));
    auto verdict = co_await run_stage(core::Stage::connect);
    if (verdict) {
        say_goodbye(verdict->reply());
        if (end_ == End::none) end_ = End::error;
        co_return;
    }
    reply(state_.greeting(config_.server.banner));
}

asio::awaitable<std::optional<smtp::LineEvent>> Session::next_line() {
    bool deadline_set = false;
    for (;;) {
        smtp::LineEvent event = lines_.next(in_.view());
        in_.consume(event.consumed);
        if (event.kind != smtp::LineEvent::Kind::need_more) co_return event;
        if (!deadline_set) {
            auto at = Clock::now() + config_.timeouts.command;
            if (state_.receiving_bdat()) at = std::min(at, message_deadline_);  // between chunks
            deadline_.expires_at(at);
            deadline_set = true;
        }
        if (draining_ && !state_.in_transaction()) {
            end_ = End::draining;
            co_return std::nullopt;
        }
        if (!co_await flush()) co_return std::nullopt;
        waiting_for_command_ = true;
        bool ok = co_await fill(command_read_size);
        waiting_for_command_ = false;
        if (!ok) co_return std::nullopt;
    }
}

asio::awaitable<bool> Session::fill(std::size_t min_space) {
    if (deadline_.fired()) {
        end_ = End::timeout;
        co_return false;
    }
    try {
        if (in_.empty()) {
            in_.release_if_empty();
            co_await stream_.wait_readable();
        }
        std::size_t n = co_await stream_.read_some(in_.prepare(min_space));
        in_.commit(n);
        co_return true;
    } catch (const boost::system::system_error& e) {
        if (deadline_.fired())
            end_ = End::timeout;
        else if (draining_)
            end_ = End::draining;
        else if (end_ == End::none)
            end_ = End::peer_closed;
        co_return false;
    }
}

asio::awaitable<bool> Session::flush() {
    if (out_.empty()) co_return true;
    try {
        co_await stream_.write(asio::buffer(out_));
        out_.clear();
        co_return true;
    } catch (const boost::system::system_error&) {
        out_.clear();
        if (end_ == End::none) end_ = deadline_.fired() ? End::timeout : End::peer_closed;
        co_return false;
    }
}

void Session::say_goodbye(const core::Reply& r) {
    if (end_ == End::peer_closed) return;
    reply(r);
    deadline_.expires_after(config_.timeouts.command);  // bounds the final flush
}

backend::ClientInfo Session::backend_client_info() const {
    return {client_, state_.helo(), state_.client_esmtp()};
}

void Session::log_transaction(const core::Reply& final_reply, std::uint64_t size) {
    std::string recipients;
    for (const auto& r : state_.recipients()) recipients += (recipients.empty() ? "<" : ",<") + r + ">";
    log::Line line("transaction");
    line.add("session", client_.session_id).add("txn", state_.transactions())
        .add("client", client_.address_text()).add("helo", state_.helo())
        .add("from", "<" + state_.sender().str() + ">").add("to", recipients)
        .add("size", static_cast<long long>(size))
        .add("tls", state_.tls() ? stream_.tls_version() + "/" + stream_.tls_cipher() : "none")
        .add("backend", transaction_ ? transaction_->describe() : std::string("none"))
        .add("reply", final_reply.summary())
        .add("backend_reply", backend_reply_.empty() ? std::string("none") : backend_reply_)
        .add("duration_ms", milliseconds_since(transaction_started_))
        .add("rule", decided_by_.empty() ? std::string("none") : decided_by_)
        .add("score", policy_scopes_.at(core::Stage::end_of_data).score);
    if (!quarantined_.empty()) line.add("quarantined", quarantined_).add("quarantine_rule", quarantine_rule_);
    log::info(line);
}

}  // namespace mxgate::session
