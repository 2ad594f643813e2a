// DnsblFilter: DNS block and allow lists (RFC 5782) and forward-confirmed reverse
// DNS of the client. Runs at
//   connect    IP lists (IPv4 octets, IPv6 nibbles), FCrDNS, then rDNS lists with
//              the confirmed name;
//   helo       HELO-name lists;         mail_from  sender-domain lists;
//   rcpt       the decision: adds up the earlier findings' scores (no DNS).
// All lists of a stage are asked concurrently, each within its own timeout, so a
// dead list costs at most its own timeout and delays no other list. Findings, one
// per list queried (docs/filters.md):
//   "dnsbl.<name>"  fail = listed, pass = not listed, temperror = no usable answer
//   "dnswl.<name>"  pass = listed, none = not listed, temperror = no usable answer
//   attrs zone, query, codes (matched answers), listed (yes|no), weight, score
//   (= weight when listed, else 0); reason holds the list's TXT text when listed.
//   "fcrdns"        see fcrdns.hpp; none for an unknown client (XCLIENT ADDR=[UNAVAILABLE]),
//                   which is looked up in no IP or rDNS list either.
//   "dnsbl"         at rcpt, only when the score reaches reject_score: outcome fail,
//                   attrs score, reject_score, lists (the listed ones), and for the
//                   reply of rule "dnsbl.reject_score" (dnsbl_registration.hpp) the
//                   first block list's: blocked (what it listed: "client [192.0.2.1]"),
//                   zone, list_text ("; <its TXT>" made printable and short, or "").
// Per-list and fcrdns findings never decide alone: an unanswered list is no hit
// (its temperror proceeds by the default rules, and so does a cut-off stage).
// Never answers the client; DNS trouble is a temperror finding plus a log line and
// a counter, never an exception or a stall.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "filters/dns/deadline_query.hpp"
#include "filters/dns/resolver.hpp"
#include "filters/dnsbl/dnsbl_config.hpp"
#include "filters/dnsbl/dnsbl_query.hpp"
#include "filters/dnsbl/fcrdns.hpp"
#include "filters/filter.hpp"

namespace mxgate::filters::dnsbl {

struct DnsblCounters {  // mxgate_dnsbl_<name>_total
    std::atomic<std::uint64_t> queries{0},  // list checks started
        listed{0}, not_listed{0},
        unanswered{0},  // timeout or servfail (temperror)
        broken{0},      // only answers outside 127.0.0.0/8 (temperror)
        refused{0},     // 127.255.255.x error codes (temperror)
        skipped{0},     // nothing to ask: no usable HELO/sender domain/confirmed name, IPv6 on an IPv4 list
        fcrdns_pass{0}, fcrdns_fail{0}, fcrdns_none{0}, fcrdns_temperror{0},
        rejected{0};    // RCPTs refused by the score
};

class DnsblFilter final : public Filter {
public:
    // The resolver is shared by the process and outlives every generation.
    // Lists whose codes do not parse are dropped with an error log: call validate() first.
    DnsblFilter(std::shared_ptr<const DnsblConfig> config, dns::Resolver& resolver);

    std::string_view name() const noexcept override { return "dnsbl"; }
    bool runs_at(core::Stage stage) const noexcept override;
    boost::asio::awaitable<std::vector<core::Finding>> inspect(core::Stage stage, const TransactionView& view) override;
    void report(MetricSink& sink) const override;

    // One list for one query name ("2.0.0.127.zen.example"), within the list's timeout;
    // session only names the session in log lines.
    boost::asio::awaitable<core::Finding> check_list(std::size_t list_index, std::string query, std::string session = {});
    const DnsblCounters& counters() const noexcept { return counters_; }

private:
    struct ListCounters {  // one list's share of DnsblCounters: mxgate_dnsbl_*_total{list="dnsbl.<name>"}
        std::atomic<std::uint64_t> queries{0}, listed{0}, not_listed{0}, unanswered{0}, broken{0}, refused{0};
    };
    struct Compiled {
        const DnsList* list;
        Matcher matcher;
        std::string finding_name;  // "dnsbl.<name>" or "dnswl.<name>", built once
        std::unique_ptr<ListCounters> counters = std::make_unique<ListCounters>();
    };
    using Queries = std::vector<std::pair<std::size_t, std::string>>;  // list index, query name

    // check_list()'s questions, run within its deadline.
    boost::asio::awaitable<core::Finding> judge_list(std::size_t list_index, std::string query, std::string session,
                                                     dns::QueryDeadline deadline);

    Queries queries_for(ListType type, const TransactionView& view, const std::string& rdns_name);
    boost::asio::awaitable<std::vector<core::Finding>> check_all(Queries queries, std::string session);
    boost::asio::awaitable<std::vector<core::Finding>> check_rdns(std::optional<boost::asio::ip::address> client,
                                                            bool lists_too, std::string session);
    core::Finding unanswered(const Compiled& compiled, const std::string& query, std::string reason,
                       std::string_view session);
    std::vector<core::Finding> decide(const TransactionView& view);

    std::shared_ptr<const DnsblConfig> config_;
    dns::Resolver& resolver_;
    std::vector<Compiled> lists_;
    DnsblCounters counters_;
};

}  // namespace mxgate::filters::dnsbl
