// libFuzzer: an SPF record as any domain owner (or a spoofed DNS answer) may
// publish it, through is_spf_record and parse_record. abort()s when:
// - is_spf_record disagrees with RFC 7208 §4.5 ("v=spf1", any case, then the
//   end or a space);
// - a parsed record breaks the parser's own promises: include/exists without a
//   domain-spec, a domain-spec (or redirect=/exp=) that valid_domain_spec
//   refuses, an ip4/ip6 network of the wrong family, a CIDR length outside
//   0-32 / 0-128 (§5.6), has_all not matching the terms;
// - a permerror comes without a reason for the logs;
// - the record written back from its terms does not parse to the same terms
//   (the parser keeps or drops a part depending on where it stood).
// An exception escaping parse_record ends the run as a crash too.
#include "filters/spf/spf_record.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace mxgate::filters::spf;

void check(bool ok) {
    if (!ok) std::abort();
}

bool reference_is_spf_record(std::string_view txt) {
    constexpr std::string_view version = "v=spf1";
    if (txt.size() < version.size()) return false;
    for (std::size_t i = 0; i < version.size(); ++i) {
        const char c = txt[i] >= 'A' && txt[i] <= 'Z' ? static_cast<char>(txt[i] - 'A' + 'a') : txt[i];
        if (c != version[i]) return false;
    }
    return txt.size() == version.size() || txt[version.size()] == ' ';
}

char qualifier_char(Qualifier qualifier) {
    switch (qualifier) {
        case Qualifier::pass: return '+';
        case Qualifier::fail: return '-';
        case Qualifier::softfail: return '~';
        case Qualifier::neutral: return '?';
    }
    std::abort();
}

// The record in RFC 7208 §12 syntax with every part explicit.
std::string write_record(const Record& record) {
    std::string text = "v=spf1";
    for (const Mechanism& m : record.mechanisms) {
        text += ' ';
        text += qualifier_char(m.qualifier);
        text += to_string(m.kind);
        switch (m.kind) {
            case MechanismKind::ip4: text += ':' + m.network.to_string() + '/' + std::to_string(m.cidr4); break;
            case MechanismKind::ip6: text += ':' + m.network.to_string() + '/' + std::to_string(m.cidr6); break;
            case MechanismKind::a:
            case MechanismKind::mx:
                if (!m.domain_spec.empty()) text += ':' + m.domain_spec;
                text += '/' + std::to_string(m.cidr4) + "//" + std::to_string(m.cidr6);
                break;
            case MechanismKind::include:
            case MechanismKind::exists:
            case MechanismKind::ptr:
                if (!m.domain_spec.empty()) text += ':' + m.domain_spec;
                break;
            case MechanismKind::all: break;
        }
    }
    if (record.redirect) text += " redirect=" + *record.redirect;
    if (record.exp) text += " exp=" + *record.exp;
    return text;
}

bool same_terms(const Record& a, const Record& b) {
    const auto same_mechanism = [](const Mechanism& x, const Mechanism& y) {
        return x.qualifier == y.qualifier && x.kind == y.kind && x.domain_spec == y.domain_spec &&
               x.network == y.network && x.cidr4 == y.cidr4 && x.cidr6 == y.cidr6;
    };
    return std::equal(a.mechanisms.begin(), a.mechanisms.end(), b.mechanisms.begin(), b.mechanisms.end(),
                      same_mechanism) &&
           a.redirect == b.redirect && a.exp == b.exp && a.has_all == b.has_all;
}

void check_record(const Record& record) {
    bool any_all = false;
    for (const Mechanism& m : record.mechanisms) {
        any_all = any_all || m.kind == MechanismKind::all;
        check(m.cidr4 >= 0 && m.cidr4 <= 32 && m.cidr6 >= 0 && m.cidr6 <= 128);
        if (m.kind == MechanismKind::include || m.kind == MechanismKind::exists) check(!m.domain_spec.empty());
        if (!m.domain_spec.empty()) check(valid_domain_spec(m.domain_spec));
        if (m.kind == MechanismKind::ip4) check(m.network.is_v4());
        if (m.kind == MechanismKind::ip6) check(m.network.is_v6());
        if (m.kind == MechanismKind::all || m.kind == MechanismKind::ip4 || m.kind == MechanismKind::ip6)
            check(m.domain_spec.empty() && !m.queries_dns());
        else
            check(m.queries_dns());
    }
    check(record.has_all == any_all);
    if (record.redirect) check(valid_domain_spec(*record.redirect));
    if (record.exp) check(valid_domain_spec(*record.exp));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view txt(reinterpret_cast<const char*>(data), size);
    valid_domain_spec(txt);  // the input as a bare domain-spec: must not crash
    check(is_spf_record(txt) == reference_is_spf_record(txt));
    if (!is_spf_record(txt)) return 0;

    const ParsedRecord parsed = parse_record(txt);
    if (!parsed.record) {
        check(!parsed.error.empty());
        return 0;
    }
    check_record(*parsed.record);
    const std::string written = write_record(*parsed.record);
    const ParsedRecord again = parse_record(written);
    check(again.record.has_value());
    check(same_terms(*parsed.record, *again.record));
    return 0;
}
