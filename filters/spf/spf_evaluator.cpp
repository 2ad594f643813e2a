#include "filters/spf/spf_evaluator.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "filters/spf/spf_macro.hpp"
#include "filters/spf/spf_record.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::spf {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using dns::RecordType;
using dns::Status;

std::string_view to_string(SpfResult result) {
    switch (result) {
        case SpfResult::pass: return "pass";
        case SpfResult::fail: return "fail";
        case SpfResult::softfail: return "softfail";
        case SpfResult::neutral: return "neutral";
        case SpfResult::none: return "none";
        case SpfResult::temperror: return "temperror";
        case SpfResult::permerror: return "permerror";
    }
    return "none";
}

std::string_view to_string(Identity identity) { return identity == Identity::helo ? "helo" : "mailfrom"; }

namespace {

bool failed(Status status) { return status == Status::servfail || status == Status::timeout; }
bool void_answer(Status status) { return status == Status::nxdomain || status == Status::nodata; }

SpfResult result_of(Qualifier qualifier) {
    switch (qualifier) {
        case Qualifier::pass: return SpfResult::pass;
        case Qualifier::fail: return SpfResult::fail;
        case Qualifier::softfail: return SpfResult::softfail;
        case Qualifier::neutral: return SpfResult::neutral;
    }
    return SpfResult::neutral;
}

// §5: a v4-mapped IPv6 client is an IPv4 client.
asio::ip::address unmapped(const asio::ip::address& client) {
    if (client.is_v6() && client.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, client.to_v6());
    return client;
}

bool in_network(const asio::ip::address& client, const asio::ip::address& network, int cidr4, int cidr6) {
    if (client.is_v4() != network.is_v4()) return false;
    if (client.is_v4()) {
        const std::uint32_t mask = cidr4 == 0 ? 0 : ~std::uint32_t{0} << (32 - cidr4);
        return (client.to_v4().to_uint() & mask) == (network.to_v4().to_uint() & mask);
    }
    const auto a = client.to_v6().to_bytes(), b = network.to_v6().to_bytes();
    int bits = cidr6;
    for (std::size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
        const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
        if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
}

// An answer's A/AAAA text holds the client, under the mechanism's CIDR lengths.
bool holds(const dns::Answer& answer, const asio::ip::address& client, int cidr4, int cidr6) {
    if (answer.status != Status::ok) return false;
    for (const auto& text : answer.records) {
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(text, ec);
        if (!ec && in_network(client, address, cidr4, cidr6)) return true;
    }
    return false;
}

// "10 mx.example.org" -> "mx.example.org"
std::string exchange_of(const std::string& mx) {
    const auto space = mx.find(' ');
    return space == std::string::npos ? mx : mx.substr(space + 1);
}

// §4.3: the domain of an identity is checked only when it is a multi-label name
// that could be asked for; anything else (an address literal, one label, an
// empty or over-long label) gives "none" without a lookup.
bool checkable_domain(std::string_view domain) {
    if (domain.starts_with('[')) return false;  // an address literal as HELO
    const auto name = query_name(domain);
    return name && name->find('.') != std::string::npos;
}

bool same_or_below(std::string_view name, std::string_view domain) {
    const std::string n = core::ascii_lower(name), d = core::ascii_lower(domain);
    return n == d || (n.size() > d.size() && n.ends_with(d) && n[n.size() - d.size() - 1] == '.');
}

enum class Match : std::uint8_t { no, yes, temperror, permerror };

// What check_host() found for one domain (§4).
struct HostResult {
    SpfResult result = SpfResult::neutral;
    // For a fail: the exp= of the record whose mechanism decided, and the domain it
    // was found in (§6.2: an include's exp= is never used, a redirect's replaces ours).
    std::optional<std::string> exp;
    std::string exp_domain;
};

// One evaluation: the facts of the request and the limits it has used so far.
// Runs on one executor; the coroutines it spawns for concurrent lookups only
// read it.
class Check {
public:
    Check(dns::Resolver& resolver, const SpfConfig& config, const SpfRequest& request, SpfVerdict& verdict)
        : resolver_(resolver),
          config_(config),
          request_(request),
          verdict_(verdict),
          client_(unmapped(request.client_address)),
          deadline_(Clock::now() + config.timeout) {
        if (verdict.identity == Identity::helo) {
            local_part_ = "postmaster";  // §2.4
        } else {
            local_part_ = request.sender.local.empty() ? "postmaster" : request.sender.local;  // §4.3
        }
        sender_ = local_part_ + "@" + verdict.domain;
    }

    asio::awaitable<HostResult> check_host(std::string domain);
    asio::awaitable<std::string> explanation(const HostResult& host);

    // Why the evaluation ended as it did, whatever the records said: the deadline
    // passed or the caller cancelled, our query cap, the void-lookup limit.
    bool deadline_hit() const { return deadline_hit_; }
    void deadline_passed() { deadline_hit_ = true; }
    Clock::time_point deadline() const { return deadline_; }
    bool cap_hit() const { return cap_hit_; }
    bool void_limit_hit() const { return voids_ > config_.max_void_lookups; }
    int queries() const { return queries_; }
    const std::string& problem() const { return problem_; }

private:
    MacroFacts facts(std::string_view domain, std::string_view validated_name) const {
        return MacroFacts{sender_, local_part_, verdict_.domain, domain, client_, request_.helo, config_.receiver,
                          validated_name,
                          std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count()};
    }
    void note(std::string problem) {
        if (problem_.empty()) problem_ = std::move(problem);
    }
    bool may_ask();
    asio::awaitable<bool> caller_cancelled();
    asio::awaitable<dns::Answer> ask(std::string name, RecordType type);
    // Answers satisfying `enough` end the wait: the lookups still out are cancelled
    // and answer Status::timeout, so one dead server cannot hold up a match.
    using Enough = std::function<bool(const dns::Answer&)>;
    asio::awaitable<std::vector<dns::Answer>> ask_all(const std::vector<std::string>& names, RecordType type,
                                                      Enough enough);
    RecordType address_type() const { return client_.is_v4() ? RecordType::a : RecordType::aaaa; }
    bool void_lookup();

    asio::awaitable<std::optional<std::string>> target(const Mechanism& m, const std::string& spec,
                                                       const std::string& domain);
    asio::awaitable<std::string> validated_name(const std::string& domain);
    asio::awaitable<Match> match(const Mechanism& m, const std::string& domain);
    asio::awaitable<Match> match_include(const std::string& name);
    asio::awaitable<Match> match_a(const Mechanism& m, const std::string& name);
    asio::awaitable<Match> match_mx(const Mechanism& m, const std::string& name);
    asio::awaitable<Match> match_ptr(const std::string& name);
    asio::awaitable<Match> match_exists(const std::string& name);

    dns::Resolver& resolver_;
    const SpfConfig& config_;
    const SpfRequest& request_;
    SpfVerdict& verdict_;
    asio::ip::address client_;
    Clock::time_point deadline_;
    std::string local_part_, sender_;
    int dns_terms_ = 0, voids_ = 0, queries_ = 0;
    bool deadline_hit_ = false, cap_hit_ = false;
    std::string problem_;
};

// A query may go out: within the deadline and the query cap (counted here).
bool Check::may_ask() {
    if (Clock::now() >= deadline_) {
        deadline_hit_ = true;
        return false;
    }
    if (queries_ >= config_.max_queries) {
        cap_hit_ = true;
        return false;
    }
    ++queries_;
    return true;
}

// Named results, not co_await inside conditions: GCC 12 miscompiles some of those.
asio::awaitable<bool> Check::caller_cancelled() {
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) deadline_hit_ = true;
    co_return deadline_hit_;
}

asio::awaitable<dns::Answer> Check::ask(std::string name, RecordType type) {
    const bool cancelled = co_await caller_cancelled();
    if (cancelled || !may_ask()) co_return dns::Answer{Status::timeout};
    // No timer of its own: the evaluation's one deadline cancels it (evaluate()).
    co_return co_await resolver_.query(std::move(name), type);
}

// The same question for several names at once (the addresses of MX or PTR names).
asio::awaitable<std::vector<dns::Answer>> Check::ask_all(const std::vector<std::string>& names, RecordType type,
                                                         Enough enough) {
    std::vector<dns::Answer> answers(names.size(), dns::Answer{Status::timeout});
    const bool cancelled = co_await caller_cancelled();
    if (cancelled) co_return answers;
    const auto executor = co_await asio::this_coro::executor;
    using Op = decltype(asio::co_spawn(executor, resolver_.query("", type), asio::deferred));
    std::vector<Op> lookups;
    std::vector<std::size_t> asked;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!may_ask()) break;
        lookups.push_back(asio::co_spawn(executor, resolver_.query(names[i], type), asio::deferred));
        asked.push_back(i);
    }
    if (lookups.empty()) co_return answers;
    auto group = asio::experimental::make_parallel_group(std::move(lookups));
    auto stop = [&enough](std::exception_ptr error, const dns::Answer& answer) {
        return !error && enough(answer) ? asio::cancellation_type::terminal : asio::cancellation_type::none;
    };
    auto [order, errors, results] = co_await group.async_wait(stop, asio::use_awaitable);
    (void)order;
    for (std::size_t k = 0; k < asked.size(); ++k)
        if (!errors[k]) answers[asked[k]] = std::move(results[k]);
    co_return answers;
}

