// The compiler's conditions: a rule's `when` into a Condition tree
// (compile_internal.hpp). Each condition kind is a key of a `when` map; all keys
// of one map must hold, `any` and `not` combine maps.
#include <algorithm>

#include <boost/asio/ip/address_v4.hpp>

#include "policy/rules/compile_internal.hpp"
#include "proxy/core/text.hpp"

namespace mxgate::policy::rules {

using core::Stage;

core::Stage earliest_stage(ConditionKind kind) {
    switch (kind) {
        case ConditionKind::helo: return Stage::helo;
        // TLS: by MAIL FROM a client has had its chance to STARTTLS; at HELO it has not.
        case ConditionKind::tls:
        case ConditionKind::tls_version:
        case ConditionKind::message_rate:
        case ConditionKind::sender:
        case ConditionKind::spf:
        // A list of any type (client, HELO, sender domain) has answered by MAIL FROM.
        case ConditionKind::dnsbl:
        case ConditionKind::dnswl: return Stage::mail_from;
        case ConditionKind::recipient:
        case ConditionKind::recipient_count:
        case ConditionKind::greylist: return Stage::rcpt;
        case ConditionKind::size:
        case ConditionKind::header:
        case ConditionKind::dkim:
        case ConditionKind::dmarc: return Stage::end_of_data;
        default: return Stage::connect;  // client_ip, rdns, fcrdns, trusted, score; combinators
    }
}

core::Stage default_stage(ConditionKind kind) {
    return kind == ConditionKind::score ? Stage::end_of_data : earliest_stage(kind);
}

bool found_at(ConditionKind kind, core::Stage stage) {
    switch (kind) {
        case ConditionKind::rdns:
        case ConditionKind::fcrdns: return stage == Stage::connect;  // the DNSBL filter's fcrdns check
        case ConditionKind::dnsbl:
        case ConditionKind::dnswl: return stage <= Stage::mail_from;  // client, HELO, sender-domain lists
        case ConditionKind::spf:
        case ConditionKind::message_rate: return stage == Stage::mail_from;
        case ConditionKind::connection_rate: return stage == Stage::connect;
        case ConditionKind::greylist: return stage == Stage::rcpt;
        case ConditionKind::dkim:
        case ConditionKind::dmarc: return stage == Stage::end_of_data;
        default: return false;  // facts of the session, not findings
    }
}

namespace detail {

using settings::escaped;
using settings::MapReader;
using settings::Reporter;

std::vector<std::pair<std::string, YAML::Mark>> scalars(const YAML::Node& node, const std::string& path,
                                                        std::string_view what, Reporter& reporter) {
    std::vector<std::pair<std::string, YAML::Mark>> out;
    if (node.IsScalar()) {
        out.emplace_back(node.Scalar(), node.Mark());
        return out;
    }
    if (!node.IsSequence() || node.size() == 0) {
        // A null value has no mark of its own (yaml-cpp points past it): point at its key.
        const YAML::Mark key = reporter.key_mark(path);
        reporter.error(node.IsNull() && !key.is_null() ? key : node.Mark(),
                       path + ": expected " + std::string(what) + " (one, or a list), got " +
                           (node.IsSequence() ? std::string("an empty list") : settings::describe(node)));
        return out;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node element = node[i];
        if (element.IsScalar())
            out.emplace_back(element.Scalar(), element.Mark());
        else
            reporter.error(element.IsNull() ? node.Mark() : element.Mark(), settings::element_path(path, i) +
                                                                                ": expected " + std::string(what) +
                                                                                ", got " + settings::describe(element));
    }
    return out;
}

std::optional<long long> signed_number(const YAML::Node& node, const std::string& path, long long limit,
                                       Reporter& reporter) {
    const std::string text = node.IsScalar() ? node.Scalar() : std::string();
    std::size_t i = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
    long long value = 0;
    bool ok = i < text.size() && text.size() - i <= 12;
    for (; ok && i < text.size(); ++i) {
        ok = text[i] >= '0' && text[i] <= '9';
        value = value * 10 + (text[i] - '0');
    }
    if (ok && value <= limit) return !text.empty() && text[0] == '-' ? -value : value;
    reporter.error(node.IsNull() ? reporter.key_mark(path) : node.Mark(),
                   path + ": expected a whole number like 5 or -3, from -" + std::to_string(limit) + " to " +
                       std::to_string(limit) + ", got " + settings::describe(node));
    return std::nullopt;
}

std::string unknown_name_message(const std::string& path, std::string_view kind, const std::string& word,
                                 const std::vector<std::string>& names) {
    std::string message = path + ": unknown " + std::string(kind) + " '" + escaped(word) + "'";
    if (const auto suggestion = settings::closest(word, names); !suggestion.empty())
        return message + "; did you mean '" + suggestion + "'?";
    std::string all;
    for (const auto& name : names) all += (all.empty() ? "" : ", ") + name;
    return message + " (known: " + (all.empty() ? std::string("none") : all) + ")";
}

bool known(const std::string& name, const std::vector<std::string>& names, const YAML::Mark& mark,
           const std::string& path, std::string_view kind, Reporter& reporter) {
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) return true;
    reporter.error(mark, unknown_name_message(path, kind, name, names));
    return false;
}

namespace {

struct KindName {
    std::string_view key;
    ConditionKind kind;
};

constexpr KindName kind_names[] = {
    {"all", ConditionKind::all},
    {"any", ConditionKind::any},
    {"not", ConditionKind::negation},
    {"client_ip", ConditionKind::client_ip},
    {"rdns", ConditionKind::rdns},
    {"fcrdns", ConditionKind::fcrdns},
    {"helo", ConditionKind::helo},
    {"tls", ConditionKind::tls},
    {"tls_version", ConditionKind::tls_version},
    {"trusted", ConditionKind::trusted},
    {"sender", ConditionKind::sender},
    {"recipient", ConditionKind::recipient},
    {"recipient_count", ConditionKind::recipient_count},
    {"size", ConditionKind::size},
    {"header", ConditionKind::header},
    {"spf", ConditionKind::spf},
    {"dkim", ConditionKind::dkim},
    {"dmarc", ConditionKind::dmarc},
    {"dnsbl", ConditionKind::dnsbl},
    {"dnswl", ConditionKind::dnswl},
    {"greylist", ConditionKind::greylist},
    {"connection_rate", ConditionKind::connection_rate},
    {"message_rate", ConditionKind::message_rate},
    {"score", ConditionKind::score},
};

std::vector<std::string> condition_keys() {
    std::vector<std::string> keys;
    for (const auto& k : kind_names) keys.emplace_back(k.key);
    return keys;
}

// Result names each finding condition accepts (docs/filters.md), and the outcome each means.
using ResultNames = std::vector<std::pair<std::string, core::Outcome>>;

ResultNames result_names(ConditionKind kind) {
    using O = core::Outcome;
    switch (kind) {
        case ConditionKind::spf:
            return {{"pass", O::pass},           {"fail", O::fail},      {"softfail", O::softfail},
                    {"neutral", O::neutral},     {"none", O::none},      {"temperror", O::temperror},
                    {"permerror", O::permerror}, {"skipped", O::skipped}};
        case ConditionKind::dkim:
            return {{"pass", O::pass},           {"policy", O::policy},  {"fail", O::fail},
                    {"neutral", O::neutral},     {"none", O::none},      {"temperror", O::temperror},
                    {"permerror", O::permerror}, {"skipped", O::skipped}};
        case ConditionKind::dmarc:
            return {{"pass", O::pass},           {"fail", O::fail},           {"none", O::none},
                    {"temperror", O::temperror}, {"permerror", O::permerror}, {"skipped", O::skipped}};
        case ConditionKind::connection_rate:
        case ConditionKind::message_rate:
            return {{"over", O::fail}, {"under", O::pass}, {"skipped", O::skipped}, {"temperror", O::temperror}};
        default:  // greylist: "defer" is the finding's softfail
            return {{"pass", O::pass}, {"defer", O::softfail}, {"skipped", O::skipped}, {"temperror", O::temperror}};
    }
}

// "a, b, c" of at most a few values, for the trace.
std::string shown_values(const std::vector<std::pair<std::string, YAML::Mark>>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i == 4) return out + ", ... (" + std::to_string(values.size()) + ")";
        out += (i ? ", " : "") + escaped(values[i].first);
    }
    return out;
}

