#include "filters/dmarc/dmarc_report.hpp"

namespace mxgate::filters::dmarc {

std::optional<AggregateReportRow> aggregate_report_row(const std::vector<core::Finding>& findings,
                                                       const std::optional<boost::asio::ip::address>& client) {
    const core::Finding* dmarc = nullptr;
    for (const core::Finding& f : findings)
        if (f.name == "dmarc") dmarc = &f;
    if (dmarc == nullptr || dmarc->attr("header_from").empty()) return std::nullopt;
    AggregateReportRow row;
    if (client) row.source_ip = client->to_string();
    row.header_from = dmarc->attr("header_from");
    row.result = dmarc->outcome;
    row.disposition = dmarc->attr("disposition");
    row.dkim_aligned = dmarc->attr("dkim_aligned") == "yes";
    row.spf_aligned = dmarc->attr("spf_aligned") == "yes";
    row.sampled_out = dmarc->attr("sampled_out") == "yes";
    row.policy = dmarc->attr("policy");
    row.policy_domain = dmarc->attr("policy_domain");
    for (const core::Finding& f : findings) {
        if (f.name == "spf") {
            row.envelope_from = f.attr("domain");
            row.spf_result = core::to_string(f.outcome);
        } else if (f.name == "dkim") {
            row.dkim.emplace_back(f.attr("domain"), core::to_string(f.outcome));
        }
    }
    return row;
}

}  // namespace mxgate::filters::dmarc
