// What a DMARC aggregate report (RFC 7489 §7.2, Appendix C <record>) needs from
// one message, read from the transaction's findings after the dmarc finding:
// a row the state store can keep until reports are sent (issue 11 item 8; the
// store writes and the reports come later). Pure; never throws.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "filters/filter.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::filters::dmarc {

struct AggregateReportRow {
    std::string source_ip;       // "" when the client address is unknown
    std::string header_from;     // <identifiers><header_from>
    std::string envelope_from;   // the domain SPF checked (<identifiers><envelope_from>)
    core::Outcome result = core::Outcome::none;  // dmarc pass|fail|none|temperror|permerror
    std::string disposition;     // <policy_evaluated><disposition>: none|quarantine|reject
    std::string override_reason; // <reason><type>local_policy when that differs from what DMARC asked; else ""
    bool dkim_aligned = false;   // <policy_evaluated><dkim> pass|fail
    bool spf_aligned = false;    // <policy_evaluated><spf>
    bool sampled_out = false;    // <reason><type>sampled_out
    std::string policy;          // p= or sp= applied; "" without a record
    std::string policy_domain;   // whose record
    std::string spf_result;      // <auth_results><spf><result>
    std::vector<std::pair<std::string, std::string>> dkim;  // (d=, result) per signature
};

// The row for a message whose findings include a "dmarc" one naming a From:
// domain; nullopt otherwise (no dmarc finding, or no From: to report on).
std::optional<AggregateReportRow> aggregate_report_row(const std::vector<core::Finding>& findings,
                                                       const std::optional<boost::asio::ip::address>& client);

// The disposition actually applied (RFC 7489 §7.2: "the final policy action
// applied"), from what became of the message; local_policy when it is not the
// one DMARC asked for. nullopt for a deferred message: it will come again.
std::optional<AggregateReportRow> concluded_row(AggregateReportRow row, MessageFate fate);

// The row as the state store keeps it: one JSON object on one line, keys as the
// members above ("dkim" an array of {"domain","result"}), octets outside
// printable ASCII as \u00XX, so a hostile header_from cannot break the line.
std::string report_row_json(const AggregateReportRow& row);

}  // namespace mxgate::filters::dmarc
