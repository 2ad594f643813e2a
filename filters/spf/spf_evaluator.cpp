#include "filters/spf/spf_evaluator.hpp"
#include "proxy/core/log.hpp"
#include "proxy/core/text.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

// libspf2's headers expect the socket and resolver types above.
extern "C" {
#include <spf2/spf.h>
}

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxgate::filters::spf {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

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

// Per-check state: the DNS bridge finds it through SPF_dns_server_t::hook.
struct SpfEvaluator::Evaluation {
    SpfEvaluator* self = nullptr;
    Clock::time_point deadline;
    std::atomic<bool> cancelled{false};
    // The query in flight, so a cancelling caller can cut it short (dns_io_ thread).
    std::mutex mutex;
    std::shared_ptr<asio::cancellation_signal> current;
    int queries = 0;
    int voids = 0;
    // Names from PTR answers: their A/AAAA lookups validate the PTR (RFC 7208
    // §5.5, §7.3 %{p}) and are not void lookups of a mechanism.
    std::set<std::string> ptr_names;
    bool deadline_hit = false, cap_hit = false;
    bool txt_failed = false;  // a TXT lookup answered servfail/timeout
    std::string dns_problem;  // first DNS failure, for logs
    SPF_dns_server_t layer{};  // our layer; destroy == nullptr: libspf2 never frees it
};

namespace {

std::optional<dns::RecordType> record_type(ns_type type) {
    switch (static_cast<int>(type)) {
        case ns_t_a: return dns::RecordType::a;
        case ns_t_aaaa: return dns::RecordType::aaaa;
        case ns_t_txt: return dns::RecordType::txt;
        case ns_t_mx: return dns::RecordType::mx;
        case ns_t_ptr: return dns::RecordType::ptr;
        default: return std::nullopt;  // type SPF (99) is gone since RFC 7208 §3.1
    }
}

int herrno_of(dns::Status status) {
    switch (status) {
        case dns::Status::ok: return NETDB_SUCCESS;
        case dns::Status::nxdomain: return HOST_NOT_FOUND;
        case dns::Status::nodata: return NO_DATA;
        case dns::Status::servfail:
        case dns::Status::timeout: return TRY_AGAIN;
    }
    return TRY_AGAIN;
}

bool put_bytes(SPF_dns_rr_t* rr, int index, const void* data, std::size_t length) {
    const std::size_t size = std::max(length, sizeof(SPF_dns_rr_data_t));
    if (SPF_dns_rr_buf_realloc(rr, index, size) != SPF_E_SUCCESS) return false;
    std::memset(rr->rr[index], 0, size);
    std::memcpy(rr->rr[index], data, length);
    return true;
}

// Our Answer in libspf2's shape: one SPF_dns_rr_t holding the records of one type.
SPF_dns_rr_t* to_rr(SPF_dns_server_t* server, const char* domain, ns_type type, const dns::Answer& answer) {
    SPF_dns_rr_t* rr = SPF_dns_rr_new_init(server, domain, type, static_cast<int>(answer.ttl),
                                           herrno_of(answer.status));
    if (rr == nullptr || answer.status != dns::Status::ok) return rr;
    int n = 0;
    for (const auto& record : answer.records) {
        bool stored = false;
        switch (static_cast<int>(type)) {
            case ns_t_a: {
                in_addr a{};
                if (::inet_pton(AF_INET, record.c_str(), &a) == 1) stored = put_bytes(rr, n, &a, sizeof a);
                break;
            }
            case ns_t_aaaa: {
                in6_addr a{};
                if (::inet_pton(AF_INET6, record.c_str(), &a) == 1) stored = put_bytes(rr, n, &a, sizeof a);
                break;
            }
            case ns_t_mx: {  // "10 mx.example.org": libspf2 wants the exchange only
                const auto space = record.find(' ');
                const std::string host = space == std::string::npos ? record : record.substr(space + 1);
                stored = put_bytes(rr, n, host.c_str(), host.size() + 1);
                break;
            }
            default: {  // TXT (character-strings already joined, RFC 7208 §3.3), PTR
                // libspf2 takes C strings: a NUL would silently cut the record
                // short. Make it a control character, which its parser refuses.
                std::string text = record;
                std::replace(text.begin(), text.end(), '\0', '\x01');
                stored = put_bytes(rr, n, text.c_str(), text.size() + 1);
                break;
            }
        }
        if (stored) ++n;
    }
    rr->num_rr = n;
    if (n == 0) rr->herrno = NO_DATA;
    return rr;
}

SPF_dns_rr_t* try_again(SPF_dns_server_t* server, const char* domain, ns_type type) {
    return SPF_dns_rr_new_init(server, domain, type, 0, TRY_AGAIN);
}

// libspf2 logs through globals; route them to our log once. Its error handler
// (fatal, noreturn) stays libspf2's own.
void route_spf_logs() {
    static std::once_flag once;
    std::call_once(once, [] {
        SPF_warning_handler = [](const char* file, int line, const char* message) {
            log::debug(log::Line("spf_library_warning").add("file", file).add("line", line).add("message", message));
        };
        SPF_info_handler = nullptr;
        SPF_debug_handler = nullptr;
    });
}

// RFC 7208 §4.3: a malformed or non-FQDN domain gives "none" without a lookup
// (labels of 1..63 octets, at least two labels, no address literal).
bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > 253) return false;
    if (domain.back() == '.') domain.remove_suffix(1);
    int labels = 0;
    std::size_t start = 0;
    while (start <= domain.size()) {
        const std::size_t dot = std::min(domain.find('.', start), domain.size());
        const std::size_t length = dot - start;
        if (length == 0 || length > 63) return false;
        ++labels;
        start = dot + 1;
        if (dot == domain.size()) break;
    }
    if (domain.front() == '[') return false;
    return labels >= 2;
}

