// Walks one whole transaction through the policy the way the session does, for
// `mxgate policy test`: connect, HELO, MAIL FROM, each RCPT, end of data. At each
// stage the rules before the filters run, the findings of that stage become
// visible (less those of filters a rule skipped), the remaining rules run (the
// file's, then the filters' default rules: default_rules.hpp), and Scopes carries
// score, accept, skip, headers and route on. The findings are given, not looked
// up: no DNS, no filter runs. Pure; a transaction that cannot be walked does not
// exist (every input is a plain value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "policy/rules/evaluate.hpp"
#include "policy/rules/facts.hpp"
#include "policy/verdict.hpp"
#include "proxy/core/reply.hpp"

namespace mxgate::policy::rules {

// A finding as a filter would report it: at the stage that filter runs at, and
// named after the filter (its registry key) so that `skip:` can hide it.
struct GivenFinding {
    core::Finding finding;
    core::Stage stage = core::Stage::connect;
    std::string filter;
    // At RCPT: the one recipient (index into Transaction::recipients) it was found
    // for, as a filter run for each; nullopt: every recipient's, as --finding gives it.
    std::optional<std::size_t> recipient;
};

struct Transaction {
    std::optional<boost::asio::ip::address> client_ip;  // nullopt: XCLIENT ADDR=[UNAVAILABLE]
    std::string helo;                                   // the last EHLO (after STARTTLS, when TLS is on)
    bool tls = false;
    std::string tls_version;  // "1.2", "1.3"
    bool trusted = false;
    core::Address sender;  // empty: "<>"
    std::vector<core::Address> recipients;
    bool has_message = false;  // false: no message file; end of data still runs, over size 0 and no fields
    std::uint64_t message_size = 0;
    std::vector<HeaderField> header_fields;
    std::vector<GivenFinding> findings;
    bool quarantine_store = true;  // without one, the session delivers what a rule quarantines
};

// The client's confirmed reverse-DNS name from the findings so far: the session
// takes `rdns` from the FCrDNS finding (filters::dnsbl::confirmed_name). A
// parameter, because policy/ knows no filter.
using ConfirmedName = std::optional<std::string> (*)(const std::vector<core::Finding>&);

struct StageStep {
    core::Stage stage = core::Stage::connect;
    std::optional<std::size_t> recipient;  // at RCPT: index into Transaction::recipients
    bool policy_ran = true;                // false: an `accept` earlier ended policy for this scope
    bool filters_ran = false;              // false: a rule decided before the filters
    long score_before = 0;                 // the score earlier stages carried in
    Decision decision;                     // with its trace
    std::size_t trace_before_filters = 0;  // how many trace steps ran before the filters
    std::vector<core::Finding> found;      // this stage's findings, now visible to the rules
    std::vector<core::Finding> hidden;     // this stage's findings of skipped filters: never visible
    std::optional<Verdict> verdict;        // nullopt: carry on
    bool quarantine_ignored = false;       // quarantine before end of data, or without a store: delivered
    core::Reply reply;                     // what the client is told
};

struct TransactionVerdict {
    std::string verdict;  // reject, tempfail, disconnect, quarantine, deliver
    std::string rule;     // "" when no rule decided
    core::Stage stage = core::Stage::connect;
    long score = 0;
    core::Reply reply;
};

struct Walk {
    std::vector<StageStep> steps;
    TransactionVerdict verdict;
};

// The verdict of the transaction: the refusal that ended it (connect, HELO, MAIL,
// end of data, or a disconnect at any stage); when every recipient was refused,
// the first recipient's refusal; else quarantine or deliver, by the rule whose
// `accept` ended policy, if any.
Walk walk_transaction(const CompiledPolicy& policy, const Transaction& transaction, ConfirmedName confirmed_name);

// "reject", "tempfail", "disconnect", "quarantine", "deliver" (proceed).
std::string_view verdict_name(Verdict::Action action);

}  // namespace mxgate::policy::rules