// §4.6.4: more than max_void_lookups answers of "no such name / no such record".
bool Check::void_lookup() {
    if (++voids_ <= config_.max_void_lookups) return false;
    note("more than " + std::to_string(config_.max_void_lookups) + " void DNS lookups");
    return true;
}

asio::awaitable<HostResult> Check::check_host(std::string domain) {
    HostResult out;
    if (!checkable_domain(domain)) {  // §4.3
        out.result = SpfResult::none;
        co_return out;
    }
    // §4.4, §4.5: exactly one v=spf1 record among the TXT records of the domain.
    const dns::Answer txt = co_await ask(domain, RecordType::txt);
    if (failed(txt.status)) {
        note("TXT lookup of " + core::printable(domain) + ": " + std::string(dns::to_string(txt.status)));
        out.result = SpfResult::temperror;
        co_return out;
    }
    std::vector<const std::string*> records;
    for (const auto& text : txt.records)
        if (is_spf_record(text)) records.push_back(&text);
    if (records.empty()) {
        out.result = SpfResult::none;
        co_return out;
    }
    if (records.size() > 1) {
        note(core::printable(domain) + " publishes more than one SPF record");
        out.result = SpfResult::permerror;
        co_return out;
    }
    const ParsedRecord parsed = parse_record(*records.front());
    if (!parsed.record) {
        note("record of " + core::printable(domain) + ": " + parsed.error);
        out.result = SpfResult::permerror;
        co_return out;
    }
    const Record& record = *parsed.record;

    for (const Mechanism& mechanism : record.mechanisms) {
        if (mechanism.queries_dns() && ++dns_terms_ > config_.max_dns_mechanisms) {
            note("more than " + std::to_string(config_.max_dns_mechanisms) + " DNS-querying terms");
            out.result = SpfResult::permerror;
            co_return out;
        }
        const Match matched = co_await match(mechanism, domain);
        switch (matched) {
            case Match::no: continue;
            case Match::temperror: out.result = SpfResult::temperror; co_return out;
            case Match::permerror: out.result = SpfResult::permerror; co_return out;
            case Match::yes: break;
        }
        out.result = result_of(mechanism.qualifier);
        if (out.result == SpfResult::fail) {
            out.exp = record.exp;
            out.exp_domain = domain;
        }
        co_return out;
    }
    // §6.1: redirect= only when no mechanism matched and the record has no "all".
    if (!record.redirect || record.has_all) co_return out;  // §4.7: neutral
    if (++dns_terms_ > config_.max_dns_mechanisms) {
        note("more than " + std::to_string(config_.max_dns_mechanisms) + " DNS-querying terms");
        out.result = SpfResult::permerror;
        co_return out;
    }
    const auto name = expand_macros(*record.redirect, facts(domain, "unknown"), MacroUse::domain);
    if (!name || !checkable_domain(*name)) {
        note("redirect= of " + core::printable(domain) + " names no usable domain");
        out.result = SpfResult::permerror;
        co_return out;
    }
    HostResult redirected = co_await check_host(*query_name(*name));
    if (redirected.result == SpfResult::none) {
        note("redirect= target " + core::printable(*name) + " has no SPF record");
        redirected.result = SpfResult::permerror;
    }
    co_return redirected;
}

