// Settings of the DMARC filter (yaml: filters.dmarc:), described once: the YAML
// keys are the member names, the defaults their initializers; the rules of the
// fields that need one are in dmarc_registration.cpp.
// The on_* actions are the default handling the issue asks for (RFC 7489 §6.6.1,
// §6.7), shorthand for rules (default_rules() in dmarc_registration.hpp).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

namespace mxgate::filters::dmarc {

using namespace std::chrono_literals;

// What to do with a message in one DMARC situation. quarantine: accept it (250)
// and deliver it to the quarantine destination only.
enum class DmarcAction : unsigned char { proceed, quarantine, tempfail, reject };
BOOST_DESCRIBE_ENUM(DmarcAction, proceed, quarantine, tempfail, reject)

struct DmarcConfig {                                  // yaml: filters.dmarc:
    bool enabled = false;
    std::chrono::milliseconds timeout = 5s;           // all policy lookups of one message; over it -> temperror
    // Debian's publicsuffix package; libpsl reads its .dafsa (or a .dat text list).
    std::string public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dafsa";
    // A From: with more distinct domains than this is treated as malformed (each costs up to two lookups).
    int max_from_domains = 10;
    bool skip_trusted = true;                         // trusted_networks: no DMARC check, no finding

    DmarcAction on_reject_fail = DmarcAction::reject;          // p=reject (sp=) and the message fails
    DmarcAction on_quarantine_fail = DmarcAction::quarantine;  // p=quarantine fails, or p=reject outside pct=
    DmarcAction on_none_fail = DmarcAction::proceed;           // p=none fails: delivered with dmarc=fail
    DmarcAction on_temperror = DmarcAction::tempfail;          // policy unknown (SERVFAIL) and alignment fails
    DmarcAction on_from_count = DmarcAction::reject;           // no From: field or several (§6.6.1)
    DmarcAction on_malformed_from = DmarcAction::proceed;      // a From: with no usable domain

    // Aggregate-report rows (RFC 7489 §7.2) in the state store, one per message whose
    // From: domain publishes a policy. Off by default: no report is sent yet, and on
    // it makes DMARC need the state store (state:).
    bool record_reports = false;
    std::chrono::seconds report_retention = 7 * 24h;           // how long a row is kept for the report sender
    bool operator==(const DmarcConfig&) const = default;
};
// In --check-config order.
BOOST_DESCRIBE_STRUCT(DmarcConfig, (), (enabled, timeout, public_suffix_list, max_from_domains, skip_trusted,
                                        on_reject_fail, on_quarantine_fail, on_none_fail, on_temperror,
                                        on_from_count, on_malformed_from, record_reports, report_retention))

}  // namespace mxgate::filters::dmarc
