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
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

namespace mxgate::filters {

enum class Stage : std::uint8_t { connect, helo, mail_from, rcpt, end_of_data };
std::string_view to_string(Stage stage);

enum class Outcome : std::uint8_t { pass, fail, softfail, neutral, none, temperror, permerror, skipped };
std::string_view to_string(Outcome outcome);

// One named fact; policy and the session read these. Attributes every filter may set:
//   action        proceed | tempfail | reject | disconnect: the filter's configured
//                 default, which policy applies (docs/architecture.md); a temperror
//                 without an action makes policy fail closed
//   reply         "550 5.7.23 text" for an action other than proceed
//   auth_results  a method result for Authentication-Results ("spf=pass smtp.mailfrom=a@b")
//   add_header    a whole header field, CRLF-terminated, to prepend (Received-SPF)
struct Finding {
    std::string name;     // "spf", "dnsbl.zen", "dkim.example.org"
    Outcome outcome = Outcome::none;
    std::vector<std::pair<std::string, std::string>> attrs;  // "domain" -> ..., "score" -> "3"
    std::string reason;   // for explain and logs; never sent to the client verbatim

    std::string_view attr(std::string_view key) const {  // "" when absent
        for (const auto& [k, v] : attrs)
            if (k == key) return v;
        return {};
    }
};

// Read-only view of what the session knows so far. Stage tells which fields are set.
struct TransactionView {
    std::string_view session_id;               // for log lines only
    // nullopt = unknown (a front-end's XCLIENT ADDR=[UNAVAILABLE]): checks of the
    // address skip, they never fall back to another address.
    std::optional<boost::asio::ip::address> client_address;
    std::string_view helo;
    bool tls = false;
    bool trusted = false;                      // client in trusted_networks
    std::string_view sender;                   // from MAIL (stage >= mail_from); "" = <>
    std::string_view recipient;                // the RCPT being checked (stage rcpt)
    const std::vector<std::string>* recipients = nullptr; // accepted so far
    // Found so far: the session's (connect, helo), then this transaction's,
    // earlier recipients' rcpt findings included.
    const std::vector<Finding>* findings = nullptr;
};

class Filter {
public:
    virtual ~Filter() = default;
    virtual std::string_view name() const noexcept = 0;
    virtual bool runs_at(Stage stage) const noexcept = 0;
    // Must end soon when cancelled (the chain waits for a cancelled filter to unwind).
    virtual boost::asio::awaitable<std::vector<Finding>> inspect(Stage stage, const TransactionView& view) = 0;

    // What to report when the stage deadline cut inspect() off: a temperror with
    // reason "timeout". This default states no action, so policy fails closed; a
    // filter whose own temperrors carry an action states the same one here.
    virtual std::vector<Finding> timed_out(Stage) const { return {timeout_finding(name())}; }

protected:
    // A temperror named `filter` with reason "timeout", stating `action` (and its
    // `reply`) unless empty.
    static Finding timeout_finding(std::string_view filter, std::string_view action = {}, std::string reply = {}) {
        Finding finding{std::string(filter), Outcome::temperror, {{"error", "timeout"}}, "timeout"};
        if (!action.empty()) finding.attrs.emplace_back("action", std::string(action));
        if (!reply.empty()) finding.attrs.emplace_back("reply", std::move(reply));
        return finding;
    }
};

}  // namespace mxgate::filters