// The name a mechanism asks about: its domain-spec expanded, or the current domain.
asio::awaitable<std::optional<std::string>> Check::target(const Mechanism& m, const std::string& spec,
                                                          const std::string& domain) {
    if (spec.empty()) co_return domain;
    std::string validated = "unknown";
    if (uses_validated_name(spec)) validated = co_await validated_name(domain);
    const auto expanded = expand_macros(spec, facts(domain, validated), MacroUse::domain);
    if (!expanded) co_return std::nullopt;
    auto name = query_name(*expanded);
    if (!name) note(std::string(to_string(m.kind)) + " names no usable domain: " + core::printable(*expanded));
    co_return name;
}

asio::awaitable<Match> Check::match(const Mechanism& m, const std::string& domain) {
    switch (m.kind) {
        case MechanismKind::all: co_return Match::yes;
        case MechanismKind::ip4:
        case MechanismKind::ip6: co_return in_network(client_, m.network, m.cidr4, m.cidr6) ? Match::yes : Match::no;
        default: break;
    }
    const auto name = co_await target(m, m.domain_spec, domain);
    if (!name) co_return Match::permerror;
    switch (m.kind) {
        case MechanismKind::include: co_return co_await match_include(*name);
        case MechanismKind::a: co_return co_await match_a(m, *name);
        case MechanismKind::mx: co_return co_await match_mx(m, *name);
        case MechanismKind::ptr: co_return co_await match_ptr(*name);
        case MechanismKind::exists: co_return co_await match_exists(*name);
        default: co_return Match::no;
    }
}

