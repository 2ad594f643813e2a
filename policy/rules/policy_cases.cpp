// Reading and checking `policy test` cases (policy_cases.hpp).
#include "policy/rules/policy_cases.hpp"

#include "policy/rules/test_input.hpp"
#include "proxy/core/settings/map_reader.hpp"
#include "proxy/core/settings/yaml_document.hpp"

namespace mxgate::policy::rules {

namespace {

using settings::MapReader;
using settings::Reporter;
using core::Stage;

// A parsed value, or its error reported at the node.
template <class T>
std::optional<T> reported(Parsed<T> parsed, const YAML::Node& node, const std::string& path, Reporter& reporter) {
    if (!parsed.value) reporter.error(node, path + ": " + parsed.error);
    return std::move(parsed.value);
}

class CaseReader {
public:
    explicit CaseReader(Reporter& reporter) : reporter_(reporter) {}

    PolicyCase root(const YAML::Node& node) {
        PolicyCase c;
        Transaction& t = c.transaction;
        MapReader m(node, "", reporter_,
                    {"description", "client_ip", "rdns", "helo", "tls", "trusted", "sender", "rcpt", "findings",
                     "message", "expect"});
        if (!m.is_map()) return c;
        m.string("description", "");
        if (m.has("client_ip")) t.client_ip = text(m, "client_ip", [](auto s) { return parse_client_ip(s); });
        if (const std::string rdns = m.hostname("rdns", ""); !rdns.empty()) t.findings.push_back(confirmed_rdns(rdns));
        t.helo = m.string("helo", "");
        if (m.has("tls")) {
            auto version = text(m, "tls", [](auto s) { return parse_tls_version(s); });
            t.tls = version.has_value();
            t.tls_version = version.value_or("");
        }
        t.trusted = m.boolean("trusted", false);
        if (m.require("sender"))
            t.sender = text(m, "sender", [](auto s) { return parse_address(s, true); }).value_or(core::Address{});
        recipients(m, t);
        settings::for_each_item(m, "findings", "findings like 'spf=fail'", reporter_,
                                [&](const YAML::Node& item, const YAML::Mark&, const std::string& path) {
                                    if (!scalar(item, path, "a finding like 'spf=fail'")) return;
                                    if (auto f = reported(parse_finding(item.Scalar()), item, path, reporter_))
                                        t.findings.push_back(std::move(*f));
                                });
        if (m.has("message")) message(m, t);
        if (m.require("expect")) c.expect = expectation(m.get("expect"), "expect");
        return c;
    }

private:
    template <class Parse>
    auto text(MapReader& m, std::string_view key, Parse parse) -> decltype(parse(std::string_view()).value) {
        const YAML::Node node = m.get(key);
        const std::string path = m.field_path(key);
        if (!scalar(node, path, "a string")) return std::nullopt;
        return reported(parse(std::string_view(node.Scalar())), node, path, reporter_);
    }

    bool scalar(const YAML::Node& node, const std::string& path, std::string_view what) {
        if (node.IsScalar() && !node.Scalar().empty()) return true;
        reporter_.error(node, path + ": expected " + std::string(what) + ", got " + settings::describe(node));
        return false;
    }

    void recipients(MapReader& m, Transaction& t) {
        if (!m.require("rcpt")) return;
        const YAML::Node list = m.get("rcpt");
        const auto add = [&](const YAML::Node& item, const std::string& path) {
            if (!scalar(item, path, "an address")) return;
            if (auto a = reported(parse_address(item.Scalar(), false), item, path, reporter_))
                t.recipients.push_back(std::move(*a));
        };
        if (list.IsScalar()) return add(list, "rcpt");
        if (!list.IsSequence() || list.size() == 0) {
            const bool empty_list = list.IsSequence();
            reporter_.error(list.IsNull() ? reporter_.key_mark("rcpt") : list.Mark(),
                            "rcpt: expected an address or a list of them, got " +
                                (empty_list ? std::string("an empty list") : settings::describe(list)));
            return;
        }
        for (std::size_t i = 0; i < list.size(); ++i) add(list[i], settings::element_path("rcpt", i));
    }

    void message(MapReader& m, Transaction& t) {
        const std::string path = m.file_path("message", "");
        if (path.empty()) return;
        auto facts = reported(read_message(path), m.get("message"), "message", reporter_);
        if (!facts) return;
        t.has_message = true;
        t.message_size = facts->size;
        t.header_fields = std::move(facts->header_fields);
    }

    Expectation expectation(const YAML::Node& node, const std::string& path) {
        Expectation e;
        MapReader m(node, path, reporter_, {"verdict", "rule", "reply", "stage"});
        if (!m.is_map()) return e;
        if (m.require("verdict"))
            e.verdict = m.choice("verdict", {"reject", "tempfail", "disconnect", "quarantine", "deliver"}, "");
        if (m.has("rule")) e.rule = m.string("rule", "");
        e.reply = m.string("reply", "");
        if (m.has("stage"))
            e.stage = m.choice<Stage>("stage",
                                      {{"connect", Stage::connect},
                                       {"helo", Stage::helo},
                                       {"mail_from", Stage::mail_from},
                                       {"rcpt", Stage::rcpt},
                                       {"end_of_data", Stage::end_of_data}},
                                      Stage::connect);
        return e;
    }

    Reporter& reporter_;
};

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

CaseLoad parse_case(const std::string& yaml, const std::string& file, const std::string& base_dir) {
    CaseLoad result;
    Reporter reporter(file, base_dir, result.diagnostics);
    PolicyCase loaded;
    try {
        const settings::YamlDocument document = settings::load_one_document(yaml);
        if (!document.second_document.is_null())
            reporter.error(document.second_document, "expected one YAML document, found more");
        loaded = CaseReader(reporter).root(document.root);
    } catch (const YAML::Exception& e) {
        reporter.error(e.mark, "YAML syntax error: " + e.msg);
    }
    if (result.diagnostics.empty()) result.policy_case = std::move(loaded);
    return result;
}

CaseLoad load_case(const std::string& path) {
    const auto text = read_text_file(path);
    if (!text) {
        CaseLoad result;
        result.diagnostics.push_back({path, 0, 0, "cannot read the case file"});
        return result;
    }
    return parse_case(*text, path, directory_of(path));
}

std::optional<std::string> unmet(const Expectation& expect, const TransactionVerdict& got) {
    const std::string got_rule = got.rule.empty() ? "none" : got.rule;
    const std::string got_reply = got.reply.summary();
    if (got.verdict == expect.verdict && (!expect.rule || *expect.rule == got_rule) &&
        (!expect.stage || *expect.stage == got.stage) && got_reply.starts_with(expect.reply))
        return std::nullopt;
    std::string wanted = expect.verdict;
    if (expect.rule) wanted += " by rule " + *expect.rule;
    if (expect.stage) wanted += " at stage " + std::string(core::to_string(*expect.stage));
    if (!expect.reply.empty()) wanted += " with reply \"" + expect.reply + "...\"";
    return "expected " + wanted + ", got " + got.verdict + " (rule " + got_rule + " at stage " +
           std::string(core::to_string(got.stage)) + ": " + got_reply + ")";
}

}  // namespace mxgate::policy::rules
