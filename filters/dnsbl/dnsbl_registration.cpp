// filters.dnsbl: the field rules the descriptions in dnsbl_config.hpp cannot infer
// (zones in lower case, answer codes, bitmasks, signed weights), validate() as the
// section's check, and the registration.
#include "filters/dnsbl/dnsbl_registration.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "filters/dnsbl/dnsbl_filter.hpp"
#include "filters/register_filter.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::filters::dnsbl {

namespace {

struct ZoneCodec {  // compared case-insensitively: kept in lower case
    void decode(settings::MapReader& m, std::string_view key, std::string& value) const {
        value = core::ascii_lower(m.string(key, value));
    }
    void dump(settings::Writer& w, const char* key, const std::string& value) const { w.text(key, value); }
};

struct CodesCodec {  // "127.0.0.2"; validate() checks that each is an address in 127.0.0.0/8
    void decode(settings::MapReader& m, std::string_view key, std::vector<std::string>& value) const {
        settings::Reporter& reporter = m.reporter();
        settings::for_each_item(m, key, "addresses like \"127.0.0.2\"", reporter,
                                [&](const YAML::Node& code, const YAML::Mark& mark, const std::string& path) {
                                    if (code.IsScalar()) value.push_back(code.Scalar());
                                    else reporter.error(mark, path + ": expected an address like \"127.0.0.2\", got " +
                                                                  settings::describe(code));
                                });
    }
    void dump(settings::Writer& w, const char* key, const std::vector<std::string>& value) const {
        w.texts(key, value);
    }
};

struct BitmaskCodec {  // a decimal or 0x-hex 32-bit mask: "0x04" or "4"
    void decode(settings::MapReader& m, std::string_view key, std::uint32_t& value) const {
        if (!m.has(key)) return;
        const std::string text = m.string(key, "");
        const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        const char* begin = text.data() + (hex ? 2 : 0);
        std::uint32_t parsed = 0;
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), parsed, hex ? 16 : 10);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
            m.expected(key, "a 32-bit mask like 0x04 or 4");
            return;
        }
        value = parsed;
    }
    void dump(settings::Writer& w, const char* key, std::uint32_t value) const {
        char mask[16];
        std::snprintf(mask, sizeof mask, "0x%08x", static_cast<unsigned>(value));
        w.plain(key, mask);
    }
};

}  // namespace

auto settings_fields(const DnsList*) {
    using settings::field;
    return std::tuple{
        field<&DnsList::name>(settings::required(settings::TextCodec{})),
        field<&DnsList::zone>(settings::required(ZoneCodec{})),
        field<&DnsList::codes>(CodesCodec{}),
        field<&DnsList::bitmask>(BitmaskCodec{}),
        field<&DnsList::weight>(settings::signed_number(-1000, 1000)),
        field<&DnsList::timeout>(settings::duration(10ms, 5min)),
    };
}

auto settings_fields(const FcrdnsConfig*) {
    using settings::field;
    return std::tuple{
        field<&FcrdnsConfig::timeout>(settings::duration(10ms, 5min)),
        field<&FcrdnsConfig::max_names>(settings::number(1, 100)),
    };
}

auto settings_fields(const DnsblConfig*) {
    using settings::field;
    return std::tuple{
        field<&DnsblConfig::reject_score>(settings::signed_number(0, 100000)),
        field<&DnsblConfig::lists>(settings::list_of<DnsList>("DNS lists like {name: zen, zone: zen.spamhaus.org}",
                                                              "{name: zen, zone: zen.spamhaus.org}")),
    };
}

// The filter's own rules (names, zones, codes), once the lists read cleanly.
void settings_check(DnsblConfig& c, const settings::Section& section) {
    if (!section.clean("lists") || !section.clean("fcrdns")) return;
    settings::Reporter& reporter = section.reporter();
    for (const std::string& problem : validate(c)) {
        const std::string key = problem.substr(0, problem.find(": "));
        YAML::Mark mark = reporter.mark(key);
        // The nearest ancestor with a mark: "a.lists[0].codes" -> "a.lists[0]" -> "a.lists" -> "a".
        for (std::string parent = key; mark.is_null();) {
            const auto cut = parent.find_last_of(".[");
            if (cut == std::string::npos || cut == 0) break;
            parent.resize(cut);
            mark = reporter.mark(parent);
        }
        reporter.error(mark.is_null() ? section.map().node().Mark() : mark, problem);
    }
}

namespace {

// The stage a list of this type is asked at (DnsblFilter::runs_at).
core::Stage stage_of(ListType type) {
    switch (type) {
        case ListType::ip:
        case ListType::rdns: return core::Stage::connect;
        case ListType::helo: return core::Stage::helo;
        case ListType::sender_domain: return core::Stage::mail_from;
    }
    return core::Stage::connect;
}

core::DefaultRule fails_open(std::string key, core::Stage stage, std::string finding) {
    return {"dnsbl." + std::move(key), stage, std::move(finding), {core::Outcome::temperror}};
}

}  // namespace

std::vector<core::DefaultRule> default_rules(const DnsblConfig& config) {
    std::vector<core::DefaultRule> rules;
    const bool scored = config.reject_score > 0 && !config.lists.empty();
    if (scored)
        rules.push_back({"dnsbl.reject_score", core::Stage::rcpt, "dnsbl", {core::Outcome::fail}, {},
                         core::DefaultRule::Answer::reject, 554, "5.7.1",
                         "Service unavailable; {dnsbl.blocked} blocked using {dnsbl.zone}{dnsbl.list_text}"});
    if (config.fcrdns.enabled) rules.push_back(fails_open("fcrdns", core::Stage::connect, "fcrdns"));
    std::array<bool, 5> runs_at{config.fcrdns.enabled, false, false, scored, false};  // by core::Stage
    for (const core::Stage stage : {core::Stage::connect, core::Stage::helo, core::Stage::mail_from}) {
        for (const bool allow : {false, true}) {
            const bool asked = std::any_of(config.lists.begin(), config.lists.end(), [&](const DnsList& list) {
                return list.allow == allow && stage_of(list.type) == stage;
            });
            if (!asked) continue;
            rules.push_back(fails_open("lists", stage, allow ? "dnswl.*" : "dnsbl.*"));
            runs_at[static_cast<int>(stage)] = true;
        }
    }
    for (const core::Stage stage : {core::Stage::connect, core::Stage::helo, core::Stage::mail_from, core::Stage::rcpt})
        if (runs_at[static_cast<int>(stage)]) rules.push_back(timeout_fails_open("dnsbl.temperror", stage, "dnsbl"));
    return rules;
}

Registration registration() {
    return register_filter<DnsblConfig>(
        "dnsbl", Needs{.resolver = true}, [](std::shared_ptr<const DnsblConfig> config, const Services& services) {
            return std::unique_ptr<Filter>(std::make_unique<DnsblFilter>(std::move(config), *services.resolver));
        });
}

}  // namespace mxgate::filters::dnsbl
