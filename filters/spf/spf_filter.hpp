// SpfFilter: the SPF check (RFC 7208) at MAIL FROM, on SpfEvaluator.
// Emits a Finding named "spf" (docs/filters.md, "SPF"), and with check_helo one
// named "spf.helo" for the HELO identity (same attrs but add_header, plus
// shown_domain: the domain made printable and short):
//   outcome  pass|fail|softfail|neutral|none|temperror|permerror, or skipped for a
//            trusted client (attr skip=trusted) or an unknown one (skip=unknown_client)
//   attrs    identity=mailfrom|helo (helo when MAIL FROM is <>, RFC 7208 §2.4),
//            domain, client_ip, explanation (exp= text on fail, peer text),
//            explains ("; example.org explains: <exp>" made printable and short, for
//            a refusal of a fail; "" without an explanation or for another result),
//            add_header (the whole Received-SPF field),
//            auth_results (the "spf=..." part of Authentication-Results)
// The on_<result> settings are default rules (spf_registration.hpp).
// Never answers the client and never throws for DNS trouble: a DNS failure or an
// evaluation over filters.spf.timeout is a temperror Finding.
#pragma once

#include <atomic>
#include <memory>

#include "filters/dns/resolver.hpp"
#include "filters/filter.hpp"
#include "filters/spf/spf_config.hpp"
#include "filters/spf/spf_evaluator.hpp"

namespace mxgate::filters::spf {

class SpfFilter final : public Filter {
public:
    // Builds its own evaluator; `resolver` must outlive the filter.
    SpfFilter(std::shared_ptr<const SpfConfig> config, dns::Resolver& resolver);

    std::string_view name() const noexcept override { return "spf"; }
    bool runs_at(core::Stage stage) const noexcept override { return stage == core::Stage::mail_from; }
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) override;
    void report(MetricSink& sink) const override;

    // The check and its Finding, for one request (inspect() builds it from the view).
    boost::asio::awaitable<core::Finding> check(const SpfRequest& request, bool trusted);

    const SpfCounters& counters() const noexcept { return evaluator_->counters(); }
    std::uint64_t skipped() const noexcept { return skipped_.load(); }  // mxgate_spf_skipped_total
    const SpfConfig& config() const noexcept { return evaluator_->config(); }

    // The Finding for a verdict (pure; used by check() and by tests).
    static core::Finding to_finding(const SpfVerdict& verdict, const SpfRequest& request, const SpfConfig& config);
    // The "spf.helo" Finding of the separate HELO check (pure).
    static core::Finding to_helo_finding(const SpfVerdict& verdict, const SpfRequest& request);

private:
    boost::asio::awaitable<core::Finding> check_helo(const SpfRequest& request);
    boost::asio::awaitable<SpfVerdict> evaluate_logged(const SpfRequest& request);

    std::unique_ptr<SpfEvaluator> evaluator_;
    std::atomic<std::uint64_t> skipped_{0};
};

}  // namespace mxgate::filters::spf
