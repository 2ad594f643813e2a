#include "proxy/quarantine/quarantine_item.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <random>

#include <boost/json.hpp>

#include "proxy/core/text.hpp"

namespace mxgate::quarantine {

namespace json = boost::json;

namespace {

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
    return core::ascii_lower(haystack).find(core::ascii_lower(needle)) != std::string::npos;
}

const json::string* text_at(const json::object& object, std::string_view key) {
    const json::value* value = object.if_contains(key);
    return value ? value->if_string() : nullptr;
}

std::optional<std::int64_t> number_at(const json::object& object, std::string_view key) {
    const json::value* value = object.if_contains(key);
    if (!value) return std::nullopt;
    if (const auto* i = value->if_int64()) return *i;
    if (const auto* u = value->if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<unsigned> digits(std::string_view text, std::size_t at, std::size_t count) {
    if (at + count > text.size()) return std::nullopt;
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + count, value);
    if (error != std::errc() || end != text.data() + at + count) return std::nullopt;
    return value;
}

}  // namespace

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 80 || id.front() == '.') return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string new_id() {
    static std::atomic<unsigned long> counter{0};
    thread_local std::mt19937_64 random{std::random_device{}()};
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    char tail[17];
    std::snprintf(tail, sizeof tail, "%08llx", static_cast<unsigned long long>(random() & 0xffffffffULL));
    return std::to_string(now.tv_sec) + "." + std::to_string(now.tv_usec) + "." + std::to_string(::getpid()) + "." +
           std::to_string(++counter) + "." + tail;
}

std::string serialize_item(const Item& item) {
    json::array recipients;
    for (const auto& r : item.recipients)
        recipients.push_back(json::object{{"address", r.address}, {"backend", r.backend}, {"delivered", r.delivered}});
    json::array params;
    for (const auto& p : item.mail_params) params.emplace_back(p);
    const json::object object{
        {"id", item.id},         {"received", item.received}, {"received_at", format_time(item.received)},
        {"session", item.session}, {"client", item.client},   {"helo", item.helo},
        {"sender", item.sender}, {"mail_params", params},     {"recipients", recipients},
        {"rule", item.rule},     {"reason", item.reason},     {"size", item.size},
    };
    return json::serialize(object) + "\n";
}

std::optional<Item> parse_item(std::string_view text) {
    json::parse_options options;
    options.allow_invalid_utf8 = true;  // a client's 8-bit HELO is kept as sent
    options.max_depth = 8;
    boost::system::error_code ec;
    const json::value value = json::parse(text, ec, {}, options);
    const json::object* object = ec ? nullptr : value.if_object();
    if (!object) return std::nullopt;
    Item item;
    const auto* id = text_at(*object, "id");
    const auto received = number_at(*object, "received");
    const auto size = number_at(*object, "size");
    const json::value* recipients = object->if_contains("recipients");
    const json::value* params = object->if_contains("mail_params");
    if (!id || !valid_id(*id) || !received || !size || *size < 0 || !recipients || !recipients->is_array() ||
        !params || !params->is_array())
        return std::nullopt;
    item.id = *id;
    item.received = *received;
    item.size = static_cast<std::uint64_t>(*size);
    for (auto [key, field] : {std::pair{"session", &item.session}, {"client", &item.client}, {"helo", &item.helo},
                              {"sender", &item.sender}, {"rule", &item.rule}, {"reason", &item.reason}}) {
        const auto* found = text_at(*object, key);
        if (!found) return std::nullopt;
        *field = std::string(*found);
    }
    for (const auto& param : params->get_array()) {
        if (!param.is_string()) return std::nullopt;
        item.mail_params.emplace_back(param.get_string());
    }
    for (const auto& entry : recipients->get_array()) {
        const json::object* recipient = entry.if_object();
        const auto* address = recipient ? text_at(*recipient, "address") : nullptr;
        const auto* backend = recipient ? text_at(*recipient, "backend") : nullptr;
        const json::value* delivered = recipient ? recipient->if_contains("delivered") : nullptr;
        if (!address || !backend || !delivered || !delivered->is_bool()) return std::nullopt;
        item.recipients.push_back({std::string(*address), std::string(*backend), delivered->get_bool()});
    }
    return item;
}

core::Address address_of(std::string_view text) {
    core::Address address;
    const auto at = text.rfind('@');
    address.local = std::string(text.substr(0, at));
    if (at != std::string_view::npos) address.domain = std::string(text.substr(at + 1));
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x80) address.utf8 = true;
    return address;
}

bool matches(const Item& item, const ItemFilter& filter) {
    if (filter.since != 0 && item.received < filter.since) return false;
    if (filter.until != 0 && item.received >= filter.until) return false;
    if (!filter.sender.empty() && !contains_ignoring_case(item.sender, filter.sender)) return false;
    if (!filter.reason.empty() && !contains_ignoring_case(item.rule + " " + item.reason, filter.reason)) return false;
    if (filter.recipient.empty()) return true;
    for (const auto& r : item.recipients)
        if (contains_ignoring_case(r.address, filter.recipient)) return true;
    return false;
}

std::optional<std::int64_t> parse_time(std::string_view text) {
    if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
    const bool date = text.size() > 4 && text[4] == '-';
    if (!date) {
        std::int64_t seconds = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() || seconds < 0)
            return std::nullopt;
        return seconds;
    }
    if (text.size() != 10 && text.size() != 19) return std::nullopt;
    const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
    if (!year || !month || !day || text[4] != '-' || text[7] != '-' || *month < 1 || *month > 12 || *day < 1 ||
        *day > 31)
        return std::nullopt;
    std::int64_t seconds = days_from_civil(*year, *month, *day) * 86400;
    if (text.size() == 10) return seconds;
    const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
    if ((text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' || !hour || !minute || !second ||
        *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    return seconds + *hour * 3600 + *minute * 60 + *second;
}

std::string format_time(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace mxgate::quarantine
