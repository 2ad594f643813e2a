#include "filters/dkim/dkim_filter.hpp"

#include <cstdint>

#include "filters/dkim/dkim_inspector.hpp"
#include "filters/dkim/opendkim.hpp"
#include "proxy/core/log.hpp"

namespace mxgate::filters::dkim {

namespace asio = boost::asio;

namespace {

// Every signature is marked ignored before dkim_eom(), so the library never asks
// for a key; were it to, this keeps it off its own resolver (DKIM_CBSTAT_DEFAULT
// would make it ask DNS itself, blocking the thread).
DKIM_CBSTAT refuse_key_lookup(DKIM*, DKIM_SIGINFO*, unsigned char*, std::size_t) { return DKIM_CBSTAT_NOTFOUND; }

// One library handle per filter: its settings are this filter's, and its
// OpenSSL setup is reference-counted by libopendkim, so filters of two config
// generations can live side by side.
DKIM_LIB* make_library() {
    DKIM_LIB* library = dkim_init(nullptr, nullptr);
    if (library == nullptr) return nullptr;
    // DELAYSIGPROC: no signature is processed in dkim_eoh(), before the inspector
    // marks them all ignored. BADSIGHANDLES: a malformed signature is reported, not dropped.
    std::uint32_t flags = DKIM_LIBFLAGS_DELAYSIGPROC | DKIM_LIBFLAGS_BADSIGHANDLES;
    const bool ok = dkim_options(library, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) == DKIM_STAT_OK &&
                    dkim_set_key_lookup(library, &refuse_key_lookup) == DKIM_STAT_OK;
    if (!ok) {
        dkim_close(library);
        return nullptr;
    }
    return library;
}

}  // namespace

DkimFilter::DkimFilter(std::shared_ptr<const DkimConfig> config, dns::Resolver& resolver)
    : config_(std::move(config)),
      resolver_(resolver),
      library_(make_library()),
      key_cache_(static_cast<std::size_t>(config_->key_cache_entries)) {
    if (library_ == nullptr) log::error(log::Line("dkim_library_failed"));
}

DkimFilter::~DkimFilter() {
    if (library_ != nullptr) dkim_close(library_);
}

asio::awaitable<std::vector<core::Finding>> DkimFilter::inspect(core::Stage, const TransactionView&) {
    co_return std::vector<core::Finding>{};
}

std::unique_ptr<MessageInspector> DkimFilter::inspect_message(const TransactionView& view,
                                                             const asio::any_io_executor& executor) {
    return std::make_unique<DkimInspector>(library_, *config_, counters_, key_cache_, resolver_, executor,
                                           std::string(view.session_id));
}

void DkimFilter::report(MetricSink& sink) const {
    sink.counter("mxgate_dkim_messages_total", "Messages DKIM read", counters_.messages.load());
    sink.counter("mxgate_dkim_signatures_total", "Signatures verified", counters_.signatures.load());
    sink.counter("mxgate_dkim_key_lookups_total", "DKIM key lookups", counters_.key_lookups.load());
    sink.counter("mxgate_dkim_not_evaluated_total", "Signatures past max_signatures", counters_.not_evaluated.load());
    report_labeled(sink, "mxgate_dkim_total", "DKIM results", "result",
                   {{"pass", counters_.pass}, {"fail", counters_.fail}, {"neutral", counters_.neutral},
                    {"policy", counters_.policy}, {"temperror", counters_.temperror},
                    {"permerror", counters_.permerror}, {"none", counters_.none}});
}

}  // namespace mxgate::filters::dkim
