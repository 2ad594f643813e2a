#include "filters/dnsbl/dnsbl_filter.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proxy/core/log.hpp"
#include "proxy/core/text.hpp"
#include "filters/dns/deadline_query.hpp"

namespace mxgate::filters::dnsbl {

namespace asio = boost::asio;

namespace {

// What a list was asked about, as Postfix's reject_rbl_* replies name it.
std::string listed_thing(const DnsList& list, const TransactionView& view) {
    switch (list.type) {
        case ListType::ip:
            return "client [" + (view.client_address ? unmapped(*view.client_address).to_string() : "unknown") + "]";
        case ListType::helo: return "helo [" + core::printable(view.helo) + "]";
        case ListType::sender_domain: return "sender domain [" + sender_domain(view.sender).value_or("") + "]";
        case ListType::rdns: {
            const auto name = view.findings ? confirmed_name(*view.findings) : std::nullopt;
            return "client name [" + core::printable(name.value_or("")) + "]";
        }
    }
    return "client";
}

}  // namespace

DnsblFilter::DnsblFilter(std::shared_ptr<const DnsblConfig> config, dns::Resolver& resolver)
    : config_(std::move(config)), resolver_(resolver) {
    for (const auto& list : config_->lists) {
        auto matcher = Matcher::compile(list);
        if (!matcher) {
            log::error(log::Line("dnsbl_list_dropped").add("list", list.name)
                           .add("reason", "a code is not an IPv4 address"));
            continue;
        }
        lists_.push_back({&list, std::move(*matcher), (list.allow ? "dnswl." : "dnsbl.") + list.name});
    }
}

bool DnsblFilter::runs_at(core::Stage stage) const noexcept {
    auto any = [this](ListType type) {
        return std::any_of(lists_.begin(), lists_.end(), [type](const Compiled& c) { return c.list->type == type; });
    };
    switch (stage) {
        case core::Stage::connect: return config_->fcrdns.enabled || any(ListType::ip) || any(ListType::rdns);
        case core::Stage::helo: return any(ListType::helo);
        case core::Stage::mail_from: return any(ListType::sender_domain);
        case core::Stage::rcpt: return config_->reject_score > 0 && !lists_.empty();
        default: return false;
    }
}

DnsblFilter::Queries DnsblFilter::queries_for(ListType type, const TransactionView& view,
                                              const std::string& rdns_name) {
    Queries queries;
    std::optional<std::string> domain;
    if (type == ListType::helo) domain = normalize_domain(view.helo);
    if (type == ListType::sender_domain) domain = sender_domain(view.sender);
    if (type == ListType::rdns && !rdns_name.empty()) domain = rdns_name;
    for (std::size_t i = 0; i < lists_.size(); ++i) {
        const DnsList& list = *lists_[i].list;
        if (list.type != type) continue;
        std::optional<std::string> query;
        if (type == ListType::ip && view.client_address) {  // an unknown client is looked up in no IP list
            const auto client = unmapped(*view.client_address);
            if (client.is_v4() || list.ipv6) query = ip_query_name(client, list.zone);
        } else if (domain) {
            query = domain_query_name(*domain, list.zone);
        }
        if (!query) {
            ++counters_.skipped;
            continue;
        }
        queries.emplace_back(i, std::move(*query));
    }
    return queries;
}

asio::awaitable<std::vector<core::Finding>> DnsblFilter::inspect(core::Stage stage, const TransactionView& view) {
    using namespace asio::experimental::awaitable_operators;
    std::vector<core::Finding> findings;
    const bool lists_wanted = !(config_->skip_trusted && view.trusted);
    if (stage == core::Stage::helo || stage == core::Stage::mail_from) {
        if (!lists_wanted) co_return findings;
        auto queries = queries_for(stage == core::Stage::helo ? ListType::helo : ListType::sender_domain, view, {});
        findings = co_await check_all(std::move(queries), std::string(view.session_id));
        co_return findings;
    }
    if (stage == core::Stage::rcpt) co_return decide(view);
    if (stage != core::Stage::connect) co_return findings;

    Queries ip_queries;
    if (lists_wanted) ip_queries = queries_for(ListType::ip, view, {});
    const bool rdns_lists = lists_wanted && std::any_of(lists_.begin(), lists_.end(), [](const Compiled& c) {
                                return c.list->type == ListType::rdns;
                            });
    // IP lists and FCrDNS (then the rDNS lists) side by side.
    auto ip_checks = check_all(std::move(ip_queries), std::string(view.session_id));
    auto rdns_checks = check_rdns(view.client_address, rdns_lists, std::string(view.session_id));
    auto both = std::move(ip_checks) && std::move(rdns_checks);  // named: see deadline_query.cpp
    auto [ip_findings, rdns_findings] = co_await std::move(both);
    // FCrDNS first, then the lists in config order.
    findings = std::move(rdns_findings);
    findings.insert(findings.end(), std::make_move_iterator(ip_findings.begin()),
                    std::make_move_iterator(ip_findings.end()));
    auto rank = [this](const core::Finding& f) -> std::size_t {
        for (std::size_t i = 0; i < lists_.size(); ++i)
            if (lists_[i].finding_name == f.name) return i + 1;
        return 0;  // fcrdns
    };
    std::stable_sort(findings.begin(), findings.end(),
                     [&](const core::Finding& a, const core::Finding& b) { return rank(a) < rank(b); });
    co_return findings;
}

std::vector<core::Finding> DnsblFilter::decide(const TransactionView& view) {
    std::vector<core::Finding> out;
    if (view.findings == nullptr) return out;
    int score = 0;
    std::string listed;
    const core::Finding* first_block = nullptr;
    const DnsList* first_block_list = nullptr;
    for (const auto& finding : *view.findings) {
        for (const auto& compiled : lists_) {
            if (compiled.finding_name != finding.name || finding.attr("listed") != "yes") continue;
            score += compiled.list->weight;
            listed += (listed.empty() ? "" : ",") + finding.name;
            if (!compiled.list->allow && first_block == nullptr) {
                first_block = &finding;
                first_block_list = compiled.list;
            }
        }
    }
    if (first_block == nullptr || score < config_->reject_score) return out;
    ++counters_.rejected;
    std::string list_text;
    if (first_block->reason.rfind("listed: ", 0) == 0) list_text = "; " + first_block->reason.substr(8, 200);
    out.push_back(core::Finding{"dnsbl",
                          core::Outcome::fail,
                          {{"score", std::to_string(score)},
                           {"reject_score", std::to_string(config_->reject_score)},
                           {"lists", listed},
                           {"blocked", listed_thing(*first_block_list, view)},
                           {"zone", first_block_list->zone},
                           {"list_text", std::move(list_text)}},
                          "dnsbl score " + std::to_string(score) + " from " + listed});
    return out;
}

asio::awaitable<std::vector<core::Finding>> DnsblFilter::check_rdns(std::optional<asio::ip::address> client,
                                                             bool lists_too, std::string session) {
    std::vector<core::Finding> findings;
    if (!config_->fcrdns.enabled && !lists_too) co_return findings;
    if (!client) {  // no address, no PTR: no name to confirm or to look up in rDNS lists
        ++counters_.fcrdns_none;
        if (config_->fcrdns.enabled) findings.push_back(to_finding({core::Outcome::none, {}, {}, "client address unknown"}));
        co_return findings;
    }
    FcrdnsResult fcrdns = co_await check_fcrdns(resolver_, *client, config_->fcrdns);
    switch (fcrdns.outcome) {
        case core::Outcome::pass: ++counters_.fcrdns_pass; break;
        case core::Outcome::fail: ++counters_.fcrdns_fail; break;
        case core::Outcome::none: ++counters_.fcrdns_none; break;
        default: ++counters_.fcrdns_temperror; break;
    }
    if (fcrdns.outcome == core::Outcome::temperror)
        log::info(log::Line("fcrdns_unanswered").add("session", session).add("client", client->to_string())
                      .add("reason", fcrdns.reason));
    if (config_->fcrdns.enabled) findings.push_back(to_finding(fcrdns));
    if (lists_too) {
        TransactionView view;
        view.client_address = client;
        auto queries = queries_for(ListType::rdns, view, fcrdns.outcome == core::Outcome::pass ? fcrdns.name : "");
        auto listed = co_await check_all(std::move(queries), session);
        findings.insert(findings.end(), std::make_move_iterator(listed.begin()), std::make_move_iterator(listed.end()));
    }
    co_return findings;
}

asio::awaitable<std::vector<core::Finding>> DnsblFilter::check_all(Queries queries, std::string session) {
    std::vector<core::Finding> findings;
    if (queries.empty()) co_return findings;
    const auto executor = co_await asio::this_coro::executor;
    using Op = decltype(asio::co_spawn(executor, check_list(0, {}, {}), asio::deferred));
    std::vector<Op> checks;
    for (auto& [index, query] : queries)
        checks.push_back(asio::co_spawn(executor, check_list(index, query, session), asio::deferred));
    auto group = asio::experimental::make_parallel_group(std::move(checks));
    auto [order, errors, results] = co_await group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (errors[i]) {  // a bug, not DNS trouble: still a visible temperror, never a silent pass
            std::string what = "internal error";
            try {
                std::rethrow_exception(errors[i]);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            findings.push_back(unanswered(lists_[queries[i].first], queries[i].second, what, session));
            continue;
        }
        findings.push_back(std::move(results[i]));
    }
    co_return findings;
}

core::Finding DnsblFilter::unanswered(const Compiled& compiled, const std::string& query, std::string reason,
                                std::string_view session) {
    const DnsList& list = *compiled.list;
    log::warn(log::Line("dnsbl_unanswered").add("session", session).add("list", compiled.finding_name)
                  .add("zone", list.zone).add("query", query).add("reason", reason));
    return core::Finding{compiled.finding_name,
                   core::Outcome::temperror,
                   {{"zone", list.zone},
                    {"query", query},
                    {"codes", ""},
                    {"listed", "no"},
                    {"weight", std::to_string(list.weight)},
                    {"score", "0"}},
                   std::move(reason)};
}

asio::awaitable<core::Finding> DnsblFilter::check_list(std::size_t list_index, std::string query, std::string session) {
    // One deadline for the list's A and TXT questions together.
    const dns::QueryDeadline deadline = std::chrono::steady_clock::now() + lists_.at(list_index).list->timeout;
    auto check = judge_list(list_index, std::move(query), std::move(session), deadline);
    co_return co_await dns::run_within(deadline, std::move(check));
}

asio::awaitable<core::Finding> DnsblFilter::judge_list(std::size_t list_index, std::string query, std::string session,
                                                       dns::QueryDeadline deadline) {
    const Compiled& compiled = lists_.at(list_index);
    const DnsList& list = *compiled.list;
    ++counters_.queries;
    ++compiled.counters->queries;
    dns::Answer answer = co_await dns::ask_within(resolver_, query, dns::RecordType::a, deadline);

    MatchResult match;  // NXDOMAIN/NODATA: not listed (RFC 5782 §2.1)
    switch (answer.status) {
        case dns::Status::nxdomain:
        case dns::Status::nodata: break;
        case dns::Status::timeout:
        case dns::Status::servfail:
            ++counters_.unanswered;
            ++compiled.counters->unanswered;
            co_return unanswered(compiled, query,
                                 std::string("no answer: ") + std::string(dns::to_string(answer.status)), session);
        case dns::Status::ok: match = match_answers(answer.records, compiled.matcher); break;
    }
    if (!match.ignored.empty())
        log::warn(log::Line("dnsbl_bad_answer").add("session", session).add("list", compiled.finding_name)
                      .add("zone", list.zone).add("query", query).add("ignored", join(match.ignored)));
    if (match.kind == MatchResult::Kind::broken) {
        ++counters_.broken;
        ++compiled.counters->broken;
        co_return unanswered(compiled, query, "no answer in 127.0.0.0/8: the list looks broken (RFC 5782 section 2.1)",
                             session);
    }
    if (match.kind == MatchResult::Kind::refused) {
        ++counters_.refused;
        ++compiled.counters->refused;
        co_return unanswered(compiled, query, "the list refused to answer (127.255.255.x)", session);
    }

    const bool listed = match.kind == MatchResult::Kind::listed;
    core::Finding finding{compiled.finding_name,
                    listed ? (list.allow ? core::Outcome::pass : core::Outcome::fail) : (list.allow ? core::Outcome::none : core::Outcome::pass),
                    {{"zone", list.zone},
                     {"query", query},
                     {"codes", join(match.matched)},
                     {"listed", listed ? "yes" : "no"},
                     {"weight", std::to_string(list.weight)},
                     {"score", listed ? std::to_string(list.weight) : "0"}},
                    listed ? "listed" : "not listed"};
    if (!listed) {
        ++counters_.not_listed;
        ++compiled.counters->not_listed;
        co_return finding;
    }
    ++counters_.listed;
    ++compiled.counters->listed;
    if (list.fetch_reason) {
        // The reason text is best effort within what is left of this list's budget.
        dns::Answer txt = co_await dns::ask_within(resolver_, query, dns::RecordType::txt, deadline);
        if (txt.status == dns::Status::ok && !txt.records.empty()) finding.reason = "listed: " + core::printable(txt.records.front());
    }
    co_return finding;
}

void DnsblFilter::report(MetricSink& sink) const {
    for (const Compiled& compiled : lists_) {
        const ListCounters& c = *compiled.counters;
        sink.counter("mxgate_dnsbl_queries_total", "List checks started", {{"list", compiled.finding_name}},
                     c.queries.load());
        report_labeled(sink, "mxgate_dnsbl_answers_total", "List checks by answer", "result",
                       {{"listed", c.listed}, {"not_listed", c.not_listed}, {"unanswered", c.unanswered},
                        {"broken", c.broken}, {"refused", c.refused}},
                       {{"list", compiled.finding_name}});
    }
    sink.counter("mxgate_dnsbl_skipped_total", "List checks with nothing to ask", counters_.skipped.load());
    report_labeled(sink, "mxgate_dnsbl_fcrdns_total", "Forward-confirmed reverse DNS results", "result",
                   {{"pass", counters_.fcrdns_pass}, {"fail", counters_.fcrdns_fail}, {"none", counters_.fcrdns_none},
                    {"temperror", counters_.fcrdns_temperror}});
    sink.counter("mxgate_dnsbl_rejected_total", "Recipients refused by the DNSBL score", counters_.rejected.load());
}

}  // namespace mxgate::filters::dnsbl
