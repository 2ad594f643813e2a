// EHLO capabilities, MAIL/RCPT lines and XCLIENT/XFORWARD identity commands.
#include "proxy/backend/esmtp.hpp"

#include <algorithm>
#include <cctype>

namespace mxgate::backend {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > start) out.emplace_back(s.substr(start, i - start));
    }
    return out;
}

void append_param(std::string& line, const smtp::EsmtpParam& p) {
    line += ' ';
    line += upper(p.first);
    if (!p.second.empty()) {
        line += '=';
        line += p.second;
    }
}

std::string path(const core::Address& address) { return "<" + address.str() + ">"; }

bool listed(const std::vector<std::string>& attributes, std::string_view name) {
    return std::find(attributes.begin(), attributes.end(), name) != attributes.end();
}

}  // namespace

Capabilities parse_capabilities(const core::Reply& ehlo) {
    Capabilities caps;
    for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
        std::vector<std::string> w = words(ehlo.lines[i]);
        if (w.empty()) continue;
        const std::string keyword = upper(w[0]);
        if (keyword == "PIPELINING") {
            caps.pipelining = true;
        } else if (keyword == "SIZE") {
            caps.size = true;
            if (w.size() > 1 && !w[1].empty() && w[1].size() < 20 &&
                std::all_of(w[1].begin(), w[1].end(), [](char c) { return c >= '0' && c <= '9'; }))
                caps.max_size = std::stoull(w[1]);
        } else if (keyword == "8BITMIME") {
            caps.eightbitmime = true;
        } else if (keyword == "SMTPUTF8") {
            caps.smtputf8 = true;
        } else if (keyword == "DSN") {
            caps.dsn = true;
        } else if (keyword == "ENHANCEDSTATUSCODES") {
            caps.enhanced_status_codes = true;
        } else if (keyword == "STARTTLS") {
            caps.starttls = true;
        } else if (keyword == "XCLIENT" || keyword == "XFORWARD") {
            auto& list = keyword == "XCLIENT" ? caps.xclient_attributes : caps.xforward_attributes;
            (keyword == "XCLIENT" ? caps.xclient : caps.xforward) = true;
            for (std::size_t k = 1; k < w.size(); ++k) list.push_back(upper(w[k]));
        }
    }
    return caps;
}

std::string xtext_encode(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < '!' || u > '~' || c == '+' || c == '=') {
            out += '+';
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        } else {
            out += c;
        }
    }
    return out;
}

std::string mail_command(const Envelope& envelope, const Capabilities& caps) {
    std::string line = "MAIL FROM:" + path(envelope.sender);
    for (const auto& p : envelope.params) {
        const std::string keyword = upper(p.first);
        bool pass = false;
        if (keyword == "SIZE") {
            pass = caps.size;
        } else if (keyword == "BODY") {
            // BINARYMIME needs BDAT, which mxgate does not send to backends (RFC 3030 §3).
            const std::string body = upper(p.second);
            pass = caps.eightbitmime && (body == "8BITMIME" || body == "7BIT");
        } else if (keyword == "SMTPUTF8") {
            pass = caps.smtputf8;
        } else if (keyword == "RET" || keyword == "ENVID") {
            pass = caps.dsn;
        }
        if (pass) append_param(line, p);
    }
    line += "\r\n";
    return line;
}

std::string rcpt_command(const Recipient& recipient, const Capabilities& caps) {
    std::string line = "RCPT TO:" + path(recipient.address);
    for (const auto& p : recipient.params) {
        const std::string keyword = upper(p.first);
        if ((keyword == "NOTIFY" || keyword == "ORCPT") && caps.dsn) append_param(line, p);
    }
    line += "\r\n";
    return line;
}

std::string identity_address(const boost::asio::ip::address& address) {
    if (address.is_v6()) {
        const auto v6 = address.to_v6();
        if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
        // Scope ids ("%eth0") mean nothing to the backend.
        std::string text = v6.to_string();
        if (const auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
        return "IPV6:" + text;
    }
    return address.to_string();
}

std::vector<std::string> identity_commands(std::string_view verb, const ClientInfo& client,
                                           const std::vector<std::string>& attributes, std::size_t max_line) {
    static constexpr std::string_view unavailable = "[UNAVAILABLE]";
    std::vector<std::pair<std::string, std::string>> values;
    // mxgate does no reverse lookup of its own: NAME is known only from a front-end's XCLIENT.
    values.emplace_back("NAME", client.name.empty() ? std::string(unavailable) : xtext_encode(client.name));
    values.emplace_back("ADDR", client.address ? identity_address(*client.address) : std::string(unavailable));
    values.emplace_back("PORT", client.port == 0 ? std::string(unavailable) : std::to_string(client.port));
    values.emplace_back("PROTO", client.esmtp ? "ESMTP" : "SMTP");
    values.emplace_back("HELO", client.helo.empty() ? std::string(unavailable) : xtext_encode(client.helo));
    if (verb == "XFORWARD") {
        if (!client.session_id.empty()) values.emplace_back("IDENT", xtext_encode(client.session_id));
        values.emplace_back("SOURCE", "REMOTE");
    }

    std::vector<std::string> lines;
    std::string line;
    const std::size_t overhead = verb.size() + 2;  // verb + CRLF
    for (auto& [name, value] : values) {
        if (!listed(attributes, name)) continue;
        std::string item = name + "=" + value;
        // One attribute alone must fit on a line (a 2000-octet HELO would not).
        if (overhead + 1 + item.size() > max_line) item = name + "=" + std::string(unavailable);
        if (!line.empty() && line.size() + 1 + item.size() + 2 > max_line) {
            lines.push_back(line + "\r\n");
            line.clear();
        }
        if (line.empty()) line = std::string(verb);
        line += ' ';
        line += item;
    }
    if (!line.empty()) lines.push_back(line + "\r\n");
    return lines;
}

}  // namespace mxgate::backend
