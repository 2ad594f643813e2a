// The filters of `mxgate policy test --run-filters` (policy_filters.hpp). The
// order of stages and what each stage's TransactionView holds follow
// Session::view_for and Session::run_filters (proxy/session/); a change there
// belongs here too.
#include "proxy/policy_filters.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "filters/registry.hpp"
#include "policy/policy.hpp"
#include "policy/rules/walk_report.hpp"
#include "proxy/generation.hpp"
#include "proxy/smtp/message_splitter.hpp"

namespace mxgate {

namespace {

namespace asio = boost::asio;
using core::Stage;
using policy::rules::GivenFinding;
using policy::rules::Transaction;

constexpr std::string_view session_id = "policy-test";  // the filters' log lines name it

// The registry keys of the enabled filters: those run, and those left out because
// they record what a client did.
struct FilterChoice {
    std::vector<std::string_view> run, left_out;
};

FilterChoice choose_filters(const filters::FilterSettings& settings) {
    FilterChoice choice;
    const auto& rows = filters::registry();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (settings.by_filter[i].enabled())
            (rows[i].filter.uses_state(settings.by_filter[i]) ? choice.left_out : choice.run)
                .push_back(rows[i].filter.key);
    return choice;
}

// The findings an operator gives instead of a filter that is not run. rate_limit's
// are named after its counters, the others' after the filter (docs/filters.md).
std::string given_instead(std::string_view key) {
    if (key == "rate_limit") return "ratelimit.connections=... or ratelimit.messages=...";
    return std::string(key) + "=...";
}

// The file as a client sends it, less the final ".": CRLF line endings and a
// line's leading dot doubled, which MessageSplitter takes back off as the session's does.
std::string as_sent(std::string_view text) {
    std::string sent;
    sent.reserve(text.size() + text.size() / 16);
    bool line_start = true;
    for (const char c : text) {
        if (line_start && c == '.') sent += '.';
        line_start = c == '\n';
        if (c == '\n' && (sent.empty() || sent.back() != '\r')) sent += '\r';
        sent += c;
    }
    return sent;
}

class FeedSink final : public smtp::MessageSink {
public:
    explicit FeedSink(filters::MessageFeed& feed) : feed_(feed) {}
    void header_field(std::string_view field) override { feed_.header_field(field); }
    void end_of_header() override { feed_.end_of_header(); }
    void body(std::string_view chunk) override { feed_.body(chunk); }

private:
    filters::MessageFeed& feed_;
};

std::string finding_line(const core::Finding& finding, std::string_view mark) {
    std::string line = "  " + policy::rules::finding_text(finding);
    if (!finding.reason.empty()) line += " (" + finding.reason + ")";
    if (!mark.empty()) line += " " + std::string(mark);
    return line + "\n";
}

class FilterRunner {
public:
    FilterRunner(const filters::Chain& chain, const Transaction& transaction)
        : chain_(chain), transaction_(transaction) {}

    asio::awaitable<FilterRun> run(const std::optional<std::string>& message) {
        for (const Stage stage : {Stage::connect, Stage::helo, Stage::mail_from}) co_await run_stage(stage);
        for (std::size_t i = 0; i < transaction_.recipients.size(); ++i) {
            co_await run_stage(Stage::rcpt, i);
            recipients_so_far_.push_back(transaction_.recipients[i].str());
        }
        if (!message) {
            co_await run_stage(Stage::end_of_data, std::nullopt, nullptr, " (no --message: no content filter ran)");
            co_return std::move(out_);
        }
        // Fed as the session feeds a held message (session_content.cpp), before its stage runs.
        filters::MessageFeed feed =
            chain_.begin_message(view_for(Stage::end_of_data, std::nullopt), co_await asio::this_coro::executor);
        FeedSink sink(feed);
        smtp::MessageSplitter splitter(sink, std::numeric_limits<std::size_t>::max());
        splitter.feed(as_sent(*message));
        splitter.finish();
        co_await run_stage(Stage::end_of_data, std::nullopt, &feed);
        co_return std::move(out_);
    }

private:
    filters::TransactionView view_for(Stage stage, std::optional<std::size_t> recipient) const {
        filters::TransactionView view;
        view.session_id = session_id;
        view.client_address = transaction_.client_ip;
        if (stage >= Stage::helo) view.helo = transaction_.helo;
        view.tls = stage >= Stage::helo && transaction_.tls;  // the EHLO is the one after STARTTLS
        view.trusted = transaction_.trusted;
        if (stage >= Stage::mail_from) view.sender = transaction_.sender;
        if (recipient) view.recipient = transaction_.recipients[*recipient];
        view.recipients = &recipients_so_far_;  // offline, every earlier recipient counts as accepted
        view.findings = &so_far_;
        return view;
    }

