// Trace headers for an SPF result (pure functions, no I/O): Received-SPF
// (RFC 7208 §9.1) and the spf part of Authentication-Results (RFC 8601 §2.7.2;
// the field itself is built in filters/auth_results.hpp). Headers are complete,
// folded and end in CRLF. Peer-supplied text (HELO, sender) is quoted or
// replaced so it can never break the header's syntax; the sender's own
// explanation (exp=) is never put into a header.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "filters/spf/spf_evaluator.hpp"

namespace mxgate::filters::spf {

// "Received-SPF: pass (mx.example.org: domain of x@y designates 192.0.2.1 as
//  permitted sender)\r\n\tclient-ip=192.0.2.1; envelope-from="x@y"; helo=...;\r\n\treceiver=...; identity=mailfrom\r\n"
std::string received_spf_header(const SpfVerdict& verdict, const boost::asio::ip::address& client_address,
                                 std::string_view helo, std::string_view receiver);

// The method part for one Authentication-Results header: "spf=pass smtp.mailfrom=x@y"
// or "spf=none smtp.helo=mail.example.org" (RFC 8601 §2.7.2).
std::string spf_resinfo(const SpfVerdict& verdict, std::string_view helo);

}  // namespace mxgate::filters::spf
