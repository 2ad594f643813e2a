// libFuzzer: what `mxgate policy test` reads, as an operator (or a message saved
// from the wire) may write it: a --finding spec, an address, a message file and a
// case.yaml. abort()s when:
// - a parser returns neither a value nor an error, or both;
// - a parsed finding has an empty name or filter;
// - a message's counted size is less than its bytes less its CRs, or a header
//   field name is empty or holds a colon;
// - a case load returns a case together with diagnostics, or neither, or a
//   diagnostic without a message.
// An exception escaping any of them ends the run as a crash too.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "policy/rules/policy_cases.hpp"
#include "policy/rules/test_input.hpp"

namespace {

using namespace mxgate::policy::rules;

void check(bool ok) {
    if (!ok) std::abort();
}

template <class T>
void check_parsed(const Parsed<T>& parsed) {
    check(parsed.value.has_value() == parsed.error.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    const auto finding = parse_finding(text);
    check_parsed(finding);
    if (finding.value) check(!finding.value->finding.name.empty() && !finding.value->filter.empty());
    check_parsed(parse_address(text, true));
    check_parsed(parse_client_ip(text));
    check_parsed(parse_tls_version(text));

    const MessageFacts message = message_facts(text);
    std::size_t bytes = 0;
    for (const char c : text) bytes += c != '\r';
    check(message.size >= bytes);
    for (const auto& field : message.header_fields)
        check(!field.name.empty() && field.name.find(':') == std::string::npos);

    const CaseLoad load = parse_case(text, "case.yaml", "/nonexistent-fuzz-dir");
    check(load.policy_case.has_value() == load.diagnostics.empty());
    for (const auto& d : load.diagnostics) check(!d.message.empty());
    return 0;
}
