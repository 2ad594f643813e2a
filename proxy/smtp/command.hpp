// Parses one SMTP command line (without CRLF) into a Command. Pure code.
// Grammar: RFC 5321 §4.1.1 (commands), §4.1.2 (paths), RFC 1869 / RFC 5321 §4.1.2
// (ESMTP parameters), RFC 3030 (BDAT), RFC 6531 (UTF-8 addresses), Postfix XCLIENT.
// Errors are values: CommandError says which reply the session should send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "proxy/core/address.hpp"

namespace mxgate::smtp {

enum class Verb : std::uint8_t {
    helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, help, vrfy, expn, starttls,
    xclient,  // Postfix XCLIENT: attributes in `params`, values still xtext (see xclient.hpp)
    unknown,  // syntactically a command word we do not implement (reply 502)
};

// esmtp-param = esmtp-keyword ["=" esmtp-value]; keywords upper-cased here.
using EsmtpParam = std::pair<std::string, std::string>;

struct Command {
    Verb verb = Verb::unknown;
    std::string argument;             // HELO/EHLO domain, VRFY/EXPN/HELP text, raw for others
    core::Address address;                  // MAIL FROM / RCPT TO
    std::vector<EsmtpParam> params;   // MAIL / RCPT parameters, XCLIENT attributes, in order
    std::uint64_t chunk_size = 0;     // BDAT
    bool last_chunk = false;          // BDAT ... LAST
};

enum class CommandError : std::uint8_t {
    bad_character,      // NUL, control or non-ASCII outside an address -> 500 5.5.2
    unrecognized,       // not a command word -> 500 5.5.2
    syntax,             // bad arguments for a known verb -> 501 5.5.4
    bad_address,        // malformed path -> 501 5.1.3 (RCPT) / 501 5.1.7 (MAIL)
    bad_parameter,      // malformed ESMTP parameter -> 501 5.5.4
};

using ParseResult = std::variant<Command, CommandError>;

// `line` excludes the CRLF. Verbs are case-insensitive. Non-ASCII is accepted
// only inside a MAIL/RCPT address and only when it is valid UTF-8; whether the
// transaction allows it (SMTPUTF8) is the session's decision, via Address::utf8.
ParseResult parse_command(std::string_view line);

// Finds a parameter by upper-case keyword.
const EsmtpParam* find_param(const std::vector<EsmtpParam>& params, std::string_view keyword);

// xtext decoding (RFC 3461 §4) for ORCPT/ENVID; nullopt when malformed.
std::optional<std::string> decode_xtext(std::string_view xtext);

}  // namespace mxgate::smtp
