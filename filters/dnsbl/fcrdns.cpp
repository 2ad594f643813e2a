#include "filters/dnsbl/fcrdns.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "filters/dns/deadline_query.hpp"
#include "filters/dnsbl/dnsbl_query.hpp"

namespace mxgate::filters::dnsbl {

namespace asio = boost::asio;
namespace ip = boost::asio::ip;

namespace {

bool maps_back(const dns::Answer& answer, const ip::address& client) {
    if (answer.status != dns::Status::ok) return false;
    for (const auto& record : answer.records) {
        boost::system::error_code ec;
        const auto address = ip::make_address(record, ec);
        if (!ec && unmapped(address) == client) return true;
    }
    return false;
}

bool failed(const dns::Answer& answer) {
    return answer.status == dns::Status::servfail || answer.status == dns::Status::timeout;
}

// check_fcrdns()'s questions, run within its deadline.
asio::awaitable<FcrdnsResult> confirm(dns::Resolver& resolver, ip::address client, const FcrdnsConfig& config,
                                      dns::QueryDeadline deadline) {
    FcrdnsResult result;

    std::string ptr_name = reverse_lookup_name(client);  // a named argument: no temporaries in co_await (GCC 12)
    dns::Answer ptr = co_await dns::ask_within(resolver, std::move(ptr_name), dns::RecordType::ptr, deadline);
    if (ptr.status == dns::Status::nxdomain || ptr.status == dns::Status::nodata) {
        result.outcome = core::Outcome::none;
        result.reason = "no PTR record";
        co_return result;
    }
    if (failed(ptr)) {
        result.outcome = core::Outcome::temperror;
        result.reason = std::string("PTR lookup: ") + std::string(dns::to_string(ptr.status));
        co_return result;
    }
    for (const auto& record : ptr.records) {
        if (result.ptr_names.size() >= config.max_names) break;
        if (auto name = normalize_domain(record)) result.ptr_names.push_back(std::move(*name));
    }
    if (result.ptr_names.empty()) {
        result.outcome = core::Outcome::fail;
        result.reason = "no usable PTR name";
        co_return result;
    }

    // All forward lookups at once, within what is left of the budget.
    const auto type = client.is_v4() ? dns::RecordType::a : dns::RecordType::aaaa;
    const auto executor = co_await asio::this_coro::executor;
    using Op = decltype(asio::co_spawn(executor, dns::ask_within(resolver, "", type, deadline), asio::deferred));
    std::vector<Op> lookups;
    for (const auto& name : result.ptr_names)
        lookups.push_back(asio::co_spawn(executor, dns::ask_within(resolver, name, type, deadline), asio::deferred));
    // The first name that maps back ends the wait: the lookups still running are
    // cancelled, so one dead name server cannot hold up a confirmed client.
    auto confirmed = [&client](std::exception_ptr error, const dns::Answer& answer) {
        return !error && maps_back(answer, client) ? asio::cancellation_type::terminal : asio::cancellation_type::none;
    };
    auto group = asio::experimental::make_parallel_group(std::move(lookups));
    auto [order, errors, answers] = co_await group.async_wait(confirmed, asio::use_awaitable);
    (void)order;

    bool any_failed = false;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        if (errors[i]) {  // cancelled after another name confirmed, or a bug
            any_failed = true;
            continue;
        }
        if (maps_back(answers[i], client)) {
            result.outcome = core::Outcome::pass;
            result.name = result.ptr_names[i];
            result.reason = "forward-confirmed";
            co_return result;
        }
        any_failed = any_failed || failed(answers[i]);
    }
    result.outcome = any_failed ? core::Outcome::temperror : core::Outcome::fail;
    result.reason = any_failed ? "a forward lookup failed and no name maps back" : "no PTR name maps back to the client";
    co_return result;
}

}  // namespace

asio::awaitable<FcrdnsResult> check_fcrdns(dns::Resolver& resolver, ip::address client, const FcrdnsConfig& config) {
    // One deadline for the PTR question and the forward lookups together.
    const dns::QueryDeadline deadline = std::chrono::steady_clock::now() + config.timeout;
    auto check = confirm(resolver, unmapped(client), config, deadline);
    co_return co_await dns::run_within(deadline, std::move(check));
}

core::Finding to_finding(const FcrdnsResult& result) {
    core::Finding finding{"fcrdns", result.outcome, {}, result.reason};  // informs, never decides
    if (result.outcome == core::Outcome::pass) finding.attrs.emplace_back("name", result.name);
    if (!result.ptr_names.empty()) finding.attrs.emplace_back("names", join(result.ptr_names));
    return finding;
}

std::optional<std::string> confirmed_name(const std::vector<core::Finding>& findings) {
    for (const auto& finding : findings) {
        if (finding.name != "fcrdns" || finding.outcome != core::Outcome::pass) continue;
        for (const auto& [key, value] : finding.attrs)
            if (key == "name") return value;
    }
    return std::nullopt;
}

}  // namespace mxgate::filters::dnsbl
