#include "proxy/session/received.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace mxgate::session {

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[64];
    // Names spelled out here: strftime's %a/%b follow the locale, RFC 5322 does not.
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buffer;
}

namespace {

constexpr std::size_t max_domain_length = 255;  // RFC 5321 §4.5.3.1.2
constexpr std::size_t max_path_length = 256;    // RFC 5321 §4.5.3.1.3

// A DNS name may hold any octet; only a plain host name goes into the header.
bool plain_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

// Octets of client text that could end a token, open a comment, quote or
// address, end the field's tokens (';') or the line, or leave ASCII.
bool unsafe_in_header(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 32 || u >= 127 || std::string_view("<>()\\\";@").find(c) != std::string_view::npos;
}

// The client's HELO goes where RFC 5321 §4.4 wants a Domain or address-literal,
// unchecked, so it is written as Postfix smtpd writes it (neuter()): unsafe
// octets become '?', and it is cut at the longest domain, which also keeps the
// line far below RFC 5322's 998 octets.
std::string neutered_helo(std::string_view helo) {
    if (helo.empty()) return "unknown";
    std::string out(helo.substr(0, max_domain_length));
    std::replace_if(out.begin(), out.end(), unsafe_in_header, '?');
    return out;
}

// "for <path>" is optional (RFC 5321 §4.4): named only when it cannot break the
// field: no quoting, comment or angle bracket of its own (UTF-8 in a UTF8SMTP
// message), and no longer than a path may be.
bool recipient_fits(std::string_view recipient, bool smtputf8) {
    if (recipient.empty() || recipient.size() > max_path_length) return false;
    return std::none_of(recipient.begin(), recipient.end(), [smtputf8](char c) {
        const bool utf8 = static_cast<unsigned char>(c) >= 128 && smtputf8;
        return !utf8 && (c != '@' && unsafe_in_header(c));
    });
}

}  // namespace

std::string received_header(const ReceivedInfo& info) {
    std::string protocol = info.smtputf8 ? "UTF8SMTP" : (info.esmtp ? "ESMTP" : "SMTP");
    if (!info.tls_version.empty()) protocol += "S";
    std::string header = "Received: from " + neutered_helo(info.helo) + " (" +
                         (plain_host_name(info.client_name) ? info.client_name : std::string("unknown")) + " [" +
                         info.client_address + "])\r\n";
    if (!info.tls_version.empty())
        header += "\t(using " + info.tls_version + " with cipher " + info.tls_cipher + ")\r\n";
    header += "\tby " + info.hostname + " (mxgate) with " + protocol + " id " + info.id;
    if (recipient_fits(info.recipient, info.smtputf8)) header += "\r\n\tfor <" + info.recipient + ">";
    header += ";\r\n\t" + rfc5322_date(info.when) + "\r\n";
    return header;
}

}  // namespace mxgate::session