// Syntax a query name must have: labels of 1..63 octets, 253 in all.
bool dns_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = std::min(name.find('.', start), name.size());
        if (dot == start || dot - start > 63) return false;
        if (dot == name.size()) return true;
        start = dot + 1;
    }
}

SpfResult to_result(SPF_result_t result) {
    switch (result) {
        case SPF_RESULT_PASS: return SpfResult::pass;
        case SPF_RESULT_FAIL: return SpfResult::fail;
        case SPF_RESULT_SOFTFAIL: return SpfResult::softfail;
        case SPF_RESULT_NEUTRAL: return SpfResult::neutral;
        case SPF_RESULT_NONE: return SpfResult::none;
        case SPF_RESULT_TEMPERROR: return SpfResult::temperror;
        case SPF_RESULT_PERMERROR: return SpfResult::permerror;
        case SPF_RESULT_INVALID: break;
    }
    return SpfResult::permerror;
}

}  // namespace

// The libspf2 lookup callback: runs on a pool thread and blocks there while the
// query runs on the evaluator's DNS thread.
struct SpfBridge {
    static SPF_dns_rr_t* lookup(SPF_dns_server_t* server, const char* domain, ns_type type, int /*should_cache*/) {
        auto& state = *static_cast<SpfEvaluator::Evaluation*>(server->hook);
        const auto wanted = record_type(type);
        if (!wanted) return SPF_dns_rr_new_init(server, domain, type, 0, NO_DATA);
        // A name that cannot exist in the DNS (empty or over-long label, RFC 1035
        // §2.3.4) is answered "no such name" without a query; libunbound would
        // refuse it, and a refusal would read as a temporary error.
        if (!dns_name(domain)) return SPF_dns_rr_new_init(server, domain, type, 0, HOST_NOT_FOUND);
        const auto answer = state.self->ask(state, domain, *wanted);
        if (!answer) return try_again(server, domain, type);
        return to_rr(server, domain, type, *answer);
    }
};