// §5.2: pass matches; fail, softfail and neutral do not; none is a permerror.
asio::awaitable<Match> Check::match_include(const std::string& name) {
    const HostResult included = co_await check_host(name);
    switch (included.result) {
        case SpfResult::pass: co_return Match::yes;
        case SpfResult::fail:
        case SpfResult::softfail:
        case SpfResult::neutral: co_return Match::no;
        case SpfResult::temperror: co_return Match::temperror;
        case SpfResult::none: note("include:" + core::printable(name) + " has no SPF record"); co_return Match::permerror;
        case SpfResult::permerror: co_return Match::permerror;
    }
    co_return Match::permerror;
}

asio::awaitable<Match> Check::match_a(const Mechanism& m, const std::string& name) {
    const dns::Answer answer = co_await ask(name, address_type());
    if (failed(answer.status)) {
        note(std::string(dns::to_string(address_type())) + " lookup of " + core::printable(name) + " failed");
        co_return Match::temperror;
    }
    if (void_answer(answer.status)) co_return void_lookup() ? Match::permerror : Match::no;
    co_return holds(answer, client_, m.cidr4, m.cidr6) ? Match::yes : Match::no;
}

// §5.4: the addresses of at most 10 MX names, asked at once.
asio::awaitable<Match> Check::match_mx(const Mechanism& m, const std::string& name) {
    const dns::Answer mx = co_await ask(name, RecordType::mx);
    if (failed(mx.status)) {
        note("MX lookup of " + core::printable(name) + " failed");
        co_return Match::temperror;
    }
    if (void_answer(mx.status)) co_return void_lookup() ? Match::permerror : Match::no;
    if (mx.records.size() > static_cast<std::size_t>(config_.max_dns_mx)) {
        note(core::printable(name) + " has more than " + std::to_string(config_.max_dns_mx) + " MX names");
        co_return Match::permerror;
    }
    std::vector<std::string> exchanges;
    for (const auto& record : mx.records)
        if (auto exchange = query_name(exchange_of(record))) exchanges.push_back(std::move(*exchange));  // not "." (null MX)
    auto matches = [&](const dns::Answer& answer) { return holds(answer, client_, m.cidr4, m.cidr6); };
    const auto answers = co_await ask_all(exchanges, address_type(), matches);
    bool any_failed = false;
    for (const auto& answer : answers) {
        if (matches(answer)) co_return Match::yes;
        any_failed = any_failed || failed(answer.status);
    }
    if (any_failed) note("an address lookup of an MX name of " + core::printable(name) + " failed");
    co_return any_failed ? Match::temperror : Match::no;
}

