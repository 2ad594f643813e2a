// The filter interface: a filter inspects one stage of a transaction and returns
// findings (facts), never SMTP replies; policy/ turns findings into a verdict.
// Filters never see sockets or the session. A filter that throws or overruns its
// budget yields a temperror Finding (chain.cpp), never a hung or crashed session.
#pragma once

#include <cstdint>
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

struct Finding {          // one named fact; policy and Authentication-Results read these
    std::string name;     // "spf", "dnsbl.zen", "dkim.example.org"
    Outcome outcome = Outcome::none;
    std::vector<std::pair<std::string, std::string>> attrs;  // "domain" -> ..., "score" -> "3"
    std::string reason;   // for explain and logs; never sent to the client verbatim
};

// Read-only view of what the session knows so far. Stage tells which fields are set.
struct TransactionView {
    boost::asio::ip::address client_address;
    std::string_view helo;
    bool tls = false;
    bool trusted = false;                      // client in trusted_networks
    std::string_view sender;                   // from MAIL (stage >= mail_from); "" = <>
    std::string_view recipient;                // the RCPT being checked (stage rcpt)
    const std::vector<std::string>* recipients = nullptr; // accepted so far
    const std::vector<Finding>* findings = nullptr;       // earlier stages' findings (session and transaction)
};

class Filter {
public:
    virtual ~Filter() = default;
    virtual std::string_view name() const noexcept = 0;
    virtual bool runs_at(Stage stage) const noexcept = 0;
    virtual boost::asio::awaitable<std::vector<Finding>> inspect(Stage stage, const TransactionView& view) = 0;
};

}  // namespace mxgate::filters
