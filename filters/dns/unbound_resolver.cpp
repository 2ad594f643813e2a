#include "filters/dns/unbound_resolver.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unbound.h>
#include <unistd.h>

#include "filters/dns/rdata.hpp"
#include "proxy/core/log.hpp"

namespace mxgate::filters::dns {
namespace asio = boost::asio;

namespace {

constexpr int class_in = 1;
constexpr int rcode_nxdomain = 3;

struct ResultFree {
    void operator()(ub_result* result) const { ub_resolve_free(result); }
};

Answer to_answer(std::string_view name, RecordType type, int err, ub_result* raw, DnsCounters& counters) {
    std::unique_ptr<ub_result, ResultFree> result(raw);
    Answer answer;
    auto line = [&](std::string_view event) {
        return log::Line(event).add("qname", name).add("type", to_string(type));
    };
    if (err != 0 || !result) {
        ++counters.libunbound_errors;
        log::warn(line("dns_error").add("error", ub_strerror(err)));
        return answer;  // servfail
    }
    if (result->bogus) {
        log::warn(line("dns_bogus").add("reason", result->why_bogus ? result->why_bogus : "?"));
        return answer;
    }
    answer.ttl = result->ttl > 0 ? static_cast<std::uint32_t>(result->ttl) : 0;
    answer.secure = result->secure != 0;
    if (result->havedata) {
        for (int i = 0; result->data[i] != nullptr; ++i) {
            const std::span<const std::uint8_t> rdata(reinterpret_cast<const std::uint8_t*>(result->data[i]),
                                                      static_cast<std::size_t>(result->len[i]));
            if (auto text = parse_rdata(type, rdata)) {
                answer.records.push_back(std::move(*text));
            } else {
                ++counters.malformed_rdata;
                log::info(line("dns_malformed_rdata").add("action", "skipped"));
            }
        }
        answer.status = answer.records.empty() ? Status::servfail : Status::ok;
    } else if (result->nxdomain || result->rcode == rcode_nxdomain) {
        answer.status = Status::nxdomain;
    } else if (result->rcode == 0) {
        answer.status = Status::nodata;
    } else {
        log::debug(line("dns_rcode").add("rcode", result->rcode));
    }
    return answer;
}

// Keeps the caller's executor busy while the query is out, and posts the answer
// back to it: the coroutine resumes on its own thread, never on the resolver's.
template <typename Handler>
class CompletionFor final : public UnboundResolver::Completion {
public:
    explicit CompletionFor(Handler&& handler)
        : work_(asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked)),
          handler_(std::move(handler)) {}

    void complete(Answer answer) override {
        auto work = std::move(work_);
        asio::post(work, [handler = std::move(handler_), answer = std::move(answer)]() mutable {
            // On the caller's thread, where cancellation is emitted: no race.
            asio::get_associated_cancellation_slot(handler).clear();
            std::move(handler)(std::move(answer));
        });
    }

private:
    using Work = std::decay_t<decltype(asio::prefer(std::declval<asio::associated_executor_t<Handler>>(),
                                                    asio::execution::outstanding_work.tracked))>;
    Work work_;
    Handler handler_;
};

}  // namespace

struct UnboundResolver::Pending {
    Pending(UnboundResolver& owner, std::uint64_t id, std::unique_ptr<Completion> done)
        : self(&owner), serial(id), completion(std::move(done)), deadline(owner.io_) {}
    UnboundResolver* self;
    std::uint64_t serial;
    std::unique_ptr<Completion> completion;  // null once answered
    asio::steady_timer deadline;
    std::string name;
    RecordType type = RecordType::a;
    int async_id = 0;
};

