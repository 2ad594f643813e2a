#include "filters/greylist/greylist_filter.hpp"

#include "proxy/core/log.hpp"


namespace mxgate::filters::greylist {

namespace asio = boost::asio;

namespace {
// Compare-and-set rounds before giving up on storing (the decision still stands).
constexpr int max_store_attempts = 3;
// A record that was renewed this recently is not written again: an active sender
// would otherwise cost a store write per message, for an expiry (pass_lifetime,
// days) that moves by seconds. Its pass_count then counts at most one pass per
// interval, which only statistics read once the sender is allowed.
constexpr auto renew_after = std::chrono::seconds(60);

bool renewed_recently(const state::GreylistRecord& record, TimePoint now) {
    return record.pass_count > 0 && now - record.last_seen < renew_after;
}
}  // namespace


bool spf_passed(const std::vector<core::Finding>& findings) {
    for (const auto& f : findings)
        if (f.name == "spf" && f.outcome == core::Outcome::pass) return true;
    return false;
}

GreylistFilter::GreylistFilter(std::shared_ptr<const GreylistConfig> config, std::shared_ptr<state::Store> store,
                               Clock clock, SpfPass spf_pass)
    : config_(std::move(config)), store_(std::move(store)), clock_(std::move(clock)), spf_pass_(std::move(spf_pass)) {}

asio::awaitable<std::vector<core::Finding>> GreylistFilter::inspect(core::Stage stage, const TransactionView& view) {
    std::vector<core::Finding> out;
    if (stage != core::Stage::rcpt) co_return out;
    GreylistRequest request{view.client_address, view.trusted, view.sender, view.recipient,
                            spf_pass_ ? spf_pass_(view) : false};
    out.push_back(co_await check(request));
    co_return out;
}

asio::awaitable<core::Finding> GreylistFilter::check(const GreylistRequest& request) {
    co_return co_await check_at(request, clock_());
}

core::Finding GreylistFilter::unavailable(std::string_view op, const boost::system::error_code& ec) {
    ++counters_.store_unavailable;
    log::warn(log::Line("greylist_store_unavailable").add("op", op).add("backend", store_->backend_name())
                  .add("error", ec.message()).add("action", config_->fail_open ? "pass" : "temperror"));
    if (config_->fail_open)
        return {"greylist", core::Outcome::pass, {{"store", "unavailable"}, {"fail_open", "true"}}, ec.message()};
    return {"greylist", core::Outcome::temperror, {{"store", "unavailable"}}, ec.message()};
}

asio::awaitable<void> GreylistFilter::count_auto_allow(const std::string& key, TimePoint now) {
    for (int attempt = 0; attempt < max_store_attempts; ++attempt) {
        auto awl = co_await store_->greylist_get(key, now);
        if (!awl) co_return;  // the delivery passes anyway; it just is not counted
        const auto next = count_pass(awl->record, now, *config_);
        auto stored = co_await store_->greylist_put(key, next, awl->version, now);
        if (!stored || *stored) co_return;
    }
}

asio::awaitable<core::Finding> GreylistFilter::check_at(const GreylistRequest& request, TimePoint now) {
    const GreylistConfig& config = *config_;
    if (const auto skip = skip_reason(config, request)) {
        ++counters_.skipped;
        co_return core::Finding{"greylist", core::Outcome::skipped, {{"skip", std::string(*skip)}}, "not greylisted"};
    }
    const std::string network = client_network(*request.client, config.ipv4_prefix, config.ipv6_prefix);
    const std::string domain = mail_domain(request.sender);
    const bool use_auto_allow = config.auto_allow_after > 0 && !domain.empty();  // never for <>
    const std::string awl_key = auto_allow_key(network, domain);

    if (use_auto_allow) {
        auto awl = co_await store_->greylist_get(awl_key, now);
        if (!awl) co_return unavailable("get", awl.error());
        if (auto_allowed(awl->record, config)) {
            // Refresh so an active sender stays allowed; losing this race is harmless.
            if (!renewed_recently(*awl->record, now))
                (void)co_await store_->greylist_put(awl_key, count_pass(awl->record, now, config), awl->version, now);
            ++counters_.auto_allowed;
            co_return core::Finding{"greylist", core::Outcome::pass, {{"via", "auto_allow"}, {"network", network}},
                              "network and sender domain auto-allowed"};
        }
    }

    const std::string key = triplet_key(network, request.sender.str(), request.recipient.str());
    TripletDecision decision;
    for (int attempt = 0; attempt < max_store_attempts; ++attempt) {
        auto current = co_await store_->greylist_get(key, now);
        if (!current) co_return unavailable("get", current.error());
        decision = decide_triplet(current->record, now, config);
        if (decision.action == Action::pass && renewed_recently(*current->record, now)) break;
        auto stored = co_await store_->greylist_put(key, decision.next, current->version, now);
        if (!stored) co_return unavailable("put", stored.error());
        if (*stored) break;  // else someone decided on this triplet meanwhile: read again
    }

    if (decision.action == Action::defer) {
        ++counters_.deferred;
        co_return core::Finding{"greylist",
                          core::Outcome::softfail,
                          {{"retry_after", std::to_string(decision.retry_after.count())},
                           {"network", network}},
                          std::string(decision.why)};
    }

    if (use_auto_allow) co_await count_auto_allow(awl_key, now);
    ++counters_.passed;
    co_return core::Finding{"greylist", core::Outcome::pass, {{"via", "triplet"}, {"network", network}}, std::string(decision.why)};
}

void GreylistFilter::report(MetricSink& sink) const {
    report_labeled(sink, "mxgate_greylist_total", "Greylisting outcomes per recipient", "outcome",
                   {{"skipped", counters_.skipped}, {"passed", counters_.passed},
                    {"auto_allowed", counters_.auto_allowed}, {"deferred", counters_.deferred}});
    sink.counter("mxgate_greylist_store_unavailable_total", "Checks the state store could not answer",
                 counters_.store_unavailable.load());
}

}  // namespace mxgate::filters::greylist
