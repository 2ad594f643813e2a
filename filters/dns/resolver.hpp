// The DNS seam: every filter asks its questions through Resolver, and unit tests
// replace it with a fake. One real implementation (UnboundResolver) is shared by
// the whole process. A query never throws and never blocks the calling thread:
// failures are Status values (servfail/timeout -> the filter reports temperror),
// and the awaitable always completes on the caller's executor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "filters/metric_sink.hpp"

namespace mxgate::filters::dns {

// Values are the IANA RR type codes.
enum class RecordType : std::uint16_t { a = 1, ns = 2, cname = 5, ptr = 12, mx = 15, txt = 16, aaaa = 28 };
std::string_view to_string(RecordType type);

enum class Status : std::uint8_t {
    ok,        // records holds at least one record
    nxdomain,  // the name does not exist (RCODE 3)
    nodata,    // the name exists, no record of this type (NOERROR, empty answer)
    servfail,  // upstream failure, REFUSED, DNSSEC bogus, resolver error
    timeout,   // no answer within dns.timeout
};
std::string_view to_string(Status status);

// A name as compared: lower case (RFC 4343), without the trailing dot ("." stays).
std::string canonical_name(std::string_view name);

struct Answer {
    Status status = Status::servfail;
    // A: "192.0.2.1"; AAAA: RFC 5952 text; TXT: one string per record, its
    // character-strings concatenated (RFC 7208 §3.3); PTR/NS/CNAME: name without
    // the trailing dot; MX: "10 mx.example.org". The root name is ".".
    std::vector<std::string> records;
    std::uint32_t ttl = 0;  // seconds; for negative answers the negative-cache TTL
    bool secure = false;    // DNSSEC-validated (always false with dns.dnssec off)
};

class Resolver {
public:
    virtual ~Resolver() = default;
    // Completes on the executor of the awaiting coroutine. Per-operation
    // cancellation (e.g. a filter's own budget) completes it early with Status::timeout.
    virtual boost::asio::awaitable<Answer> query(std::string name, RecordType type) = 0;
    // Its counters, for the metrics endpoint (docs/metrics.md).
    virtual void report(MetricSink&) const {}
};

}  // namespace mxgate::filters::dns
