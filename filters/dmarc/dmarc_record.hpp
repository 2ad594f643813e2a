// A DMARC policy record (RFC 7489 §6.3, §6.4): a pure parser of the TXT text
// found at _dmarc.<domain>, attacker-controlled (fuzzed by
// tests/fuzz/dmarc_record_fuzz.cpp). Never throws; a record it cannot use is an
// error value saying why. What it keeps and what it ignores:
//   v=DMARC1 must be the first tag (else the TXT is not a DMARC record at all);
//   p= required; when missing or invalid (or sp= invalid), a record with a valid
//     rua= URI counts as p=none, any other is invalid (§6.6.3 step 6);
//   sp, adkim, aspf, pct: used; an invalid adkim/aspf/pct value falls back to
//     its default (§6.3 gives defaults; the record stays usable);
//   rua, ruf: kept (their URIs, for aggregate reports later); fo, rf, ri: kept
//     as text, not used; unknown tags ignored (§6.3); a repeated tag makes the
//     record invalid (the DKIM tag-list rule, RFC 6376 §3.2, §6.3 builds on).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxgate::filters::dmarc {

enum class Policy : std::uint8_t { none, quarantine, reject };
std::string_view to_string(Policy policy);

enum class Alignment : std::uint8_t { relaxed, strict };

struct DmarcRecord {
    Policy policy = Policy::none;          // p=
    std::optional<Policy> subdomain_policy;  // sp=; absent: p= applies to subdomains too
    Alignment dkim_alignment = Alignment::relaxed;  // adkim=
    Alignment spf_alignment = Alignment::relaxed;   // aspf=
    int percent = 100;                     // pct=, 0..100
    std::vector<std::string> aggregate_uris;  // rua=
    std::vector<std::string> failure_uris;    // ruf=
    std::string failure_options = "0";        // fo=
    std::uint32_t report_interval = 86400;    // ri=, seconds
    bool policy_assumed = false;  // p= missing or invalid, valid rua=: p=none (§6.6.3)
};

struct ParsedRecord {
    std::optional<DmarcRecord> record;  // empty: unusable, see error
    std::string error;                  // why, for logs
};

// §6.6.3 step 3: a TXT record is a DMARC record when it starts with "v=DMARC1"
// (WSP allowed around '='), followed by ';', WSP or nothing.
bool is_dmarc_record(std::string_view txt);

// The tags of one DMARC record (is_dmarc_record(txt) should hold; if not, an error).
ParsedRecord parse_record(std::string_view txt);

}  // namespace mxgate::filters::dmarc