std::optional<dns::Answer> SpfEvaluator::ask(Evaluation& state, const char* domain, dns::RecordType type) {
    if (state.cancelled.load() || Clock::now() >= state.deadline) {
        state.deadline_hit = true;
        return std::nullopt;
    }
    if (++state.queries > config_.max_queries) {
        state.cap_hit = true;
        return std::nullopt;
    }
    ++counters_.dns_queries;

    auto promise = std::make_shared<std::promise<dns::Answer>>();
    auto future = promise->get_future();
    auto signal = std::make_shared<asio::cancellation_signal>();
    {
        std::lock_guard lock(state.mutex);
        state.current = signal;
    }
    asio::co_spawn(dns_io_, resolver_.query(domain, type),
                   asio::bind_cancellation_slot(signal->slot(), [promise, signal](std::exception_ptr error,
                                                                                  dns::Answer answer) {
                       // On the DNS thread, where a cancel is emitted: a late emit finds
                       // an empty slot, and the signal lives as long as this handler.
                       signal->slot().clear();
                       promise->set_value(error ? dns::Answer{dns::Status::servfail} : std::move(answer));
                   }));
    // Wait for the answer; past the deadline (or when the caller gave up) cancel
    // the query, which then completes at once with Status::timeout.
    bool cancel_sent = false;
    for (;;) {
        const auto poll = Clock::now() + std::chrono::milliseconds(50);
        if (future.wait_until(cancel_sent ? poll : std::min(state.deadline, poll)) == std::future_status::ready) break;
        if (!cancel_sent && (state.cancelled.load() || Clock::now() >= state.deadline)) {
            state.deadline_hit = true;
            cancel_sent = true;
            asio::post(dns_io_, [signal] { signal->emit(asio::cancellation_type::terminal); });
        }
    }
    dns::Answer answer = future.get();
    {
        std::lock_guard lock(state.mutex);
        state.current.reset();
    }
    if (answer.status == dns::Status::nxdomain || answer.status == dns::Status::nodata) {
        // RFC 7208 §4.6.4 void lookups: A/AAAA/MX/PTR asked by mechanisms. (A void
        // TXT ends the check by itself: none at the top, permerror in include.)
        const bool validates_ptr = (type == dns::RecordType::a || type == dns::RecordType::aaaa) &&
                                   state.ptr_names.contains(dns::canonical_name(domain));
        if (type != dns::RecordType::txt && type != dns::RecordType::ptr && !validates_ptr) ++state.voids;
    }
    if (log::debug_enabled())
        log::debug(log::Line("spf_dns").add("qname", domain).add("type", dns::to_string(type))
                       .add("status", dns::to_string(answer.status))
                       .add("record", answer.records.empty() ? std::string() : answer.records.front()));
    if (type == dns::RecordType::ptr && answer.status == dns::Status::ok)
        for (const auto& name : answer.records) state.ptr_names.insert(dns::canonical_name(name));
    if (type == dns::RecordType::txt &&
        (answer.status == dns::Status::servfail || answer.status == dns::Status::timeout))
        state.txt_failed = true;
    if ((answer.status == dns::Status::servfail || answer.status == dns::Status::timeout) &&
        state.dns_problem.empty())
        state.dns_problem = fmt::format("dns {} {}: {}", core::printable(domain), dns::to_string(type),
                                        dns::to_string(answer.status));
    return answer;
}

SpfEvaluator::SpfEvaluator(dns::Resolver& resolver, SpfConfig config)
    : resolver_(resolver),
      config_(std::move(config)),
      dns_work_(asio::make_work_guard(dns_io_)),
      pool_(std::max<std::size_t>(config_.threads, 1)) {
    route_spf_logs();
    dns_thread_ = std::thread([this] { dns_io_.run(); });
}

SpfEvaluator::~SpfEvaluator() {
    pool_.join();  // running checks end by their deadline at the latest
    dns_work_.reset();
    dns_thread_.join();  // returns once every query spawned there has completed
}

void SpfEvaluator::count(const SpfVerdict& verdict) {
    ++counters_.evaluations;
    switch (verdict.result) {
        case SpfResult::pass: ++counters_.pass; break;
        case SpfResult::fail: ++counters_.fail; break;
        case SpfResult::softfail: ++counters_.softfail; break;
        case SpfResult::neutral: ++counters_.neutral; break;
        case SpfResult::none: ++counters_.none; break;
        case SpfResult::temperror: ++counters_.temperror; break;
        case SpfResult::permerror: ++counters_.permerror; break;
    }
}

SpfVerdict SpfEvaluator::evaluate_blocking(const SpfRequest& request) {
    Evaluation state;
    state.self = this;
    state.deadline = Clock::now() + config_.timeout;
    auto verdict = run(request, state);
    count(verdict);
    return verdict;
}

