#include "filters/spf/spf_headers.hpp"

#include <vector>

#include "filters/header_text.hpp"

namespace mxgate::filters::spf {

using namespace header_text;

namespace {

std::string comment_for(const SpfVerdict& v, std::string_view ip, std::string_view receiver) {
    const std::string who = comment_text(v.sender);
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
    words.push_back("envelope-from=" + quoted(verdict.sender) + ";");
    if (!helo.empty()) words.push_back("helo=" + dot_atom_or_quoted(helo) + ";");
    words.push_back("receiver=" + dot_atom_or_quoted(receiver) + ";");
    words.push_back("identity=" + std::string(to_string(verdict.identity)));
    return fold("Received-SPF: " + std::string(to_string(verdict.result)), words);
}

std::string spf_resinfo(const SpfVerdict& verdict, std::string_view helo) {
    std::string out = "spf=" + std::string(to_string(verdict.result));
    if (verdict.identity == Identity::helo)
        out += " smtp.helo=" + pvalue(helo.empty() ? std::string_view(verdict.domain) : helo);
    else
        out += " smtp.mailfrom=" + pvalue(verdict.sender);
    return out;
}

}  // namespace mxgate::filters::spf
