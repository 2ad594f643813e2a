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

// A DNS name may hold any octet; only a plain host name goes into the header.
bool plain_host_name(std::string_view name) {
    if (name.empty() || name.size() > 253) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

}  // namespace

std::string received_header(const ReceivedInfo& info) {
    std::string protocol = info.smtputf8 ? "UTF8SMTP" : (info.esmtp ? "ESMTP" : "SMTP");
    if (!info.tls_version.empty()) protocol += "S";
    std::string header = "Received: from " + info.helo + " (" +
                         (plain_host_name(info.client_name) ? info.client_name : std::string("unknown")) + " [" +
                         info.client_address + "])\r\n";
    if (!info.tls_version.empty())
        header += "\t(using " + info.tls_version + " with cipher " + info.tls_cipher + ")\r\n";
    header += "\tby " + info.hostname + " (mxgate) with " + protocol + " id " + info.id;
    if (!info.recipient.empty()) header += "\r\n\tfor <" + info.recipient + ">";
    header += ";\r\n\t" + rfc5322_date(info.when) + "\r\n";
    return header;
}

}  // namespace mxgate::session
