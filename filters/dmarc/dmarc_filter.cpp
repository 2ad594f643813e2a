#include "filters/dmarc/dmarc_filter.hpp"

#include <algorithm>
#include <cassert>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/dmarc/dmarc_report.hpp"
#include "filters/dmarc/from_header.hpp"
#include "filters/dmarc/idna_domain.hpp"
#include "filters/header_text.hpp"
#include "proxy/core/log.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::dmarc {

namespace asio = boost::asio;

namespace {

// The lookups one message started when its From: arrived; finish() waits on `wake`.
// Shared with the lookup coroutine, so either may end first.
struct PendingLookups {
    explicit PendingLookups(const asio::any_io_executor& executor)
        : wake(executor, asio::steady_timer::time_point::max()) {}
    std::vector<PolicyLookup> results;  // one per domain, in order, as they come
    bool done = false;
    asio::steady_timer wake;            // cancelled when done
    asio::cancellation_signal cancel;   // ends the lookups early; lives as long as they do
};

asio::awaitable<void> look_up_all(std::shared_ptr<const DmarcEvaluator> evaluator, std::vector<std::string> domains,
                                  dns::QueryDeadline deadline, std::shared_ptr<PendingLookups> pending) {
    for (std::string& domain : domains)
        pending->results.push_back(co_await evaluator->discover(std::move(domain), deadline));
}

// The strictest failing verdict first (issue 11 item 6); among equals, field order.
int severity(const DomainVerdict& v) {
    if (v.result == DmarcResult::fail && v.disposition == Policy::reject) return 0;
    if (v.result == DmarcResult::temperror && v.fails_any_policy) return 1;
    if (v.result == DmarcResult::fail && v.disposition == Policy::quarantine) return 2;
    if (v.result == DmarcResult::fail) return 3;
    if (v.result == DmarcResult::permerror) return 4;
    if (v.result == DmarcResult::temperror) return 5;
    if (v.result == DmarcResult::pass) return 6;
    return 7;
}

core::Outcome to_outcome(DmarcResult result) {
    switch (result) {
        case DmarcResult::none: return core::Outcome::none;
        case DmarcResult::pass: return core::Outcome::pass;
        case DmarcResult::fail: return core::Outcome::fail;
        case DmarcResult::temperror: return core::Outcome::temperror;
        case DmarcResult::permerror: return core::Outcome::permerror;
    }
    return core::Outcome::temperror;
}

// A row is worth keeping when a report could go somewhere (a record was found);
// concluded() drops it when the message was deferred (it comes again).
bool worth_reporting(const core::Finding& dmarc) { return !dmarc.attr("policy").empty(); }

// Runs detached: the reply never waits for the store; a failure is counted and logged.
asio::awaitable<void> append_report_row(std::shared_ptr<state::Store> store, std::shared_ptr<DmarcCounters> counters,
                                        std::string row, std::chrono::seconds retention, std::string session) {
    const auto now = state::system_now();
    const auto appended = co_await store->report_append("dmarc", std::move(row), now, now + retention);
    if (appended) {
        ++counters->report_rows;
        co_return;
    }
    ++counters->report_row_errors;
    log::warn(log::Line("dmarc_report_row_lost").add("session", session).add("backend", store->backend_name())
                  .add("error", appended.error().message()));
}

class DmarcInspector final : public MessageInspector {
public:
    DmarcInspector(std::shared_ptr<const DmarcConfig> config, std::shared_ptr<const DmarcEvaluator> evaluator,
                   std::shared_ptr<DmarcCounters> counters, std::shared_ptr<state::Store> store,
                   asio::any_io_executor executor)
        : config_(std::move(config)), evaluator_(std::move(evaluator)), counters_(std::move(counters)),
          store_(std::move(store)), executor_(std::move(executor)) {}
    ~DmarcInspector() override {
        if (pending_ && !pending_->done) pending_->cancel.emit(asio::cancellation_type::terminal);
    }

