#include "proxy/core/log.hpp"

#include <atomic>

#include "proxy/core/text.hpp"

namespace mxgate::log {

namespace {

std::atomic<bool> json{false};

bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '=' || c == '\\') return true;
    return false;
}

std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

void set_json_format(bool on) { json.store(on, std::memory_order_relaxed); }
bool json_format() { return json.load(std::memory_order_relaxed); }

Line& Line::add(std::string_view key, std::string_view value) {
    fields_.emplace_back(std::string(key), core::printable(value, 1000));
    return *this;
}

std::string Line::str() const {
    std::string out;
    if (json_format()) {
        out = "{";
        for (const auto& [key, value] : fields_) {
            if (out.size() > 1) out += ',';
            out += quoted(key) + ':' + quoted(value);
        }
        return out + "}";
    }
    for (const auto& [key, value] : fields_) {
        if (!out.empty()) out += ' ';
        out += key;
        out += '=';
        out += needs_quotes(value) ? quoted(value) : value;
    }
    return out;
}

}  // namespace mxgate::log