UnboundResolver::Created UnboundResolver::create(const DnsConfig& config) {
    Created created;
    auto& errors = created.errors;
    ub_ctx* ctx = ub_ctx_create();
    if (ctx == nullptr) {
        errors.push_back("dns: cannot create the libunbound context");
        return created;
    }
    auto set = [&](const char* option, const std::string& value) {
        if (int rc = ub_ctx_set_option(ctx, option, value.c_str()); rc != 0)
            errors.push_back(fmt::format("dns: unbound option {} {}: {}", option, value, ub_strerror(rc)));
    };
    // Upstreams on loopback (a local unbound, a test server) are normal for us.
    set("do-not-query-localhost:", "no");
    // Answers in the order the servers gave them: SPF's 10-name limits on MX and
    // PTR answers then give the same result every time (RFC 7208 §4.6.4).
    set("rrset-roundrobin:", "no");
    set("msg-cache-size:", std::to_string(config.cache_size));
    set("rrset-cache-size:", std::to_string(config.cache_size));
    set("cache-max-ttl:", std::to_string(config.max_cache_ttl.count()));
    set("cache-max-negative-ttl:", std::to_string(config.max_negative_cache_ttl.count()));
    if (config.dnssec) {
        // libunbound reads the file only at the first query: check it now, at startup.
        if (::access(config.dnssec_trust_anchor_file.c_str(), R_OK) != 0)
            errors.push_back(fmt::format("dns.dnssec_trust_anchor_file: {}: {}", config.dnssec_trust_anchor_file,
                                         std::strerror(errno)));
        else if (int rc = ub_ctx_add_ta_file(ctx, config.dnssec_trust_anchor_file.c_str()); rc != 0)
            errors.push_back(fmt::format("dns.dnssec_trust_anchor_file: {}: {}", config.dnssec_trust_anchor_file,
                                         ub_strerror(rc)));
    } else {
        set("module-config:", "iterator");  // no validator: nothing to fetch or check
    }
    for (const auto& zone : config.transparent_local_zones) set("local-zone:", zone + " transparent");
    if (config.servers.empty()) {
        if (int rc = ub_ctx_resolvconf(ctx, config.resolv_conf.c_str()); rc != 0)
            errors.push_back(fmt::format("dns.resolv_conf: {}: {}", config.resolv_conf, ub_strerror(rc)));
    }
    for (const auto& server : config.servers) {
        if (int rc = ub_ctx_set_fwd(ctx, server.c_str()); rc != 0)
            errors.push_back(fmt::format("dns.servers: '{}': {}", server, ub_strerror(rc)));
    }
    for (const auto& stub : config.stub_zones) {
        if (stub.servers.empty()) errors.push_back(fmt::format("dns.stub_zones: '{}': no servers", stub.zone));
        for (const auto& server : stub.servers) {
            if (int rc = ub_ctx_set_stub(ctx, stub.zone.c_str(), server.c_str(), 0); rc != 0)
                errors.push_back(fmt::format("dns.stub_zones: '{}' '{}': {}", stub.zone, server, ub_strerror(rc)));
        }
    }
    if (config.timeout.count() <= 0) errors.push_back("dns.timeout: must be positive");
    // A thread, not a forked process, does libunbound's background work.
    if (int rc = ub_ctx_async(ctx, 1); rc != 0) errors.push_back(fmt::format("dns: {}", ub_strerror(rc)));
    if (ub_fd(ctx) < 0) errors.push_back("dns: libunbound has no file descriptor");
    if (!errors.empty()) {
        ub_ctx_delete(ctx);
        return created;
    }
    created.resolver.reset(new UnboundResolver(ctx, config));
    return created;
}

UnboundResolver::UnboundResolver(ub_ctx* ctx, const DnsConfig& config)
    : ctx_(ctx), timeout_(config.timeout),
      cache_(config.cache_size, config.max_cache_ttl, config.max_negative_cache_ttl), fd_(io_, ub_fd(ctx)) {
    watch_fd();  // the pending wait keeps io_.run() going until shutdown
    thread_ = std::thread([this] { io_.run(); });
}

UnboundResolver::~UnboundResolver() {
    asio::post(io_, [this] {
        auto pending = std::move(pending_);
        for (auto& [serial, query] : pending) {
            if (query->completion) query->completion->complete(Answer{});
        }
        pending.clear();
        fd_.cancel();
        fd_.release();  // the descriptor belongs to libunbound
    });
    thread_.join();
    ub_ctx_delete(ctx_);
}

asio::awaitable<Answer> UnboundResolver::query(std::string name, RecordType type) {
    if (auto cached = cache_.find(name, type, AnswerCache::Clock::now())) {  // no thread hop
        ++counters_.cache_hits;
        co_return std::move(*cached);
    }
    auto initiate = [this](auto handler, std::string name, RecordType type) {
        const auto serial = next_serial();
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) slot.assign([this, serial](asio::cancellation_type) { cancel(serial); });
        using Handler = decltype(handler);
        submit(serial, std::move(name), type, std::make_unique<CompletionFor<Handler>>(std::move(handler)));
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Answer)>(
        initiate, asio::use_awaitable, std::move(name), type);
}

