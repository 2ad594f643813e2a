#include "filters/dmarc/dmarc_report.hpp"

namespace mxgate::filters::dmarc {

namespace {

std::string json_string(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (const char c : text) {
        const auto octet = static_cast<unsigned char>(c);
        if (octet == '"' || octet == '\\') {
            out += '\\';
            out += c;
        } else if (octet < 0x20 || octet > 0x7e) {
            out += "\\u00";
            out += hex[octet >> 4];
            out += hex[octet & 0x0f];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

void add(std::string& out, std::string_view key, std::string_view json_value) {
    out += out.size() > 1 ? "," : "";
    out += json_string(key);
    out += ':';
    out += json_value;
}

}  // namespace

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
        } else if (f.name == "dkim" && !f.attr("domain").empty()) {  // not "dkim=none" of an unsigned message
            row.dkim.emplace_back(f.attr("domain"), core::to_string(f.outcome));
        }
    }
    return row;
}

std::optional<AggregateReportRow> concluded_row(AggregateReportRow row, MessageFate fate) {
    std::string applied;
    switch (fate) {
        case MessageFate::delivered: applied = "none"; break;
        case MessageFate::quarantined: applied = "quarantine"; break;
        case MessageFate::refused: applied = "reject"; break;
        case MessageFate::deferred: return std::nullopt;
    }
    if (applied != row.disposition) row.override_reason = "local_policy";
    row.disposition = std::move(applied);
    return row;
}

std::string report_row_json(const AggregateReportRow& row) {
    std::string out = "{";
    add(out, "source_ip", json_string(row.source_ip));
    add(out, "header_from", json_string(row.header_from));
    add(out, "envelope_from", json_string(row.envelope_from));
    add(out, "result", json_string(core::to_string(row.result)));
    add(out, "disposition", json_string(row.disposition));
    add(out, "override", json_string(row.override_reason));
    add(out, "dkim_aligned", row.dkim_aligned ? "true" : "false");
    add(out, "spf_aligned", row.spf_aligned ? "true" : "false");
    add(out, "sampled_out", row.sampled_out ? "true" : "false");
    add(out, "policy", json_string(row.policy));
    add(out, "policy_domain", json_string(row.policy_domain));
    add(out, "spf_result", json_string(row.spf_result));
    std::string dkim = "[";
    for (const auto& [domain, result] : row.dkim) {
        if (dkim.size() > 1) dkim += ',';
        dkim += "{\"domain\":" + json_string(domain) + ",\"result\":" + json_string(result) + "}";
    }
    add(out, "dkim", dkim + "]");
    return out + "}";
}

}  // namespace mxgate::filters::dmarc