// §5.5: the client's PTR names (the first 10) that are the target or below it and
// map back to the client. DNS errors here only make the mechanism not match.
asio::awaitable<Match> Check::match_ptr(const std::string& name) {
    const auto reverse = expand_macros("%{ir}.%{v}.arpa", facts(name, "unknown"), MacroUse::domain);
    const dns::Answer ptr = co_await ask(*reverse, RecordType::ptr);
    if (void_answer(ptr.status)) co_return void_lookup() ? Match::permerror : Match::no;
    if (ptr.status != Status::ok) co_return Match::no;
    std::vector<std::string> candidates;
    for (std::size_t i = 0; i < ptr.records.size() && i < static_cast<std::size_t>(config_.max_dns_ptr); ++i)
        if (same_or_below(ptr.records[i], name)) candidates.push_back(ptr.records[i]);
    auto maps_back = [&](const dns::Answer& answer) { return holds(answer, client_, 32, 128); };
    const auto answers = co_await ask_all(candidates, address_type(), maps_back);
    for (const auto& answer : answers)
        if (maps_back(answer)) co_return Match::yes;
    co_return Match::no;
}

// §5.7: any A record at all; always type A, whatever the client's family.
asio::awaitable<Match> Check::match_exists(const std::string& name) {
    const dns::Answer answer = co_await ask(name, RecordType::a);
    if (failed(answer.status)) {
        note("A lookup of " + core::printable(name) + " failed");
        co_return Match::temperror;
    }
    if (void_answer(answer.status)) co_return void_lookup() ? Match::permerror : Match::no;
    co_return Match::yes;
}

// %{p} (§7.3, §5.5): a PTR name of the client that maps back to it, preferring
// the current domain, then a name below it; "unknown" when there is none.
asio::awaitable<std::string> Check::validated_name(const std::string& domain) {
    const auto reverse = expand_macros("%{ir}.%{v}.arpa", facts(domain, "unknown"), MacroUse::domain);
    const dns::Answer ptr = co_await ask(*reverse, RecordType::ptr);
    if (ptr.status != Status::ok) co_return "unknown";
    std::vector<std::string> names(ptr.records.begin(),
                                   ptr.records.begin() + std::min<std::size_t>(ptr.records.size(), config_.max_dns_ptr));
    // Every name is needed to pick the best one, so nothing ends the wait early.
    const auto answers = co_await ask_all(names, address_type(), [](const dns::Answer&) { return false; });
    std::optional<std::string> exact, below, any;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!holds(answers[i], client_, 32, 128)) continue;
        if (core::iequals(names[i], domain)) exact = exact.value_or(names[i]);
        else if (same_or_below(names[i], domain)) below = below.value_or(names[i]);
        else any = any.value_or(names[i]);
    }
    co_return exact ? *exact : below ? *below : any ? *any : std::string("unknown");
}

// §6.2: the text of the exp= TXT record, macro-expanded; empty when there is none,
// the lookup fails, or the text is not a valid explain-string.
asio::awaitable<std::string> Check::explanation(const HostResult& host) {
    if (host.result != SpfResult::fail || !host.exp) co_return std::string();
    const auto expanded = expand_macros(*host.exp, facts(host.exp_domain, "unknown"), MacroUse::domain);
    const auto name = expanded ? query_name(*expanded) : std::nullopt;
    if (!name) co_return std::string();
    const dns::Answer txt = co_await ask(*name, RecordType::txt);
    if (txt.status != Status::ok || txt.records.size() != 1) co_return std::string();
    std::string validated = "unknown";
    if (uses_validated_name(txt.records.front())) validated = co_await validated_name(host.exp_domain);
    co_return expand_macros(txt.records.front(), facts(host.exp_domain, validated), MacroUse::explanation)
        .value_or(std::string());
}

