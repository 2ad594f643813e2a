#include "filters/helo/helo_filter.hpp"

#include "filters/helo/helo_syntax.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::helo {

namespace {

// The name is peer text, so made printable and short for the reply that echoes it.
core::Finding refusal(std::string_view helo, std::string_view check) {
    const std::string shown = core::printable(helo, 100);
    return core::Finding{"helo", core::Outcome::fail, {{"check", std::string(check)}, {"shown_name", shown}},
                         "helo name <" + shown + "> refused: " + std::string(check)};
}

}  // namespace

boost::asio::awaitable<std::vector<core::Finding>> HeloFilter::inspect(core::Stage stage, const TransactionView& view) {
    std::vector<core::Finding> out;
    if (stage == core::Stage::helo) out.push_back(check(view.helo, view.trusted, *config_));
    co_return out;
}

core::Finding HeloFilter::check(std::string_view helo, bool trusted, const HeloConfig& config) {
    if (trusted && config.skip_trusted) return core::Finding{"helo", core::Outcome::skipped, {{"skip", "trusted"}}, "trusted client"};
    const HeloName kind = classify(helo);
    // Postfix checks the invalid name first (501); a non-FQDN check alone also
    // refuses an invalid name, which has no fully-qualified form either (504).
    if (config.reject_invalid_hostname && kind == HeloName::invalid)
        return refusal(helo, "invalid_hostname");
    if (config.reject_non_fqdn_hostname && (kind == HeloName::invalid || kind == HeloName::single_label))
        return refusal(helo, "non_fqdn_hostname");
    return core::Finding{"helo", core::Outcome::pass, {}, "helo name accepted"};
}

}  // namespace mxgate::filters::helo
