// libFuzzer: a policy file as an operator (or a bad merge) may write it, through
// the rule compiler, then every stage of the compiled policy evaluated with a
// trace over a few facts. abort()s when:
// - the compiler returns a policy together with diagnostics, or neither;
// - a diagnostic has no message, or a position past the input's lines;
// - a decision names no rule for a verdict, or a rule that is not in the policy;
// - a decision's SMTP reply has a code of the wrong class for its verdict.
// An exception escaping compile_policy or evaluate ends the run as a crash too.
// List files are looked for in a folder that does not exist.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "policy/rules/compile.hpp"
#include "policy/rules/evaluate.hpp"
#include "policy/rules/smtp_reply.hpp"

namespace {

using namespace mxgate::policy::rules;
namespace core = mxgate::core;

void check(bool ok) {
    if (!ok) std::abort();
}

Facts sample_facts(const std::vector<core::Finding>& findings, const std::vector<HeaderField>& fields) {
    Facts f;
    f.client_ip = boost::asio::ip::make_address("192.0.2.1");
    f.rdns = "mail.example.org";
    f.helo = "mail.example.org";
    f.sender = core::Address{"a", "example.org", false};
    static const std::vector<core::Address> accepted{core::Address{"b", "example.net", false}};
    f.recipients = accepted;
    f.recipient = core::Address{"c", "example.net", false};
    f.message_size = 2048;
    f.findings = findings;
    f.header_fields = fields;
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const CompileResult result = compile_policy(text, "fuzz.yaml", "/nonexistent/mxgate-policy-fuzz");
    check((result.policy == nullptr) != result.diagnostics.empty());
    const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    for (const auto& d : result.diagnostics) check(!d.message.empty() && d.line >= 0 && d.line <= lines + 1);
    if (!result.policy) return 0;

    const std::vector<core::Finding> findings = {
        {"spf", core::Outcome::fail, {}, ""},
        {"dkim", core::Outcome::pass, {{"domain", "example.org"}}, ""},
        {"dnsbl.zen", core::Outcome::fail, {{"codes", "127.0.0.2"}}, ""},
        {"greylist", core::Outcome::softfail, {}, ""},
    };
    const std::vector<HeaderField> fields = {{"Subject", "hello"}};
    const Facts facts = sample_facts(findings, fields);
    for (std::size_t stage = 0; stage < stage_count; ++stage) {
        const Decision d = evaluate(*result.policy, static_cast<core::Stage>(stage), facts, Tracing::on);
        check(d.trace.size() == d.rules_evaluated);
        if (d.terminal == Terminal::none) {
            check(d.rule.empty());
            continue;
        }
        check(std::any_of(result.policy->rules.begin(), result.policy->rules.end(),
                          [&](const Rule& r) { return r.name == d.rule; }));
        if (const auto reply = smtp_reply(d)) {
            const int expected_class = d.terminal == Terminal::reject ? 5 : 4;
            check(reply->klass() == expected_class && !reply->enhanced.empty() &&
                  reply->enhanced[0] - '0' == expected_class);
        }
    }
    return 0;
}
