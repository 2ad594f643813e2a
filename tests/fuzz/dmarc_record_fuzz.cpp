// libFuzzer: parse_record() over any TXT text. abort()s when:
// - a text is_dmarc_record() refuses yields a record;
// - a record breaks its own invariants: pct= within 0..100, an assumed p=none
//   only with a report URI and without sp= (RFC 7489 §6.6.3 step 6), report URIs
//   without white space, ',' or ';' (they were split on those).
#include "filters/dmarc/dmarc_record.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace mxgate::filters::dmarc;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_uris(const std::vector<std::string>& uris) {
    for (const std::string& uri : uris) {
        check(!uri.empty() && uri.find(':') != std::string::npos);
        for (const char c : uri) check(c > ' ' && c < 0x7f && c != ',' && c != ';');
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view txt(reinterpret_cast<const char*>(data), size);
    const ParsedRecord parsed = parse_record(txt);
    if (!is_dmarc_record(txt)) check(!parsed.record);
    if (!parsed.record) {
        check(!parsed.error.empty());
        return 0;
    }
    const DmarcRecord& r = *parsed.record;
    check(r.percent >= 0 && r.percent <= 100);
    if (r.policy_assumed) check(r.policy == Policy::none && !r.subdomain_policy && !r.aggregate_uris.empty());
    check_uris(r.aggregate_uris);
    check_uris(r.failure_uris);
    return 0;
}
