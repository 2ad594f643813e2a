#include "filters/spf/spf_filter.hpp"

#include "proxy/core/log.hpp"
#include "proxy/core/text.hpp"
#include "filters/spf/spf_headers.hpp"

namespace mxgate::filters::spf {

namespace asio = boost::asio;

namespace {

core::Outcome to_outcome(SpfResult result) {
    switch (result) {
        case SpfResult::pass: return core::Outcome::pass;
        case SpfResult::fail: return core::Outcome::fail;
        case SpfResult::softfail: return core::Outcome::softfail;
        case SpfResult::neutral: return core::Outcome::neutral;
        case SpfResult::none: return core::Outcome::none;
        case SpfResult::temperror: return core::Outcome::temperror;
        case SpfResult::permerror: return core::Outcome::permerror;
    }
    return core::Outcome::temperror;
}

const SpfAction& action_for(SpfResult result, const SpfConfig& config) {
    switch (result) {
        case SpfResult::pass: return config.on_pass;
        case SpfResult::fail: return config.on_fail;
        case SpfResult::softfail: return config.on_softfail;
        case SpfResult::neutral: return config.on_neutral;
        case SpfResult::none: return config.on_none;
        case SpfResult::temperror: return config.on_temperror;
        case SpfResult::permerror: return config.on_permerror;
    }
    return config.on_temperror;
}

std::string reply_of(const SpfAction& action) {
    return std::to_string(action.code) + " " + action.enhanced + " " + action.text;
}

}  // namespace

SpfFilter::SpfFilter(std::shared_ptr<const SpfConfig> config, dns::Resolver& resolver)
    : evaluator_(std::make_unique<SpfEvaluator>(resolver, *config)) {}

asio::awaitable<std::vector<core::Finding>> SpfFilter::inspect(core::Stage stage, const TransactionView& view) {
    std::vector<core::Finding> out;
    if (stage != core::Stage::mail_from) co_return out;
    if (!view.client_address) {
        // RFC 7208 §4.1: check_host() needs the client's IP; no other address may stand in.
        ++skipped_;
        out.push_back(core::Finding{"spf", core::Outcome::skipped, {{"skip", "unknown_client"}}, "client address unknown"});
        co_return out;
    }
    SpfRequest request{*view.client_address, std::string(view.helo), view.sender,
                       std::string(view.session_id)};
    out.push_back(co_await check(request, view.trusted));
    co_return out;
}

asio::awaitable<core::Finding> SpfFilter::check(const SpfRequest& request, bool trusted) {
    const SpfConfig& config = evaluator_->config();
    if (trusted && config.skip_trusted) {
        ++skipped_;
        co_return core::Finding{"spf", core::Outcome::skipped, {{"skip", "trusted"}}, "trusted client"};
    }
    const SpfVerdict verdict = co_await evaluator_->evaluate(request);
    if (verdict.result == SpfResult::temperror || verdict.result == SpfResult::permerror)
        log::info(log::Line("spf_" + std::string(to_string(verdict.result))).add("session", request.session_id)
                      .add("identity", to_string(verdict.identity)).add("domain", verdict.domain.substr(0, 100))
                      .add("client", request.client_address.to_string())
                      .add("problem", verdict.problem.substr(0, 200)));
    co_return to_finding(verdict, request, config);
}

std::vector<core::Finding> SpfFilter::timed_out(core::Stage) const {
    const SpfAction& action = config().on_temperror;
    const bool proceeds = action.kind == SpfAction::Kind::proceed;
    return {timeout_finding(name(), to_string(action.kind), proceeds ? std::string() : reply_of(action))};
}

core::Finding SpfFilter::to_finding(const SpfVerdict& verdict, const SpfRequest& request, const SpfConfig& config) {
    const SpfAction& action = action_for(verdict.result, config);
    core::Finding finding;
    finding.name = "spf";
    finding.outcome = to_outcome(verdict.result);
    finding.attrs = {
        {"identity", std::string(to_string(verdict.identity))},
        {"domain", verdict.domain},
        {"client_ip", request.client_address.to_string()},
        {"explanation", verdict.explanation},
        {"action", std::string(to_string(action.kind))},
    };
    if (action.kind != SpfAction::Kind::proceed) {
        std::string reply = reply_of(action);
        // RFC 7208 §8.4: say whose words the explanation is; it is peer text, so made printable and short.
        if (verdict.result == SpfResult::fail && !verdict.explanation.empty())
            reply += "; " + core::printable(verdict.domain, 100) + " explains: " + core::printable(verdict.explanation, 200);
        finding.attrs.emplace_back("reply", std::move(reply));
    }
    finding.attrs.emplace_back("add_header",
                               received_spf_header(verdict, request.client_address, request.helo, config.receiver));
    finding.attrs.emplace_back("auth_results", spf_resinfo(verdict, request.helo));
    finding.reason = "spf " + std::string(to_string(verdict.result)) + " for " + verdict.sender;
    if (!verdict.problem.empty()) finding.reason += ": " + verdict.problem;
    return finding;
}

}  // namespace mxgate::filters::spf
