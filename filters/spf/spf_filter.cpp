#include "filters/spf/spf_filter.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>

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

// RFC 7208 §2.3: a HELO name worth checking is a domain, not an address literal
// ("[192.0.2.1]"), a bare address or a single label.
bool helo_is_domain(std::string_view helo) {
    if (helo.empty() || helo.front() == '[' || helo.find('.') == std::string_view::npos) return false;
    boost::system::error_code ec;
    asio::ip::make_address(helo, ec);
    return ec.failed();
}

// The attributes every SPF finding has.
core::Finding verdict_finding(std::string name, const SpfVerdict& verdict, const SpfRequest& request) {
    core::Finding finding;
    finding.name = std::move(name);
    finding.outcome = to_outcome(verdict.result);
    // RFC 7208 §8.4: a refusal of a fail says whose words the explanation is; it
    // is peer text, so made printable and short.
    std::string explains;
    if (verdict.result == SpfResult::fail && !verdict.explanation.empty())
        explains = "; " + core::printable(verdict.domain, 100) + " explains: " + core::printable(verdict.explanation, 200);
    finding.attrs = {
        {"identity", std::string(to_string(verdict.identity))},
        {"domain", verdict.domain},
        {"client_ip", request.client_address.to_string()},
        {"explanation", verdict.explanation},
        {"explains", std::move(explains)},
    };
    finding.reason = "spf " + std::string(to_string(verdict.result)) + " for " + verdict.sender;
    if (!verdict.problem.empty()) finding.reason += ": " + verdict.problem;
    return finding;
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
    const SpfConfig& config = evaluator_->config();
    const bool skips = view.trusted && config.skip_trusted;
    if (skips || !config.check_helo || request.sender.empty() || !helo_is_domain(request.helo)) {
        out.push_back(co_await check(request, view.trusted));
        co_return out;
    }
    // RFC 7208 §2.3: the HELO identity too, at the same time (the null sender's
    // check above is already the HELO one).
    SpfRequest helo_request = request;
    helo_request.sender = {};
    using namespace asio::experimental::awaitable_operators;
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto mailfrom = check(request, view.trusted);
    auto helo = check_helo(helo_request);
    auto both = std::move(mailfrom) && std::move(helo);
    auto [mailfrom_finding, helo_finding] = co_await std::move(both);
    out.push_back(std::move(mailfrom_finding));
    out.push_back(std::move(helo_finding));
    co_return out;
}

asio::awaitable<core::Finding> SpfFilter::check(const SpfRequest& request, bool trusted) {
    const SpfConfig& config = evaluator_->config();
    if (trusted && config.skip_trusted) {
        ++skipped_;
        co_return core::Finding{"spf", core::Outcome::skipped, {{"skip", "trusted"}}, "trusted client"};
    }
    const SpfVerdict verdict = co_await evaluate_logged(request);
    co_return to_finding(verdict, request, config);
}

asio::awaitable<core::Finding> SpfFilter::check_helo(const SpfRequest& request) {
    const SpfVerdict verdict = co_await evaluate_logged(request);
    co_return to_helo_finding(verdict, request);
}

asio::awaitable<SpfVerdict> SpfFilter::evaluate_logged(const SpfRequest& request) {
    SpfVerdict verdict = co_await evaluator_->evaluate(request);
    if (verdict.result == SpfResult::temperror || verdict.result == SpfResult::permerror)
        log::info(log::Line("spf_" + std::string(to_string(verdict.result))).add("session", request.session_id)
                      .add("identity", to_string(verdict.identity)).add("domain", verdict.domain.substr(0, 100))
                      .add("client", request.client_address.to_string())
                      .add("problem", verdict.problem.substr(0, 200)));
    co_return verdict;
}

core::Finding SpfFilter::to_finding(const SpfVerdict& verdict, const SpfRequest& request, const SpfConfig& config) {
    core::Finding finding = verdict_finding("spf", verdict, request);
    finding.attrs.emplace_back("add_header",
                               received_spf_header(verdict, request.client_address, request.helo, config.receiver));
    finding.attrs.emplace_back("auth_results", spf_resinfo(verdict, request.helo));
    return finding;
}

core::Finding SpfFilter::to_helo_finding(const SpfVerdict& verdict, const SpfRequest& request) {
    core::Finding finding = verdict_finding("spf.helo", verdict, request);
    // The refusal of its fail names the HELO domain (peer text).
    finding.attrs.emplace_back("shown_domain", core::printable(verdict.domain, 100));
    // One Received-SPF (MAIL FROM's); this identity is reported in Authentication-Results.
    finding.attrs.emplace_back("auth_results", spf_resinfo(verdict, request.helo));
    return finding;
}

void SpfFilter::report(MetricSink& sink) const {
    const SpfCounters& c = evaluator_->counters();
    sink.counter("mxgate_spf_evaluations_total", "SPF evaluations", c.evaluations.load());
    report_labeled(sink, "mxgate_spf_total", "SPF results", "result",
                   {{"pass", c.pass}, {"fail", c.fail}, {"softfail", c.softfail}, {"neutral", c.neutral},
                    {"none", c.none}, {"temperror", c.temperror}, {"permerror", c.permerror}});
    sink.counter("mxgate_spf_dns_queries_total", "DNS queries SPF asked", c.dns_queries.load());
    report_labeled(sink, "mxgate_spf_limits_total", "Evaluations ended by one of mxgate's limits", "limit",
                   {{"deadline", c.deadline_exceeded}, {"query_cap", c.query_cap}, {"void_lookups", c.void_limit}});
    sink.counter("mxgate_spf_skipped_total", "Checks skipped (trusted client)", skipped_.load());
}

}  // namespace mxgate::filters::spf