void UnboundResolver::submit(std::uint64_t serial, std::string name, RecordType type,
                             std::unique_ptr<Completion> completion) {
    asio::post(io_, [this, serial, name = std::move(name), type, completion = std::move(completion)]() mutable {
        start(serial, std::move(name), type, std::move(completion));
    });
}

void UnboundResolver::cancel(std::uint64_t serial) {
    asio::post(io_, [this, serial] {
        if (auto it = pending_.find(serial); it != pending_.end() && it->second->completion) ++counters_.cancelled;
        finish(serial, Answer{Status::timeout}, true);
    });
}

void UnboundResolver::start(std::uint64_t serial, std::string name, RecordType type,
                            std::unique_ptr<Completion> completion) {
    ++counters_.queries;
    auto owned = std::make_unique<Pending>(*this, serial, std::move(completion));
    Pending* query = owned.get();
    query->name = std::move(name);
    query->type = type;
    pending_.emplace(serial, std::move(owned));
    int async_id = 0;
    const int rc = ub_resolve_async(ctx_, query->name.c_str(), static_cast<int>(type), class_in, query, &on_result, &async_id);
    if (rc != 0) {
        ++counters_.libunbound_errors;
        log::warn(log::Line("dns_error").add("qname", query->name).add("type", to_string(type))
                      .add("error", ub_strerror(rc)));
        finish(serial, Answer{}, false);
        return;
    }
    auto it = pending_.find(serial);
    if (it == pending_.end()) return;  // answered synchronously
    query->async_id = async_id;
    query->deadline.expires_after(timeout_);
    query->deadline.async_wait([this, serial](boost::system::error_code ec) {
        if (!ec) finish(serial, Answer{Status::timeout}, true);
    });
}

void UnboundResolver::on_result(void* cookie, int err, ub_result* result) {
    auto* query = static_cast<Pending*>(cookie);
    Answer answer = to_answer(query->name, query->type, err, result, query->self->counters_);
    query->self->finish(query->serial, std::move(answer), false);
}

void UnboundResolver::finish(std::uint64_t serial, Answer answer, bool cancel_in_unbound) {
    auto it = pending_.find(serial);
    if (it == pending_.end()) return;
    auto& query = *it->second;
    if (!query.completion) {  // a late result for a query already answered
        pending_.erase(it);
        return;
    }
    auto completion = std::move(query.completion);
    query.deadline.cancel();
    cache_.store(query.name, query.type, answer, AnswerCache::Clock::now());  // before the entry may go
    // ub_cancel succeeds unless the result was already delivered; if it fails, the
    // entry stays (answered) so a late callback still finds its cookie.
    if (!cancel_in_unbound || query.async_id == 0 || ub_cancel(ctx_, query.async_id) == 0) pending_.erase(it);
    switch (answer.status) {
    case Status::ok: ++counters_.ok; break;
    case Status::nxdomain: ++counters_.nxdomain; break;
    case Status::nodata: ++counters_.nodata; break;
    case Status::servfail: ++counters_.servfail; break;
    case Status::timeout: ++counters_.timeout; break;
    }
    completion->complete(std::move(answer));
}

void UnboundResolver::watch_fd() {
    fd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
        if (ec) return;  // shutdown
        // ub_process reads every queued result; loop while more arrived meanwhile.
        do {
            if (int rc = ub_process(ctx_); rc != 0) {
                log::error(log::Line("dns_process_failed").add("error", ub_strerror(rc)));
                break;
            }
        } while (ub_poll(ctx_) != 0);
        watch_fd();
    });
}

void UnboundResolver::report(MetricSink& sink) const {
    sink.counter("mxgate_dns_queries_total", "Queries asked of libunbound (cache misses)", counters_.queries.load());
    sink.counter("mxgate_dns_cache_hits_total", "Queries answered by the front cache", counters_.cache_hits.load());
    report_labeled(sink, "mxgate_dns_answers_total", "libunbound answers by status", "status",
                   {{"ok", counters_.ok}, {"nxdomain", counters_.nxdomain}, {"nodata", counters_.nodata},
                    {"servfail", counters_.servfail}, {"timeout", counters_.timeout}});
    sink.counter("mxgate_dns_cancelled_total", "Queries cancelled by their caller (in timeout too)",
                 counters_.cancelled.load());
    sink.counter("mxgate_dns_libunbound_errors_total", "libunbound errors (in servfail too)",
                 counters_.libunbound_errors.load());
    sink.counter("mxgate_dns_malformed_rdata_total", "Records dropped as malformed", counters_.malformed_rdata.load());
}

}  // namespace mxgate::filters::dns
