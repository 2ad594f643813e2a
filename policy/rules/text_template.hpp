// Reply texts and quarantine reasons that name a finding's attributes:
// "Greylisted, please try again in {greylist.retry_after} seconds". A placeholder
// is {<finding>.<attribute>}, split at the last dot ("{dnsbl.zen.codes}"); "{{" and
// "}}" are braces. The value is peer text or a filter's fact: what is not printable
// ASCII becomes '?', it is cut at max_placeholder_chars, and "" when the finding or attribute is absent. "{<finding>.reason}"
// (the finding's own reason) is for quarantine reasons only: a reason is never
// sent to the client. Checked when the policy compiles; rendered only when a rule
// that wrote one decides (no cost on the common path).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/core/finding.hpp"

namespace mxgate::policy::rules {

enum class Reasons : bool { refused, allowed };

// nullopt when `text` is a valid template; else what was expected, for a
// diagnostic "expected <this>" (MapReader::expected_exactly).
std::optional<std::string> template_error(std::string_view text, Reasons reasons);
bool has_placeholders(std::string_view text);

// The text with each placeholder's value: from the findings of this stage first
// (the filters that just ran), then of the transaction so far.
std::string render_template(std::string_view text, std::span<const core::Finding> stage_findings,
                            std::span<const core::Finding> findings);

inline constexpr std::size_t max_placeholder_chars = 320;  // one value (SPF's `explains` phrase: up to ~313)
inline constexpr std::size_t max_rendered_chars = 450;     // a reply line stays under RFC 5321's 512

}  // namespace mxgate::policy::rules