struct Checked {
    HostResult host;
    std::string explanation;
};

// check_host() and, for a fail, the explanation: what the evaluation's deadline
// races. Cancelled, it must end with a value, not an exception.
asio::awaitable<Checked> run_check(Check& check, std::string domain) {
    co_await asio::this_coro::throw_if_cancelled(false);
    Checked out;
    out.host = co_await check.check_host(std::move(domain));
    if (!check.cap_hit() && !check.deadline_hit()) out.explanation = co_await check.explanation(out.host);
    co_return out;
}

}  // namespace

SpfEvaluator::SpfEvaluator(dns::Resolver& resolver, SpfConfig config) : resolver_(resolver), config_(std::move(config)) {}

asio::awaitable<SpfVerdict> SpfEvaluator::evaluate(SpfRequest request) {
    // A cancelled caller must get its temperror, not an exception from the next
    // co_await; the caller's own setting is restored before returning.
    const bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    SpfVerdict verdict;
    if (request.sender.empty()) {  // §2.4: the null reverse-path checks the HELO identity
        verdict.identity = Identity::helo;
        verdict.domain = request.helo;
        verdict.sender = "postmaster@" + request.helo;
    } else {
        verdict.identity = Identity::mailfrom;
        verdict.domain = request.sender.domain;
        verdict.sender = request.sender.str();
    }
    Check check(resolver_, config_, request, verdict);
    // One timer for the whole evaluation, not one per question: it cancels the
    // question in flight, and every later one ends at once (Check::ask).
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer budget(co_await asio::this_coro::executor, check.deadline());
    // Named operands: GCC 12 can destroy temporaries of a co_await expression twice.
    auto work = run_check(check, verdict.domain);
    auto expiry = budget.async_wait(asio::as_tuple(asio::use_awaitable));
    auto either = std::move(work) || std::move(expiry);
    auto first = co_await std::move(either);
    Checked checked;
    if (first.index() == 0) checked = std::get<0>(std::move(first));
    else check.deadline_passed();
    verdict.result = checked.host.result;
    if (check.cap_hit()) {  // an answer cut short by our cap must not decide anything
        verdict.result = SpfResult::permerror;
        verdict.problem = "more than " + std::to_string(config_.max_queries) + " DNS queries (filters.spf.max_queries)";
    } else if (check.deadline_hit()) {
        verdict.result = SpfResult::temperror;
        verdict.problem = "no result within filters.spf.timeout";
    } else {
        verdict.explanation = std::move(checked.explanation);
        verdict.problem = check.problem();
    }
    if (verdict.result != SpfResult::temperror && verdict.result != SpfResult::permerror) verdict.problem.clear();
    verdict.dns_queries = check.queries();
    count(verdict, {check.deadline_hit(), check.cap_hit(), check.void_limit_hit()});
    co_await asio::this_coro::throw_if_cancelled(caller_throws);
    co_return verdict;
}

SpfVerdict SpfEvaluator::evaluate_blocking(const SpfRequest& request) {
    asio::io_context io;
    SpfVerdict verdict;
    std::exception_ptr error;
    asio::co_spawn(io, evaluate(request), [&](std::exception_ptr e, SpfVerdict v) {
        error = e;
        verdict = std::move(v);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    return verdict;
}

void SpfEvaluator::count(const SpfVerdict& verdict, Limits hit) {
    ++counters_.evaluations;
    counters_.dns_queries += static_cast<std::uint64_t>(verdict.dns_queries);
    switch (verdict.result) {
        case SpfResult::pass: ++counters_.pass; break;
        case SpfResult::fail: ++counters_.fail; break;
        case SpfResult::softfail: ++counters_.softfail; break;
        case SpfResult::neutral: ++counters_.neutral; break;
        case SpfResult::none: ++counters_.none; break;
        case SpfResult::temperror: ++counters_.temperror; break;
        case SpfResult::permerror: ++counters_.permerror; break;
    }
    if (hit.deadline) ++counters_.deadline_exceeded;
    if (hit.query_cap) ++counters_.query_cap;
    if (hit.void_lookups) ++counters_.void_limit;
}

}  // namespace mxgate::filters::spf
