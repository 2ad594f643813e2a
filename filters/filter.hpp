// The filter interface: a filter inspects one stage of a transaction and returns
// findings (facts), never SMTP replies; policy/ turns findings into a verdict.
// Filters never see sockets or the session. A filter bounds its own waits with its
// config's timeouts; the chain also cuts every stage off at filters.stage_timeout,
// cancels a filter still running then and reports its timed_out() finding. A
// filter that throws yields a temperror Finding (chain.cpp), so neither crashes
// the session; the chain waits for a cancelled filter to unwind, so one that
// ignores cancellation would hold the session until it ends by itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include "filters/metric_sink.hpp"
#include "proxy/core/address.hpp"
#include "proxy/core/default_rule.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::filters {

// Read-only view of what the session knows so far. Stage tells which fields are set.
struct TransactionView {
    std::string_view session_id;               // for log lines only
    // nullopt = unknown (a front-end's XCLIENT ADDR=[UNAVAILABLE]): checks of the
    // address skip, they never fall back to another address.
    std::optional<boost::asio::ip::address> client_address;
    std::string_view helo;
    bool tls = false;
    bool trusted = false;                      // client in trusted_networks
    // Addresses as the client wrote them, local part and domain apart.
    core::Address sender;                      // from MAIL (stage >= mail_from); empty() = <>
    core::Address recipient;                   // the RCPT being checked (stage rcpt); <Postmaster> has no domain
    const std::vector<std::string>* recipients = nullptr; // accepted so far
    // Found so far: the session's (connect, helo), then this transaction's,
    // earlier recipients' rcpt findings included.
    const std::vector<core::Finding>* findings = nullptr;
};

// The end-of-DATA seam (issue 11): a filter that reads the message content gets
// it through a MessageInspector, one per message, fed by the session as the
// message arrives, so nothing reads a message twice (DKIM hashes the body while
// it streams). What it is fed is the message as the client sent it: unstuffed
// (transparency dots removed; DATA and BDAT give the same bytes), CRLF line
// endings, without anything mxgate prepends. Feeding never blocks and never fails
// (an inspector records what it cannot use and reports it in finish()).

// What the end-of-data verdict made of a message once the session applied it
// (a backend's answer included): a filter that records outcomes learns the
// final one, not its own proposal (DMARC's report rows name the disposition
// applied, RFC 7489 §7.2, which the policy may have changed).
enum class MessageFate : unsigned char {
    delivered,    // a backend took it (2xx)
    quarantined,  // kept in quarantine; the client got 2xx
    refused,      // the client got 5xx
    deferred,     // the client got 4xx: it will come again
};

class MessageInspector {
public:
    virtual ~MessageInspector() = default;
    // One header field, whole and in order: "Name: value\r\n" with its
    // continuation lines, exactly as received.
    virtual void header_field(std::string_view field) = 0;
    // The header section ended: its empty line was read, or the message ended
    // without one (then no body() follows).
    virtual void end_of_header() = 0;
    // Body bytes after the empty line, in order, split anywhere.
    virtual void body(std::string_view chunk) = 0;
    // The message is complete: the findings. May wait (DNS lookups started while
    // the message streamed); must end soon when cancelled. `view.findings` holds
    // the transaction's findings so far, including those of the inspectors of
    // filters earlier in the registry (DMARC reads SPF's and DKIM's).
    virtual boost::asio::awaitable<std::vector<core::Finding>> finish(const TransactionView& view) = 0;
    // After finish(), once the verdict was applied; never when the session ended
    // first (no reply was given, so nothing was decided).
    virtual void concluded(MessageFate) {}
};

class Filter {
public:
    virtual ~Filter() = default;
    virtual std::string_view name() const noexcept = 0;
    virtual bool runs_at(core::Stage stage) const noexcept = 0;
    // Must end soon when cancelled (the chain waits for a cancelled filter to unwind).
    virtual boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) = 0;

    // A content filter returns an inspector for the message about to arrive (after
    // DATA or the first BDAT), running on the session's `executor`, where it may
    // start lookups early (DKIM keys once the signatures are read); nullptr when
    // it has nothing to read in this message. Not a content filter: nullptr.
    virtual std::unique_ptr<MessageInspector> inspect_message(const TransactionView&,
                                                              const boost::asio::any_io_executor&) {
        return nullptr;
    }

    // What to report when the stage deadline cut inspect() off: a temperror with
    // reason "timeout". Policy fails closed on it unless one of the filter's default
    // rules answers it (timeout_fails_open() lets it proceed).
    virtual std::vector<core::Finding> timed_out(core::Stage) const { return {timeout_finding(name())}; }

    // Its counters, for the metrics endpoint (docs/metrics.md); a filter without any reports nothing.
    virtual void report(MetricSink&) const {}

protected:
    // A temperror named `filter` with error=timeout and reason "timeout".
    static core::Finding timeout_finding(std::string_view filter) {
        return {std::string(filter), core::Outcome::temperror, {{"error", "timeout"}}, "timeout"};
    }
};

// A default rule that lets the timed_out() finding of `filter` (Filter::timeout_finding)
// proceed at `stage`: the deadline's only, so a filter that threw still fails closed.
inline core::DefaultRule timeout_fails_open(std::string name, core::Stage stage, std::string_view filter) {
    return {std::move(name), stage, std::string(filter), {core::Outcome::temperror}, {{"error", "timeout"}}};
}

}  // namespace mxgate::filters