class ConditionCompiler {
public:
    explicit ConditionCompiler(Compilation& c) : c_(c) {}

    Condition when(const YAML::Node& node, const std::string& path) {
        Condition all;
        all.kind = ConditionKind::all;
        MapReader m(node, path, c_.reporter, condition_keys());
        if (!m.is_map() || !node.IsMap()) return all;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
            // MapReader reported unknown and duplicate keys; compile each known key once.
            const auto known = std::find_if(std::begin(kind_names), std::end(kind_names),
                                            [&](const KindName& k) { return k.key == key; });
            if (known == std::end(kind_names) || !m.get(key).is(it->second)) continue;
            all.children.push_back(condition(known->kind, key, m, path + "." + key));
        }
        all.text = joined(all.children, " and ");
        if (all.children.size() == 1) return std::move(all.children.front());
        return all;
    }

private:
    static std::string joined(const std::vector<Condition>& conditions, std::string_view separator) {
        std::string text;
        for (const auto& child : conditions) text += (text.empty() ? "" : std::string(separator)) + child.text;
        return text;
    }

    Condition condition(ConditionKind kind, const std::string& key, MapReader& m, const std::string& path) {
        const YAML::Node node = m.get(key);
        Condition c;
        c.kind = kind;
        switch (kind) {
            case ConditionKind::all:
            case ConditionKind::any: return combination(kind, node, path);
            case ConditionKind::negation:
                if (!node.IsMap() || node.size() == 0) {
                    c_.reporter.error(node.IsMap() ? node.Mark() : c_.reporter.key_mark(path),
                                      path + ": expected a map of conditions, got " +
                                          (node.IsMap() ? std::string("an empty map") : settings::describe(node)));
                    return c;
                }
                c.children.push_back(when(node, path));
                c.text = "not (" + c.children.front().text + ")";
                return c;
            case ConditionKind::client_ip: return client_ip(node, path);
            case ConditionKind::rdns:
            case ConditionKind::helo: return text_match(kind, key, node, path, ListUse::names);
            case ConditionKind::sender:
            case ConditionKind::recipient: return text_match(kind, key, node, path, ListUse::addresses);
            case ConditionKind::fcrdns:
            case ConditionKind::tls:
            case ConditionKind::trusted:
                c.expected = m.boolean(key, true);
                c.text = key + " is " + (c.expected ? "true" : "false");
                return c;
            case ConditionKind::tls_version:
            case ConditionKind::recipient_count:
            case ConditionKind::size:
            case ConditionKind::score: return bounds(kind, key, node, path);
            case ConditionKind::header: return header(node, path);
            case ConditionKind::spf:
            case ConditionKind::dkim:
            case ConditionKind::dmarc:
            case ConditionKind::greylist:
            case ConditionKind::connection_rate:
            case ConditionKind::message_rate: return result(kind, key, node, path);
            case ConditionKind::dnsbl:
            case ConditionKind::dnswl: return list_hit(kind, key, node, path);
            case ConditionKind::finding: break;  // not a key of the file: made by default_rules.cpp
        }
        return c;
    }

    Condition combination(ConditionKind kind, const YAML::Node& node, const std::string& path) {
        Condition c;
        c.kind = kind;
        if (!node.IsSequence() || node.size() == 0) {
            c_.reporter.error(node.IsNull() ? c_.reporter.key_mark(path) : node.Mark(),
                              path + ": expected a list of condition maps, got " +
                                  (node.IsSequence() ? std::string("an empty list") : settings::describe(node)));
            return c;
        }
        for (std::size_t i = 0; i < node.size(); ++i)
            c.children.push_back(when(node[i], settings::element_path(path, i)));
        c.text = "(" + joined(c.children, kind == ConditionKind::any ? " or " : " and ") + ")";
        return c;
    }

    // "list: name" (or a list of names) resolved, with did-you-mean for a typo.
    std::vector<const PolicyList*> named_lists(const YAML::Node& node, const std::string& path) {
        std::vector<const PolicyList*> found;
        for (const auto& [name, mark] : scalars(node, path, "a list name", c_.reporter)) {
            if (const PolicyList* list = c_.lists.find(name))
                found.push_back(list);
            else
                c_.reporter.error(mark, unknown_name_message(path, "list", name, c_.lists.names()));
        }
        return found;
    }

    Condition client_ip(const YAML::Node& node, const std::string& path) {
        Condition c;
        c.kind = ConditionKind::client_ip;
        if (node.IsMap()) {
            MapReader m(node, path, c_.reporter, {"list"});
            if (!m.require("list")) return c;
            const auto lists = named_lists(m.get("list"), path + ".list");
            if (lists.size() == 1) {
                c.networks = c_.lists.networks(*lists.front(), path + ".list", c_.diagnostics);
            } else {  // several lists: one set of them all
                auto merged = std::make_shared<CidrSet>();
                for (const PolicyList* list : lists) {
                    c_.lists.networks(*list, path + ".list", c_.diagnostics);  // reports its bad entries, once
                    for (const auto& entry : list->entries)
                        if (network_problem(entry.text).empty()) merged->add(*settings::parse_network(entry.text));
                }
                merged->finish();
                c.networks = merged;
            }
            std::string names;
            for (const PolicyList* list : lists) names += (names.empty() ? "" : ", ") + list->name;
            c.text = "client_ip in list " + names;
            return c;
        }
        auto set = std::make_shared<CidrSet>();
        const auto values = scalars(node, path, "a network like \"192.0.2.0/24\"", c_.reporter);
        for (const auto& [text, mark] : values) {
            if (const std::string problem = network_problem(text); !problem.empty())
                c_.reporter.error(mark, path + ": " + problem);
            else
                set->add(*settings::parse_network(text));
        }
        set->finish();
        c.networks = set;
        c.text = "client_ip in " + shown_values(values);
        return c;
    }

    Condition text_match(ConditionKind kind, const std::string& key, const YAML::Node& node, const std::string& path,
                         ListUse use) {
        Condition c;
        c.kind = kind;
        auto matcher = std::make_shared<TextMatcher>();
        const auto add_value = [&](const std::string& text, const YAML::Mark& mark, const std::string& at) {
            const std::string problem =
                use == ListUse::names ? add_host_value(*matcher, text) : add_address_value(*matcher, text);
            if (!problem.empty()) c_.reporter.error(mark, at + ": " + problem);
        };
        if (!node.IsMap()) {
            const auto values = scalars(node, path, "a value", c_.reporter);
            for (const auto& [text, mark] : values) add_value(text, mark, path);
            c.text = key + " is " + shown_values(values);
        } else {
            const bool addresses = use == ListUse::addresses;
            MapReader m(node, path, c_.reporter,
                        addresses ? std::vector<std::string>{"address", "domain", "glob", "regex", "list"}
                                  : std::vector<std::string>{"name", "glob", "regex", "list"});
            for (auto it = node.begin(); it != node.end(); ++it) {
                const std::string field = it->first.Scalar();
                if (!m.has(field) || !m.get(field).is(it->second)) continue;
                const std::string at = path + "." + field;
                if (field == "list") {
                    std::string names;
                    for (const PolicyList* list : named_lists(it->second, at)) {
                        c_.lists.add_to(*list, use, at, *matcher, c_.diagnostics);
                        names += (names.empty() ? "" : ", ") + list->name;
                    }
                    c.text += (c.text.empty() ? "" : ", ") + key + " in list " + names;
                    continue;
                }
                const auto values = scalars(it->second, at,
                                            field == "address" ? "an address"
                                            : field == "name"  ? "a host name"
                                                               : "a " + field,
                                            c_.reporter);
                for (const auto& [text, mark] : values) {
                    if (field == "regex" || field == "glob") {
                        const std::string regex = field == "glob" ? glob_to_regex(text) : text;
                        if (const std::string error = regex_error(regex); !error.empty())
                            c_.reporter.error(mark, at + ": bad regex \"" + escaped(text) + "\": " + error);
                        else
                            matcher->add_pattern(regex);
                    } else if (field == "address" && text != "<>" &&
                               (text.find('@') == std::string::npos || text.find_first_of("*?") != std::string::npos)) {
                        c_.reporter.error(mark,
                                          at + ": expected an address like \"user@example.org\" or \"<>\", got \"" +
                                              escaped(text) + "\"");
                    } else if ((field == "domain" || field == "name") &&
                               text.find_first_of("@*?") != std::string::npos) {
                        c_.reporter.error(mark, at + ": expected a " + (field == "name" ? "host name" : "domain") +
                                                    " like \"example.org\", got \"" + escaped(text) +
                                                    "\" (globs go under 'glob')");
                    } else {
                        add_value(text, mark, at);
                    }
                }
                c.text += (c.text.empty() ? "" : ", ") + key + " " + field + " " + shown_values(values);
            }
        }
        finish(*matcher, node, path);
        c.names = std::move(matcher);
        return c;
    }

    Condition bounds(ConditionKind kind, const std::string& key, const YAML::Node& node, const std::string& path) {
        Condition c;
        c.kind = kind;
        if (!node.IsMap()) {
            c_.reporter.error(node.IsNull() ? c_.reporter.key_mark(path) : node.Mark(),
                              path + ": expected a map of at_least and/or less_than, got " + settings::describe(node));
            return c;
        }
        MapReader m(node, path, c_.reporter, {"at_least", "less_than"});
        const auto read = [&](const std::string& bound) -> std::optional<long long> {
            if (!m.has(bound)) return std::nullopt;
            const std::string at = path + "." + bound;
            switch (kind) {
                case ConditionKind::tls_version: {
                    const std::string v = m.choice(bound, {"1.0", "1.1", "1.2", "1.3"}, "");
                    if (v.empty()) return std::nullopt;
                    return (v[0] - '0') * 10 + (v[2] - '0');
                }
                case ConditionKind::recipient_count: return static_cast<long long>(m.number(bound, 0, 1000000, 0));
                case ConditionKind::size:
                    return static_cast<long long>(m.byte_size(bound, {0}, {std::uint64_t{1} << 40}, {0}).bytes);
                default: return signed_number(m.get(bound), at, 1000000, c_.reporter);
            }
        };
        c.bounds.at_least = read("at_least");
        c.bounds.less_than = read("less_than");
        if (!m.has("at_least") && !m.has("less_than"))
            c_.reporter.error(node, path + ": expected at_least and/or less_than");
        c.text = key;
        if (m.has("at_least")) c.text += " >= " + m.get("at_least").Scalar();
        if (m.has("less_than")) c.text += (m.has("at_least") ? " and < " : " < ") + m.get("less_than").Scalar();
        return c;
    }

    Condition header(const YAML::Node& node, const std::string& path) {
        Condition c;
        c.kind = ConditionKind::header;
        if (!node.IsMap()) {
            c_.reporter.error(
                node.IsNull() ? c_.reporter.key_mark(path) : node.Mark(),
                path + ": expected a map with name (and present or regex), got " + settings::describe(node));
            return c;
        }
        MapReader m(node, path, c_.reporter, {"name", "present", "regex"});
        if (!m.require("name")) return c;
        const std::string name = m.string("name", "");
        const bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
            return ch > 32 && ch < 127 && ch != ':';  // RFC 5322 §3.6.8 ftext
        });
        if (!valid_name) m.expected("name", "a header field name like \"Subject\"");
        c.name = core::ascii_lower(name);
        c.expected = m.boolean("present", true);
        c.text = "header " + name + (c.expected ? "" : " absent");
        if (m.has("regex")) {
            auto values = std::make_shared<RegexAny>();
            for (const auto& [text, mark] : scalars(m.get("regex"), path + ".regex", "a regex", c_.reporter)) {
                if (const std::string error = regex_error(text); !error.empty())
                    c_.reporter.error(mark, path + ".regex: bad regex \"" + escaped(text) + "\": " + error);
                else
                    values->add(text);
                c.text += " ~ /" + escaped(text) + "/";
            }
            finish(*values, m.get("regex"), path + ".regex");
            c.values = std::move(values);
        }
        return c;
    }

    std::uint16_t outcomes(ConditionKind kind, const YAML::Node& node, const std::string& path, std::string& text) {
        const ResultNames names = result_names(kind);
        std::vector<std::string> known;
        for (const auto& [name, outcome] : names) known.push_back(name);
        std::uint16_t bits = 0;
        for (const auto& value : scalars(node, path, "a result name", c_.reporter)) {
            const std::string& word = value.first;  // not a structured binding: clang 14 cannot capture one
            const YAML::Mark& mark = value.second;
            const auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == word; });
            if (it == names.end()) {
                c_.reporter.error(mark, unknown_name_message(path, "result", word, known));
                continue;
            }
            bits |= outcome_bit(it->second);
            text += (text.back() == ' ' ? "" : "|") + word;
        }
        return bits;
    }

    Condition result(ConditionKind kind, const std::string& key, const YAML::Node& node, const std::string& path) {
        Condition c;
        c.kind = kind;
        c.text = key + " ";
        if (!node.IsMap() || (kind != ConditionKind::dkim && kind != ConditionKind::dmarc)) {
            c.outcomes = outcomes(kind, node, path, c.text);
            return c;
        }
        const bool dkim = kind == ConditionKind::dkim;
        MapReader m(node, path, c_.reporter, {"result", dkim ? "domain" : "policy"});
        if (!m.require("result")) return c;
        c.outcomes = outcomes(kind, m.get("result"), path + ".result", c.text);
        if (dkim && m.has("domain")) {
            auto matcher = std::make_shared<TextMatcher>();
            const auto values = scalars(m.get("domain"), path + ".domain", "a domain", c_.reporter);
            for (const auto& [text, mark] : values)
                if (const std::string problem = add_host_value(*matcher, text); !problem.empty())
                    c_.reporter.error(mark, path + ".domain: " + problem);
            finish(*matcher, m.get("domain"), path + ".domain");
            c.names = std::move(matcher);
            c.text += " for d=" + shown_values(values);
        }
        if (!dkim && m.has("policy")) {
            c.dmarc_policy = m.choice("policy", {"none", "quarantine", "reject"}, "");
            c.text += " with p=" + c.dmarc_policy;
        }
        return c;
    }

    // dnsbl: zen | [zen, sorbs] | {list: zen, codes: [127.0.0.2]}
    Condition list_hit(ConditionKind kind, const std::string& key, const YAML::Node& node, const std::string& path) {
        Condition any;
        any.kind = ConditionKind::any;
        std::vector<std::pair<std::string, YAML::Mark>> names;
        std::vector<std::string> codes;
        if (node.IsMap()) {
            MapReader m(node, path, c_.reporter, {"list", "codes"});
            if (!m.require("list")) return any;
            names = scalars(m.get("list"), path + ".list", "a list name", c_.reporter);
            if (m.has("codes"))
                for (const auto& [code, mark] :
                     scalars(m.get("codes"), path + ".codes", "an answer like \"127.0.0.2\"", c_.reporter)) {
                    boost::system::error_code ec;
                    boost::asio::ip::make_address_v4(code, ec);
                    if (ec)
                        c_.reporter.error(mark, path + ".codes: expected an answer like \"127.0.0.2\", got \"" +
                                                    escaped(code) + "\"");
                    else
                        codes.push_back(code);
                }
        } else {
            names = scalars(node, path, "a list name", c_.reporter);
        }
        for (const auto& [name, mark] : names) {
            const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
                return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
            });
            if (!valid) {
                c_.reporter.error(mark, path + ": expected the name of a filters.dnsbl list (a-z 0-9 _ -), got \"" +
                                            escaped(name) + "\"");
                continue;
            }
            Condition hit;
            hit.kind = kind;
            hit.name = key + "." + name;  // the finding's name: dnsbl.<name>, dnswl.<name>
            hit.codes = codes;
            hit.text = key + " " + name;
            for (std::size_t i = 0; i < codes.size(); ++i) hit.text += (i ? "," : " answering ") + codes[i];
            any.children.push_back(std::move(hit));
        }
        if (any.children.size() == 1) return std::move(any.children.front());
        any.text = "(" + joined(any.children, " or ") + ")";
        return any;
    }

    template <class Matcher>
    void finish(Matcher& matcher, const YAML::Node& node, const std::string& path) {
        if (!matcher.finish())
            c_.reporter.error(node, path + ": these patterns together exceed RE2's memory budget; split the condition");
    }

    Compilation& c_;
};

}  // namespace

Condition compile_when(const YAML::Node& node, const std::string& path, Compilation& c) {
    return ConditionCompiler(c).when(node, path);
}

}  // namespace detail
}  // namespace mxgate::policy::rules
