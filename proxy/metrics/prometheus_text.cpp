#include "proxy/metrics/prometheus_text.hpp"

#include <algorithm>

namespace mxgate::metrics {

namespace {

std::string escaped(std::string_view text, bool quotes) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quotes) out += "\\\"";
        else out += c;
    }
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escaped(value, true); }
std::string escape_help(std::string_view help) { return escaped(help, false); }

void PrometheusText::counter(std::string_view family, std::string_view help, const filters::MetricLabels& labels,
                             std::uint64_t value) {
    auto it = std::find_if(families_.begin(), families_.end(), [&](const Family& f) { return f.name == family; });
    if (it == families_.end()) it = families_.insert(families_.end(), Family{std::string(family), std::string(help), {}});
    std::string& line = it->samples;
    line += family;
    if (!labels.empty()) {
        line += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i != 0) line += ',';
            line += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
        }
        line += '}';
    }
    line += ' ' + std::to_string(value) + '\n';
}

std::string PrometheusText::str() const {
    std::string out;
    for (const auto& family : families_) {
        out += "# HELP " + family.name + ' ' + escape_help(family.help) + '\n';
        out += "# TYPE " + family.name + " counter\n";
        out += family.samples;
    }
    return out;
}

}  // namespace mxgate::metrics
