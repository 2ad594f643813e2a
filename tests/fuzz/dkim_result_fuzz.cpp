// libFuzzer: d=, s= and b= as a signer (anyone who sends mail) may write them,
// through key_query_name and signature_finding. abort()s when:
// - a key name is produced from values that are no DNS names, or is longer
//   than RFC 1035 allows, or does not end in "._domainkey.<d>";
// - the auth_results resinfo holds CR, LF or NUL anywhere, or a ';' or an
//   unclosed quoted-string outside quoted text (it would end our result or
//   forge another method's in the Authentication-Results field).
// The input is split at its first two NUL bytes into d, s and b.
#include "filters/dkim/dkim_result.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace mxgate::filters::dkim;

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

void check_resinfo(std::string_view resinfo) {
    bool quoted = false;
    for (std::size_t i = 0; i < resinfo.size(); ++i) {
        const char c = resinfo[i];
        if (c == '\r' || c == '\n' || c == '\0') std::abort();
        if (quoted && c == '\\') {
            ++i;  // a quoted-pair
            if (i == resinfo.size()) std::abort();
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && c == ';') {
            std::abort();
        }
    }
    if (quoted) std::abort();
}

std::string_view next_part(std::string_view& input) {
    const auto nul = input.find('\0');
    const std::string_view part = input.substr(0, nul);
    input.remove_prefix(nul == std::string_view::npos ? input.size() : nul + 1);
    return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    SignatureFacts facts;
    facts.domain = next_part(input);
    facts.selector = next_part(input);
    facts.b = input;
    if (const auto name = key_query_name(facts.selector, facts.domain)) {
        if (name->size() > 253 || !name->ends_with("._domainkey." + facts.domain)) std::abort();
        for (const char c : *name)
            if (!is_name_char(c)) std::abort();
    }
    for (const auto verification : {Verification::verified, Verification::key_unavailable}) {
        facts.verification = verification;
        check_resinfo(signature_finding(facts, DkimConfig{}).attr("auth_results"));
    }
    return 0;
}
