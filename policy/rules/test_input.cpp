// Parsing the inputs of `policy test` (test_input.hpp).
#include "policy/rules/test_input.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "policy/policy.hpp"

namespace mxgate::policy::rules {

namespace {

using core::Stage;

constexpr std::array stages = {Stage::connect, Stage::helo, Stage::mail_from, Stage::rcpt, Stage::end_of_data};
constexpr std::array outcomes = {core::Outcome::pass,      core::Outcome::fail,      core::Outcome::softfail,
                                 core::Outcome::neutral,   core::Outcome::none,      core::Outcome::temperror,
                                 core::Outcome::permerror, core::Outcome::skipped,   core::Outcome::policy};

// The stage a finding is reported at (docs/filters.md): by its whole name, or by
// its first part for the names that end in a list's ("dnsbl.zen").
struct FindingStage {
    std::string_view name;  // ending in '.': a prefix
    Stage stage;
};

constexpr std::array<FindingStage, 12> finding_stages = {{
    {"dnsbl", Stage::rcpt},  // exact: the RCPT sum of the listed weights
    {"dnsbl.", Stage::connect},
    {"dnswl.", Stage::connect},
    {"fcrdns", Stage::connect},
    {"ratelimit.connections", Stage::connect},
    {"ratelimit.messages", Stage::mail_from},
    {"helo", Stage::helo},
    {"spf", Stage::mail_from},
    {"spf.helo", Stage::mail_from},
    {"greylist", Stage::rcpt},
    {"dkim", Stage::end_of_data},
    {"dmarc", Stage::end_of_data},
}};

std::optional<Stage> stage_of(std::string_view name) {
    for (const auto& known : finding_stages) {
        const bool prefix = known.name.ends_with('.');
        if (prefix ? name.starts_with(known.name) && name.size() > known.name.size() : name == known.name)
            return known.stage;
    }
    return std::nullopt;
}

std::string one_of_outcomes() {
    std::string names;
    for (const auto o : outcomes) names += (names.empty() ? "" : ", ") + std::string(core::to_string(o));
    return names;
}

std::optional<Stage> stage_named(std::string_view name) {
    for (const auto s : stages)
        if (core::to_string(s) == name) return s;
    return std::nullopt;
}

bool finding_name_ok(std::string_view name) {
    if (name.empty()) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

bool printable(std::string_view text) {
    for (const char c : text)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
    return true;
}

}  // namespace

Parsed<GivenFinding> parse_finding(std::string_view spec) {
    GivenFinding given;
    std::optional<Stage> stage;
    if (const auto at = spec.rfind('@'); at != std::string_view::npos && spec.find('.', at) == std::string_view::npos) {
        const std::string_view written = spec.substr(at + 1);
        stage = stage_named(written);
        if (!stage)
            return {std::nullopt, "unknown stage '" + std::string(written) +
                                      "' after '@' (connect, helo, mail_from, rcpt, end_of_data)"};
        spec = spec.substr(0, at);
    }
    const auto semicolon = spec.find(';');
    const std::string_view head = spec.substr(0, semicolon);
    const auto equals = head.find('=');
    if (equals == std::string_view::npos)
        return {std::nullopt, "expected NAME=OUTCOME, got '" + std::string(head) + "'"};
    const std::string_view name = head.substr(0, equals), outcome = head.substr(equals + 1);
    if (!finding_name_ok(name))
        return {std::nullopt, "finding name '" + std::string(name) + "': expected a-z 0-9 . _ - (like dnsbl.zen)"};
    given.finding.name = std::string(name);
    const auto known = std::find_if(outcomes.begin(), outcomes.end(),
                                    [&](core::Outcome o) { return core::to_string(o) == outcome; });
    if (known == outcomes.end())
        return {std::nullopt, "unknown outcome '" + std::string(outcome) + "' (one of " + one_of_outcomes() + ")"};
    given.finding.outcome = *known;
    std::string_view rest = semicolon == std::string_view::npos ? std::string_view() : spec.substr(semicolon + 1);
    while (semicolon != std::string_view::npos) {
        const auto next = rest.find(';');
        const std::string_view attr = rest.substr(0, next);
        const auto eq = attr.find('=');
        if (eq == std::string_view::npos || eq == 0)
            return {std::nullopt, "attribute '" + std::string(attr) + "': expected attr=value"};
        given.finding.attrs.emplace_back(std::string(attr.substr(0, eq)), std::string(attr.substr(eq + 1)));
        if (next == std::string_view::npos) break;
        rest.remove_prefix(next + 1);
    }
    const std::optional<Stage> usual = stage_of(name);
    if (!usual && !stage)
        return {std::nullopt, "no filter reports '" + std::string(name) + "': give its stage, like '" +
                                  std::string(name) + "=" + std::string(outcome) + "@rcpt'"};
    given.stage = stage ? *stage : *usual;
    given.filter = filter_of_finding(name);
    return {std::move(given), {}};
}

Parsed<core::Address> parse_address(std::string_view text, bool null_allowed) {
    if (text.size() >= 2 && text.front() == '<' && text.back() == '>') text = text.substr(1, text.size() - 2);
    if (text.empty()) {
        if (null_allowed) return {core::Address{}, {}};
        return {std::nullopt, "expected an address like user@example.org, got '<>'"};
    }
    if (!printable(text)) return {std::nullopt, "expected an address without blanks or control characters"};
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) {
        // RFC 5321 §4.5.1: <Postmaster> without a domain, as a recipient.
        const bool postmaster = text.size() == 10 && std::equal(text.begin(), text.end(), "postmaster",
                                                                [](char a, char b) { return (a | 0x20) == b; });
        if (postmaster && !null_allowed) return {core::Address{std::string(text), "", false}, {}};
        return {std::nullopt, "expected an address like user@example.org, got '" + std::string(text) + "'"};
    }
    if (at == 0 || at + 1 == text.size())
        return {std::nullopt, "expected an address like user@example.org, got '" + std::string(text) + "'"};
    return {core::Address{std::string(text.substr(0, at)), std::string(text.substr(at + 1)), false}, {}};
}

Parsed<boost::asio::ip::address> parse_client_ip(std::string_view text) {
    boost::system::error_code error;
    auto address = boost::asio::ip::make_address(std::string(text), error);
    if (error) return {std::nullopt, "expected an IPv4 or IPv6 address, got '" + std::string(text) + "'"};
    return {address, {}};
}

Parsed<std::string> parse_tls_version(std::string_view text) {
    if (text.starts_with("TLSv")) text.remove_prefix(4);
    for (const std::string_view version : {"1.0", "1.1", "1.2", "1.3"})
        if (text == version) return {std::string(text), {}};
    return {std::nullopt, "expected a TLS version 1.0, 1.1, 1.2 or 1.3, got '" + std::string(text) + "'"};
}

GivenFinding confirmed_rdns(const std::string& name) {
    return {core::Finding{"fcrdns", core::Outcome::pass, {{"name", name}}, "given on the command line"},
            Stage::connect, "dnsbl"};
}

MessageFacts message_facts(std::string_view text) {
    MessageFacts facts;
    bool in_header = true;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        facts.size += line.size() + 2;
        if (!in_header) continue;
        if (line.empty()) {
            in_header = false;
        } else if ((line.front() == ' ' || line.front() == '\t') && !facts.header_fields.empty()) {
            facts.header_fields.back().value += "\r\n" + std::string(line);
        } else if (auto field = parse_header_field(line)) {
            facts.header_fields.push_back(std::move(*field));
        } else {
            in_header = false;  // not a field: the body starts here
        }
    }
    return facts;
}

std::optional<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

Parsed<MessageFacts> read_message(const std::string& path) {
    const auto text = read_text_file(path);
    if (!text) return {std::nullopt, "cannot read the message file " + path};
    return {message_facts(*text), {}};
}

}  // namespace mxgate::policy::rules