    void header_field(std::string_view field) override {
        if (!is_from_field(field) || ++from_fields_ > 1) return;
        from_ = parse_from(field_value(field));
        if (!from_.ok()) return;
        for (const Mailbox& mailbox : from_.mailboxes) {
            // Not convertible (or a literal): kept as written, discovery finds it is no DNS name.
            std::string domain = mailbox.domain_literal ? mailbox.domain
                                                        : ascii_domain(mailbox.domain).value_or(mailbox.domain);
            if (std::find(domains_.begin(), domains_.end(), domain) == domains_.end())
                domains_.push_back(std::move(domain));
        }
        if (domains_.empty() || domains_.size() > static_cast<std::size_t>(config_->max_from_domains)) return;
        // Started now, while the rest of the message streams.
        pending_ = std::make_shared<PendingLookups>(executor_);
        asio::co_spawn(executor_,
                       look_up_all(evaluator_, domains_, std::chrono::steady_clock::now() + config_->timeout, pending_),
                       asio::bind_cancellation_slot(pending_->cancel.slot(), [pending = pending_](std::exception_ptr) {
                           pending->done = true;
                           pending->wake.cancel();
                       }));
    }
    void end_of_header() override {}
    void body(std::string_view) override {}

    asio::awaitable<std::vector<core::Finding>> finish(const TransactionView& view) override {
        if (from_fields_ != 1) co_return bad_from(from_fields_ == 0 ? "no_from" : "multiple_from",
                                                  std::to_string(from_fields_) + " From: fields");
        if (!from_.ok()) co_return bad_from("malformed_from", "From: " + from_.error);
        if (!pending_) co_return bad_from("malformed_from", domains_.empty() ? "From: without a domain"
                                                                           : "From: with too many domains");
        while (!pending_->done) {
            co_await pending_->wake.async_wait(asio::as_tuple(asio::use_awaitable));
            if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
                pending_->cancel.emit(asio::cancellation_type::terminal);
                co_return std::vector<core::Finding>{};  // the chain reports timed_out()
            }
        }
        static const std::vector<core::Finding> no_findings;
        const AuthenticatedIdentifiers ids = authenticated_identifiers(view.findings ? *view.findings : no_findings);
        std::vector<DomainVerdict> verdicts;
        for (std::size_t i = 0; i < domains_.size(); ++i) {
            const PolicyLookup lookup = i < pending_->results.size()
                                            ? pending_->results[i]
                                            : PolicyLookup{PolicyLookup::Status::temperror, {}, domains_[i], false,
                                                           "lookup cancelled"};
            verdicts.push_back(evaluator_->evaluate(domains_[i], lookup, ids, evaluator_->next_roll()));
            ++counters_->results[static_cast<std::size_t>(verdicts.back().result)];
            if (!verdicts.back().problem.empty())
                log::info(log::Line("dmarc_" + std::string(to_string(verdicts.back().result)))
                              .add("session", view.session_id).add("from_domain", core::printable(domains_[i], 100))
                              .add("problem", core::printable(verdicts.back().problem, 200)));
        }
        core::Finding finding = DmarcFilter::to_finding(verdicts);
        if (store_ && worth_reporting(finding)) prepare_row(view, finding);
        co_return std::vector<core::Finding>{std::move(finding)};
    }

    // The row is stored only now, with the disposition the verdict applied.
    void concluded(MessageFate fate) override {
        if (!row_) return;
        const auto row = concluded_row(std::move(*row_), fate);
        row_.reset();
        if (!row) return;
        asio::co_spawn(executor_,
                       append_report_row(store_, counters_, report_row_json(*row), config_->report_retention,
                                         std::move(session_id_)),
                       asio::detached);
    }

private:
    void prepare_row(const TransactionView& view, const core::Finding& finding) {
        std::vector<core::Finding> all = view.findings ? *view.findings : std::vector<core::Finding>{};
        all.push_back(finding);
        row_ = aggregate_report_row(all, view.client_address);
        session_id_ = std::string(view.session_id);
    }

    std::vector<core::Finding> bad_from(std::string_view error, std::string reason) {
        ++counters_->bad_from;
        return {DmarcFilter::bad_from_finding(error, std::move(reason))};
    }

    std::shared_ptr<const DmarcConfig> config_;
    std::shared_ptr<const DmarcEvaluator> evaluator_;
    std::shared_ptr<DmarcCounters> counters_;
    std::shared_ptr<state::Store> store_;  // null: no report rows
    asio::any_io_executor executor_;
    int from_fields_ = 0;
    ParsedFrom from_;
    std::vector<std::string> domains_;  // distinct, in field order
    std::shared_ptr<PendingLookups> pending_;
    std::optional<AggregateReportRow> row_;  // until concluded()
    std::string session_id_;
};

}  // namespace

