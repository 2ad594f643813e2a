#include "filters/auth_results.hpp"

#include <cctype>

#include "filters/header_text.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters {

using header_text::skip_cfws;

std::string authentication_results_header(std::string_view authserv_id, const std::vector<std::string>& resinfos) {
    std::string out = "Authentication-Results: " + header_text::pvalue(authserv_id) + ";";
    if (resinfos.empty()) return out + " none\r\n";
    for (std::size_t i = 0; i < resinfos.size(); ++i) {
        std::string method = header_text::fold("", header_text::words_of(resinfos[i]));  // " spf=pass ...\r\n"
        method.resize(method.size() - 2);
        out += "\r\n\t" + method.substr(1) + (i + 1 < resinfos.size() ? ";" : "");
    }
    return out + "\r\n";
}

bool claims_authserv_id(std::string_view header, std::string_view authserv_id) {
    // Optional field name.
    constexpr std::string_view field = "authentication-results";
    if (const auto colon = header.find(':'); colon != std::string_view::npos) {
        std::string_view name = header.substr(0, colon);
        // The name may be folded before its colon (obs syntax, and a forger's trick).
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t' || name.back() == '\r' || name.back() == '\n'))
            name.remove_suffix(1);
        if (core::iequals(name, field)) header.remove_prefix(colon + 1);
    }
    header = skip_cfws(header);
    if (header.empty() || authserv_id.empty()) return false;
    std::string id;
    if (header.front() == '"') {  // quoted-string
        header.remove_prefix(1);
        // An unclosed quote still names whatever it holds to a lenient reader.
        while (!header.empty()) {
            const char c = header.front();
            header.remove_prefix(1);
            if (c == '\\' && !header.empty()) {
                id += header.front();
                header.remove_prefix(1);
            } else if (c == '"') {
                break;
            } else if (c != '\r' && c != '\n') {
                id += c;
            }
        }
    } else {  // token (RFC 2045): up to CFWS, ';' or tspecials
        while (!header.empty()) {
            const char c = header.front();
            if (c == ';' || c == '(' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
            id += c;
            header.remove_prefix(1);
        }
    }
    // Whatever follows (RFC 8601: [CFWS version] ";"), a reader that takes the
    // first token for the authserv-id sees ours: a field we must not pass on.
    if (id.size() == authserv_id.size() + 1 && id.back() == '.') id.pop_back();  // the same name, absolute
    return core::iequals(id, authserv_id);
}

}  // namespace mxgate::filters
