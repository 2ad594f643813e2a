// What a filter's own settings say to do with one of its results: the shorthand
// keys (SPF's on_fail, the DNS lists' reject_score, greylisting's deferral, the
// rate limits...). A filter states these once per config generation and never acts
// on them: its findings carry facts only. Policy compiles them into rules after the
// policy file's own (policy/rules/default_rules.hpp), so policy is the one author
// of every verdict (docs/policy.md "Shorthand: the filters' default rules").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/core/finding.hpp"

namespace mxgate::core {

struct DefaultRule {
    // proceed: this result is decided and needs no answer; for a temperror it
    // means "fail open", so policy's fail-closed rule (default.temperror) leaves it.
    enum class Answer : std::uint8_t { proceed, reject, tempfail, disconnect, quarantine };

    std::string name;                 // the key it comes from, as logs and metrics name the rule: "spf.on_fail"
    Stage stage = Stage::connect;     // where the filter reports the finding; the rule runs there
    std::string finding;              // the finding's name: "spf", "ratelimit.messages"; "dnsbl.*" for a prefix
    std::vector<Outcome> outcomes;    // it matches a finding of this stage with any of these outcomes
    std::vector<std::pair<std::string, std::string>> attrs;  // ... and every one of these attributes equal
    Answer answer = Answer::proceed;
    // reject, tempfail, disconnect: the reply (code 0: policy's default for the
    // answer). quarantine: `text` is the reason kept with the message.
    int code = 0;
    std::string enhanced;
    // A template: "{greylist.retry_after}" is that attribute of that finding of
    // this stage (split at the last dot; "{{" and "}}" are braces), "" when absent,
    // made printable and short. "{<finding>.reason}" is the finding's reason, for a
    // quarantine reason only: reasons are never sent to the client.
    std::string text;
};

// `text` as a template that says it literally (braces doubled): for reply text an
// operator configured (SPF's on_fail text), so a "{" in it is never read as a placeholder.
inline std::string template_literal(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        out += ch;
        if (ch == '{' || ch == '}') out += ch;
    }
    return out;
}

// One filter's default rules, named by its registry key ("rate_limit").
struct FilterDefaultRules {
    std::string filter;
    std::vector<DefaultRule> rules;
};

}  // namespace mxgate::core