    bool given_at(Stage stage, std::string_view name) const {
        return std::any_of(transaction_.findings.begin(), transaction_.findings.end(),
                           [&](const GivenFinding& g) { return g.stage == stage && g.finding.name == name; });
    }

    // This stage's filters; a --finding of the same name and stage replaces what
    // they found, and what stays is what later stages' filters see.
    asio::awaitable<void> run_stage(Stage stage, std::optional<std::size_t> recipient = std::nullopt,
                                    filters::MessageFeed* feed = nullptr, std::string_view note = {}) {
        const std::vector<core::Finding> found = co_await chain_.run(stage, view_for(stage, recipient), feed);
        std::string lines;
        for (const auto& finding : found) {
            if (given_at(stage, finding.name)) {
                lines += finding_line(finding, "(replaced by --finding)");
                continue;
            }
            lines += finding_line(finding, "");
            out_.findings.push_back({finding, stage, policy::filter_of_finding(finding.name), recipient});
            so_far_.push_back(finding);
        }
        for (const auto& given : transaction_.findings) {
            if (given.stage != stage) continue;
            lines += finding_line(given.finding, "(from --finding)");
            so_far_.push_back(given.finding);
            // The walk shows a --finding to every recipient: it is added once.
            if (!recipient || *recipient == 0) out_.findings.push_back(given);
        }
        std::string heading = "filters at " + std::string(core::to_string(stage));
        if (recipient) heading += " <" + transaction_.recipients[*recipient].str() + ">";
        heading += note;
        out_.report += heading + (lines.empty() ? ": nothing found\n" : ":\n" + lines);
    }

    const filters::Chain& chain_;
    const Transaction& transaction_;
    std::vector<core::Finding> so_far_;  // as Session::findings_: every finding kept so far
    std::vector<std::string> recipients_so_far_;
    FilterRun out_;
};

}  // namespace

FilterRun run_filters(const config::Config& config, const Transaction& transaction,
                      const std::optional<std::string>& message) {
    const FilterChoice choice = choose_filters(config.filters);
    filters::Services services;  // no state store: nothing that needs one is built
    if (config.filters.need_resolver()) services.resolver = make_resolver(config);
    const filters::Chain chain = filters::build_chain(config.filters, services, choice.left_out);

    std::string header = "filters run:";
    for (const auto key : choice.run) header += " " + std::string(key);
    if (choice.run.empty()) header += " none (none is enabled in the config)";
    header += "\n";
    for (const auto key : choice.left_out)
        header += "  " + std::string(key) + ": not run (it records state); give --finding " + given_instead(key) + "\n";

    asio::io_context io;
    FilterRunner runner(chain, transaction);
    std::optional<FilterRun> run;
    std::exception_ptr failure;
    asio::co_spawn(io, runner.run(message), [&](std::exception_ptr error, FilterRun done) {
        failure = error;
        run = std::move(done);
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    run->report.insert(0, header);
    return std::move(*run);
}

}  // namespace mxgate
