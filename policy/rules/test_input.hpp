// What `mxgate policy test` reads from its command line and from case files, as
// the pieces of a Transaction (walk.hpp): findings written as
// 'NAME=OUTCOME[;attr=value...][@stage]', addresses, the client address, a TLS
// version, and the header fields and size of a message file. Pure, except
// read_message(); every error is a value whose text says which part is wrong.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/rules/walk.hpp"

namespace mxgate::policy::rules {

template <class T>
struct Parsed {
    std::optional<T> value;
    std::string error;  // when !value: what is wrong, without the input's name
};

// 'spf=fail', 'dkim=pass;domain=example.org', 'dnsbl.zen=fail;codes=127.0.0.2',
// 'spf=fail@rcpt'. Each name has the stage and filter that report it
// (docs/filters.md); a name of no known filter needs '@stage'. `@stage` is the text
// after the last '@' when it has no '.', so 'spf=pass;mailfrom=a@example.org' is an attribute.
Parsed<GivenFinding> parse_finding(std::string_view spec);
// "user@example.org", "<user@example.org>", "Postmaster"; "<>" only when null_allowed.
Parsed<core::Address> parse_address(std::string_view text, bool null_allowed);
Parsed<boost::asio::ip::address> parse_client_ip(std::string_view text);
// "1.0" .. "1.3" (OpenSSL's "TLSv1.3" too), as the rules compare it.
Parsed<std::string> parse_tls_version(std::string_view text);
// The finding the DNSBL filter reports for a confirmed reverse-DNS name: `--rdns`.
GivenFinding confirmed_rdns(const std::string& name);

struct MessageFacts {
    std::uint64_t size = 0;  // with CRLF line endings, as the session counts it
    std::vector<HeaderField> header_fields;
};
// An RFC 5322 message with CRLF or LF line endings: the header fields up to the
// first empty line (folded fields whole, continuation lines kept with CRLF).
MessageFacts message_facts(std::string_view text);
Parsed<MessageFacts> read_message(const std::string& path);
// A whole file (a message, a case); nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace mxgate::policy::rules
