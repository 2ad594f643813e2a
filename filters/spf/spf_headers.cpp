#include "filters/spf/spf_headers.hpp"

#include <vector>

#include "filters/header_text.hpp"

namespace mxgate::filters::spf {

using namespace header_text;

namespace {

// A HELO name longer than any domain (and so a postmaster@helo identity longer
// than any mailbox) is hostile; quoted whole it would make a line past RFC
// 5322's 998 octets. Cut, it still says what it was.
constexpr std::size_t max_domain_length = 255;                 // RFC 5321 §4.5.3.1.2
constexpr std::size_t max_mailbox_length = 64 + 1 + 255;       // local-part @ domain

std::string_view clip(std::string_view text, std::size_t max) { return text.substr(0, max); }

std::string comment_for(const SpfVerdict& v, std::string_view ip, std::string_view receiver) {
    const std::string who = comment_text(clip(v.sender, max_mailbox_length));
    const std::string r = comment_text(receiver);
    switch (v.result) {
        case SpfResult::pass: return r + ": domain of " + who + " designates " + std::string(ip) + " as permitted sender";
        case SpfResult::fail:
            return r + ": domain of " + who + " does not designate " + std::string(ip) + " as permitted sender";
        case SpfResult::softfail:
            return r + ": domain of transitioning " + who + " does not designate " + std::string(ip) +
                   " as permitted sender";
        case SpfResult::neutral:
            return r + ": " + std::string(ip) + " is neither permitted nor denied by domain of " + who;
        case SpfResult::none: return r + ": domain of " + who + " does not publish an SPF record";
        case SpfResult::temperror: return r + ": error in processing during lookup of " + who;
        case SpfResult::permerror: return r + ": permanent error in processing domain of " + who;
    }
    return r;
}

}  // namespace

std::string received_spf_header(const SpfVerdict& verdict, const boost::asio::ip::address& client_address,
                                 std::string_view helo, std::string_view receiver) {
    const std::string ip = client_address.to_string();
    // The comment is split into words so it folds like the rest.
    std::vector<std::string> words = words_of("(" + comment_for(verdict, ip, receiver) + ")");
    words.push_back("client-ip=" + ip + ";");
    words.push_back("envelope-from=" + quoted(clip(verdict.sender, max_mailbox_length)) + ";");
    if (!helo.empty()) words.push_back("helo=" + dot_atom_or_quoted(clip(helo, max_domain_length)) + ";");
    words.push_back("receiver=" + dot_atom_or_quoted(receiver) + ";");
    words.push_back("identity=" + std::string(to_string(verdict.identity)));
    return fold("Received-SPF: " + std::string(to_string(verdict.result)), words);
}

std::string spf_resinfo(const SpfVerdict& verdict, std::string_view helo) {
    std::string out = "spf=" + std::string(to_string(verdict.result));
    if (verdict.identity == Identity::helo)
        out += " smtp.helo=" + pvalue(clip(helo.empty() ? std::string_view(verdict.domain) : helo, max_domain_length));
    else
        out += " smtp.mailfrom=" + pvalue(clip(verdict.sender, max_mailbox_length));
    return out;
}

}  // namespace mxgate::filters::spf
