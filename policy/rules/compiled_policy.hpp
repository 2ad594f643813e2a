// A policy as the compiler leaves it: ordered rules, each a tree of compiled
// conditions and a set of actions, indexed by the stage it runs at. Immutable
// once built and shared between sessions (std::shared_ptr<const CompiledPolicy>);
// evaluation reads it and never touches YAML.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/rules/matchers.hpp"
#include "proxy/core/finding.hpp"

namespace mxgate::policy::rules {

inline constexpr std::size_t stage_count = 5;  // core::Stage connect .. end_of_data

enum class ConditionKind : std::uint8_t {
    all, any, negation,  // combinators over `children`
    client_ip, rdns, fcrdns, helo, tls, tls_version, trusted,
    sender, recipient, recipient_count, size, header,
    spf, dkim, dmarc, dnsbl, dnswl, greylist, score,
    connection_rate, message_rate,  // the rate_limit filter's ratelimit.connections / ratelimit.messages
    finding,  // a filter's default rule (default_rules.hpp): a finding of the stage by name and outcome
};

// A half-open range [at_least, less_than) over recipient count, size in bytes, score, TLS version x10.
struct Bounds {
    std::optional<long long> at_least;   // >=
    std::optional<long long> less_than;  // <
    bool contains(long long value) const {
        return (!at_least || value >= *at_least) && (!less_than || value < *less_than);
    }
};

struct Condition {
    ConditionKind kind = ConditionKind::all;
    std::string text;                          // how the trace shows it: "client_ip in 10.0.0.0/8"
    std::vector<Condition> children;           // all, any, negation (one child)
    bool expected = true;                      // fcrdns, tls, trusted; header: presence wanted
    std::shared_ptr<const CidrSet> networks;   // client_ip
    std::shared_ptr<const TextMatcher> names;  // rdns, helo, sender, recipient, dkim domain
    std::shared_ptr<const RegexAny> values;    // header value regexes
    Bounds bounds;                             // recipient_count, size, score, tls_version
    std::uint16_t outcomes = 0;                // spf, dkim, dmarc, greylist: bit per core::Outcome
    std::string name;                          // header name (lower case); dnsbl/dnswl finding name
    std::vector<std::string> codes;            // dnsbl/dnswl return codes; empty = any listing
    std::string dmarc_policy;                  // dmarc: the p=/sp= applied, "" = any
    // finding: `name` is the finding's name, "x.*" for a prefix or "*" for any;
    // every attribute of `attrs` equal; and none of the `children` (finding
    // conditions too) matches the same finding (default.temperror: what no filter answers).
    std::vector<std::pair<std::string, std::string>> attrs;
};

inline constexpr std::uint16_t outcome_bit(core::Outcome outcome) {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(outcome));
}

// What a rule ends the stage's evaluation with. `stop` ends it without a verdict.
enum class Terminal : std::uint8_t { none, accept, reject, tempfail, disconnect, quarantine, stop };
std::string_view to_string(Terminal terminal);

struct ReplySpec {  // code 0: the default for the terminal (smtp_reply.hpp)
    int code = 0;
    std::string enhanced;
    std::string text;
    bool templated = false;  // `text` names findings' attributes (text_template.hpp)
};

struct Actions {
    Terminal terminal = Terminal::none;
    ReplySpec reply;                       // reject, tempfail, disconnect
    std::string quarantine_reason;         // quarantine, for the logs
    bool reason_templated = false;         // it names findings' attributes or reasons
    long score = 0;                        // score +N / -N
    std::vector<std::string> add_headers;  // whole fields without CRLF: "X-Spam: yes"
    std::vector<std::string> skip_filters;
    std::string route;  // backend name; "" = unchanged
};

struct Rule {
    std::string name;
    std::string description;
    int line = 0;  // where the rule starts in the policy file, for messages and traces
    core::Stage stage = core::Stage::connect;
    bool monitor = false;  // decide nothing: record what it would have done
    // It reads a finding the filters of its own stage produce, so it waits for them;
    // the rules before the first such rule run before the filters (and may spare them).
    bool after_filters = false;
    // The filter whose settings made it (a default rule, default_rules.hpp); "" for a rule of the file.
    std::string from_filter;
    Condition when;        // kind all with no children: always true
    Actions then;
};

struct CompiledPolicy {
    std::string file;
    // Absolute paths of the policy file and of every list file it read, so a
    // reload can be triggered when any of them changes (proxy/policy_watch.hpp).
    std::vector<std::string> sources;
    std::vector<Rule> rules;                                       // in file order
    std::array<std::vector<std::uint32_t>, stage_count> by_stage;  // indexes into rules, in order
    // Filters whose default rules (their shorthand: SPF's on_fail, greylisting's
    // deferral...) are only logged as what they would have done (`monitor_filters:`).
    std::vector<std::string> monitored_filters;
    // Filters whose findings this file decides on itself (`without_default_rules:`):
    // their default rules that answer are left out; those that let a temperror pass stay.
    std::vector<std::string> filters_without_default_rules;
    // A rule of the file runs at end of data, so the session holds each message for it.
    bool reads_message = false;
};

}  // namespace mxgate::policy::rules
