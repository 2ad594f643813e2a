// libFuzzer: parse_from() over any From: value. abort()s when:
// - an accepted field yields a domain that is not a dot-atom domain in lower
//   case (or a bracketed literal);
// - the mailboxes found, written back out canonically ("<"quoted"@domain>, ..."),
//   do not parse to the same mailboxes (the parser reads what it reports);
// - a rejected field reports mailboxes anyway.
#include "filters/dmarc/from_header.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace mxgate::filters::dmarc;

void check(bool ok) {
    if (!ok) std::abort();
}

bool is_atext_or_dot(unsigned char c) {
    if (c >= 0x80 || c == '.') return true;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

void check_domain(const Mailbox& m) {
    check(!m.domain.empty());
    if (m.domain_literal) {
        check(m.domain.front() == '[' && m.domain.back() == ']');
        return;
    }
    check(m.domain.front() != '.' && m.domain.back() != '.' && m.domain.find("..") == std::string::npos);
    for (const char c : m.domain) check(is_atext_or_dot(static_cast<unsigned char>(c)));
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

bool same(const ParsedFrom& a, const ParsedFrom& b) {
    if (a.mailboxes.size() != b.mailboxes.size()) return false;
    for (std::size_t i = 0; i < a.mailboxes.size(); ++i)
        if (a.mailboxes[i].local_part != b.mailboxes[i].local_part || a.mailboxes[i].domain != b.mailboxes[i].domain ||
            a.mailboxes[i].domain_literal != b.mailboxes[i].domain_literal)
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    const ParsedFrom parsed = parse_from(value);
    if (!parsed.ok()) {
        check(parsed.mailboxes.empty());
        return 0;
    }
    std::string canonical;
    for (const Mailbox& m : parsed.mailboxes) {
        check_domain(m);
        canonical += (canonical.empty() ? "<" : ", <") + quoted(m.local_part) + "@" + m.domain + ">";
    }
    if (parsed.mailboxes.empty()) return 0;  // only empty groups
    const ParsedFrom again = parse_from(canonical);
    check(again.ok() && same(parsed, again));
    return 0;
}