DmarcFilter::DmarcFilter(std::shared_ptr<const DmarcConfig> config, dns::Resolver& resolver,
                         std::shared_ptr<const PublicSuffixList> suffixes, std::uint64_t seed,
                         std::shared_ptr<state::Store> store)
    : config_(std::move(config)),
      evaluator_(std::make_shared<DmarcEvaluator>(resolver, std::move(suffixes), seed)),
      counters_(std::make_shared<DmarcCounters>()),
      store_(std::move(store)) {}

asio::awaitable<std::vector<core::Finding>> DmarcFilter::inspect(core::Stage, const TransactionView&) {
    co_return std::vector<core::Finding>{};
}

std::unique_ptr<MessageInspector> DmarcFilter::inspect_message(const TransactionView& view,
                                                               const asio::any_io_executor& executor) {
    if (view.trusted && config_->skip_trusted) {
        ++counters_->skipped;
        return nullptr;
    }
    return std::make_unique<DmarcInspector>(config_, evaluator_, counters_, store_, executor);
}

std::vector<core::Finding> DmarcFilter::timed_out(core::Stage) const {
    core::Finding finding = timeout_finding(name());
    finding.attrs.emplace_back("auth_results", "dmarc=temperror");
    return {finding};
}

core::Finding DmarcFilter::to_finding(const std::vector<DomainVerdict>& verdicts) {
    assert(!verdicts.empty());
    const DomainVerdict& v = *std::min_element(verdicts.begin(), verdicts.end(), [](const auto& a, const auto& b) {
        return severity(a) < severity(b);
    });
    const std::string shown = core::printable(v.from_domain, 100);
    core::Finding finding;
    finding.name = "dmarc";
    finding.outcome = to_outcome(v.result);
    finding.attrs.emplace_back("header_from", v.from_domain);
    finding.attrs.emplace_back("shown_domain", shown);
    if (v.policy) finding.attrs.emplace_back("policy", std::string(to_string(*v.policy)));
    finding.attrs.emplace_back("disposition", std::string(to_string(v.disposition)));
    finding.attrs.emplace_back("policy_domain", v.policy_domain);
    finding.attrs.emplace_back("spf_aligned", v.spf_aligned ? "yes" : "no");
    finding.attrs.emplace_back("dkim_aligned", v.dkim_aligned ? "yes" : "no");
    if (v.sampled_out) finding.attrs.emplace_back("sampled_out", "yes");
    if (verdicts.size() > 1) {
        std::string all;
        for (const DomainVerdict& each : verdicts) all += (all.empty() ? "" : ",") + each.from_domain;
        finding.attrs.emplace_back("domains", std::move(all));
    }
    finding.attrs.emplace_back("auth_results", "dmarc=" + std::string(to_string(v.result)) +
                                                   " header.from=" + header_text::pvalue(v.from_domain));
    finding.reason = "dmarc " + std::string(to_string(v.result)) + " for " + shown;
    if (!v.problem.empty()) finding.reason += ": " + v.problem;
    return finding;
}

core::Finding DmarcFilter::bad_from_finding(std::string_view error, std::string reason) {
    core::Finding finding{"dmarc", core::Outcome::permerror, {{"error", std::string(error)}}, std::move(reason)};
    finding.attrs.emplace_back("disposition", "none");
    finding.attrs.emplace_back("auth_results", "dmarc=permerror");
    return finding;
}

void DmarcFilter::report(MetricSink& sink) const {
    for (const auto result : {DmarcResult::none, DmarcResult::pass, DmarcResult::fail, DmarcResult::temperror,
                              DmarcResult::permerror})
        sink.counter("mxgate_dmarc_total", "DMARC results", {{"result", std::string(to_string(result))}},
                     counters_->result(result));
    sink.counter("mxgate_dmarc_bad_from_total", "Messages without one usable From: domain", counters_->bad_from.load());
    sink.counter("mxgate_dmarc_skipped_total", "Messages of trusted clients, not checked", counters_->skipped.load());
    sink.counter("mxgate_dmarc_report_rows_total", "Aggregate-report rows stored", counters_->report_rows.load());
    sink.counter("mxgate_dmarc_report_row_errors_total", "Aggregate-report rows the store could not take",
                 counters_->report_row_errors.load());
}

}  // namespace mxgate::filters::dmarc