SpfVerdict SpfEvaluator::run(const SpfRequest& request, Evaluation& state) {
    SpfVerdict verdict;
    // RFC 7208 §2.4: a null reverse-path is checked as postmaster@<HELO>.
    if (request.sender.empty()) {
        verdict.identity = Identity::helo;
        verdict.domain = request.helo;
        verdict.sender = "postmaster@" + request.helo;
    } else {
        verdict.identity = Identity::mailfrom;
        verdict.sender = request.sender.str();
        const std::string& local = request.sender.local;
        const std::string& domain = request.sender.domain;
        verdict.domain = domain.empty() ? local : domain;
        if (local.empty() || domain.empty()) verdict.sender = "postmaster@" + verdict.domain;  // RFC 7208 §4.3
    }
    if (!valid_domain(verdict.domain)) {
        verdict.result = SpfResult::none;
        verdict.problem = "not a valid domain name";
        return verdict;
    }

    state.layer.destroy = nullptr;
    state.layer.lookup = &SpfBridge::lookup;
    state.layer.name = "mxgate";
    state.layer.hook = &state;

    SPF_server_t* server = SPF_server_new_dns(&state.layer, 0);
    if (server == nullptr) {
        verdict.result = SpfResult::temperror;
        verdict.problem = "libspf2: cannot create a server";
        return verdict;
    }
    SPF_server_set_rec_dom(server, config_.receiver.empty() ? "unknown" : config_.receiver.c_str());
    SPF_server_set_max_dns_mech(server, config_.max_dns_mechanisms);
    SPF_server_set_max_dns_mx(server, config_.max_dns_mx);
    SPF_server_set_max_dns_ptr(server, config_.max_dns_ptr);
    SPF_server_set_sanitize(server, 1);

    SPF_request_t* spf_request = SPF_request_new(server);
    SPF_response_t* response = nullptr;
    auto address = request.client_address;
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    if (address.is_v4()) {
        in_addr a{};
        a.s_addr = htonl(address.to_v4().to_uint());
        SPF_request_set_ipv4(spf_request, a);
    } else {
        in6_addr a{};
        const auto bytes = address.to_v6().to_bytes();
        std::memcpy(&a, bytes.data(), bytes.size());
        SPF_request_set_ipv6(spf_request, a);
    }
    if (!request.helo.empty()) SPF_request_set_helo_dom(spf_request, request.helo.c_str());
    const int from_error = SPF_request_set_env_from(spf_request, verdict.sender.c_str());
    if (from_error != 0) {
        verdict.result = SpfResult::none;
        verdict.problem = "libspf2 refused the identity";
    } else {
        SPF_request_query_mailfrom(spf_request, &response);
        if (response == nullptr) {
            verdict.result = SpfResult::temperror;
            verdict.problem = "libspf2 gave no response";
        } else {
            verdict.result = to_result(SPF_response_result(response));
            // libspf2 1.2.10 reports a failed TXT lookup (TRY_AGAIN) as permerror
            // ("Temporary DNS failure"); RFC 7208 §4.4 and §5.2 make it temperror.
            if (verdict.result == SpfResult::permerror &&
                (state.txt_failed || SPF_response_errcode(response) == SPF_E_DNS_ERROR))
                verdict.result = SpfResult::temperror;
            if (verdict.result == SpfResult::fail) {
                if (const char* exp = SPF_response_get_explanation(response)) verdict.explanation = exp;
            }
            for (int i = 0; i < SPF_response_messages(response) && verdict.problem.size() < 200; ++i) {
                SPF_error_t* message = SPF_response_message(response, i);
                if (message == nullptr || !SPF_error_errorp(message)) continue;
                if (!verdict.problem.empty()) verdict.problem += "; ";
                verdict.problem += SPF_error_message(message) ? SPF_error_message(message) : "?";
            }
        }
    }
    if (response) SPF_response_free(response);
    SPF_request_free(spf_request);
    SPF_server_free(server);

    verdict.dns_queries = state.queries;
    // Our limits override what libspf2 concluded (it cannot see them).
    if (state.deadline_hit || state.cap_hit) {
        if (state.deadline_hit) ++counters_.deadline_exceeded;
        if (state.cap_hit) ++counters_.query_cap;
        verdict.result = SpfResult::temperror;
        verdict.explanation.clear();
        verdict.problem = state.cap_hit ? "too many DNS queries" : "SPF evaluation timed out";
    } else if (state.voids > config_.max_void_lookups && verdict.result != SpfResult::temperror) {
        ++counters_.void_limit;
        verdict.result = SpfResult::permerror;
        verdict.explanation.clear();
        verdict.problem = "more than " + std::to_string(config_.max_void_lookups) + " void DNS lookups";
    } else if (verdict.result == SpfResult::temperror && !state.dns_problem.empty()) {
        verdict.problem = state.dns_problem;
    }
    return verdict;
}

asio::awaitable<SpfVerdict> SpfEvaluator::evaluate(SpfRequest request) {
    auto initiate = [this](auto handler, SpfRequest request) {
        auto state = std::make_shared<Evaluation>();
        state->self = this;
        state->deadline = Clock::now() + config_.timeout;
        // A cancelled caller: stop at the next DNS step; the handler still runs once,
        // with the (temperror) verdict, when the pool thread is done.
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
            slot.assign([this, weak = std::weak_ptr<Evaluation>(state)](asio::cancellation_type) {
                auto s = weak.lock();
                if (!s) return;
                s->cancelled = true;
                std::lock_guard lock(s->mutex);
                if (auto signal = s->current)
                    asio::post(dns_io_, [signal] { signal->emit(asio::cancellation_type::terminal); });
            });
        }
        auto work = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(pool_, [this, state, request = std::move(request), handler = std::move(handler),
                           work = std::move(work)]() mutable {
            auto verdict = run(request, *state);
            count(verdict);
            asio::post(work, [handler = std::move(handler), verdict = std::move(verdict)]() mutable {
                asio::get_associated_cancellation_slot(handler).clear();
                std::move(handler)(std::move(verdict));
            });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(SpfVerdict)>(
        initiate, asio::use_awaitable, std::move(request));
}

}  // namespace mxgate::filters::spf
