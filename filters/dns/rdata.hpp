// Pure decoding of one resource record's RDATA (wire format, as libunbound hands
// it over: names uncompressed) into the text form of Answer::records.
// Never does I/O, never throws: malformed or truncated RDATA, compression
// pointers (which cannot appear in uncompressed rdata, so no label loops) and
// over-long names yield std::nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "filters/dns/resolver.hpp"

namespace mxgate::filters::dns {

std::optional<std::string> parse_rdata(RecordType type, std::span<const std::uint8_t> rdata);

// A domain name in wire format that must fill `wire` exactly. Presentation form
// without the trailing dot ("." for the root); '.', '\\' and non-printable octets
// inside labels are escaped as in RFC 1035 §5.1 ("\.", "\\", "\DDD").
std::optional<std::string> parse_name(std::span<const std::uint8_t> wire);

}  // namespace mxgate::filters::dns
