// The compiler's actions: a rule's `then` into Actions (compile_internal.hpp).
// At most one action ends the rule (accept, reject, tempfail, disconnect,
// quarantine, stop); score, add_header, skip and route may go with it.
#include <algorithm>

#include "policy/rules/compile_internal.hpp"
#include "policy/rules/text_template.hpp"

namespace mxgate::policy::rules::detail {

namespace {

using settings::escaped;
using settings::MapReader;

struct TerminalName {
    std::string_view key;
    Terminal terminal;
};

constexpr TerminalName terminal_names[] = {
    {"accept", Terminal::accept},         {"reject", Terminal::reject},         {"tempfail", Terminal::tempfail},
    {"disconnect", Terminal::disconnect}, {"quarantine", Terminal::quarantine}, {"stop", Terminal::stop},
};

bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char ch) { return ch >= 32 && ch < 127; });
}

// "5.7.1": class "." 1*3digit "." 1*3digit (RFC 3463 §2).
bool is_enhanced_code(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return false;
    int parts = 2, digits = 0;  // the class and its dot are read
    for (std::size_t i = 2; i < text.size(); ++i) {
        if (text[i] == '.') {
            if (digits == 0) return false;
            ++parts;
            digits = 0;
        } else if (text[i] >= '0' && text[i] <= '9' && digits < 3) {
            ++digits;
        } else {
            return false;
        }
    }
    return parts == 3 && digits > 0;
}

class ActionCompiler {
public:
    explicit ActionCompiler(Compilation& c) : c_(c) {}

    Actions then(const YAML::Node& node, const std::string& path) {
        Actions actions;
        MapReader m(node, path, c_.reporter,
                    {"accept", "reject", "tempfail", "disconnect", "quarantine", "stop", "score", "add_header", "skip",
                     "route"});
        if (!node.IsMap()) {
            if (m.is_map())
                c_.reporter.error(node.IsDefined() && !node.IsNull() ? node.Mark() : c_.reporter.key_mark(path),
                                  path +
                                      ": expected at least one action (accept, reject, tempfail, disconnect, "
                                      "quarantine, stop, score, add_header, skip, route)");
            return actions;
        }
        std::string first_terminal;
        for (const auto& [key, terminal] : terminal_names) {
            if (!m.has(key)) continue;
            if (!first_terminal.empty()) {
                c_.reporter.error(
                    c_.reporter.key_mark(path + "." + std::string(key)),
                    path + ": '" + std::string(key) + "' and '" + first_terminal + "' both end the rule; keep one");
                continue;
            }
            first_terminal = key;
            actions.terminal = terminal;
            terminal_value(actions, key, m, path);
        }
        if (m.has("score")) {
            actions.score = signed_number(m.get("score"), path + ".score", 1000000, c_.reporter).value_or(0);
        }
        const auto names = [&](std::string_view key, std::string_view what) {
            return m.has(key) ? scalars(m.get(key), path + "." + std::string(key), what, c_.reporter)
                              : std::vector<std::pair<std::string, YAML::Mark>>{};
        };
        for (auto& [field, mark] : names("add_header", "a header field like \"X-Spam: yes\"")) {
            const auto colon = field.find(':');
            const bool valid = colon != std::string::npos && colon > 0 && printable_ascii(field) &&
                               field.substr(0, colon).find(' ') == std::string::npos;
            if (!valid)
                c_.reporter.error(mark, path +
                                            ".add_header: expected a header field like \"X-Spam: yes\" "
                                            "(printable ASCII, one line), got \"" +
                                            escaped(field) + "\"");
            else
                actions.add_headers.push_back(std::move(field));
        }
        for (auto& [name, mark] : names("skip", "a filter name")) {
            if (known(name, c_.options.known_filters, mark, path + ".skip", "filter", c_.reporter))
                actions.skip_filters.push_back(std::move(name));
        }
        if (m.has("route")) {
            const std::string backend = m.string("route", "");
            if (backend.empty())
                m.expected("route", "a backend name");
            else if (known(backend, c_.options.known_backends, m.get("route").Mark(), path + ".route", "backend",
                           c_.reporter))
                actions.route = backend;
        }
        return actions;
    }

private:
    void terminal_value(Actions& actions, std::string_view key, MapReader& m, const std::string& path) {
        const YAML::Node value = m.get(key);
        const std::string at = path + "." + std::string(key);
        const bool takes_reply = actions.terminal == Terminal::reject || actions.terminal == Terminal::tempfail ||
                                 actions.terminal == Terminal::disconnect;
        if (value.IsMap() && takes_reply) {
            actions.reply = reply(value, at, actions.terminal);
            return;
        }
        if (value.IsMap() && actions.terminal == Terminal::quarantine) {
            MapReader q(value, at, c_.reporter, {"reason"});
            actions.quarantine_reason = q.string("reason", "");
            if (auto wrong = template_error(actions.quarantine_reason, Reasons::allowed))
                q.expected_exactly("reason", *wrong);
            actions.reason_templated = has_placeholders(actions.quarantine_reason);
            return;
        }
        if (value.IsScalar() && value.Scalar() == "true") return;
        const std::string what = takes_reply ? "true, or a map of code, enhanced and text"
                                 : actions.terminal == Terminal::quarantine ? "true, or a map with a reason"
                                                                            : "true";
        m.expected(key, what);
    }

    ReplySpec reply(const YAML::Node& node, const std::string& path, Terminal terminal) {
        ReplySpec spec;
        MapReader r(node, path, c_.reporter, {"code", "enhanced", "text"});
        const int klass = terminal == Terminal::reject ? 5 : 4;
        spec.code = static_cast<int>(r.number("code", 400, 599, 0));
        if (spec.code) {
            const std::string name(to_string(terminal));
            if (terminal == Terminal::disconnect && spec.code != 421)
                r.expected_exactly("code", "421 for disconnect (RFC 5321 §3.8), got " + std::to_string(spec.code));
            else if (spec.code / 100 != klass)
                r.expected_exactly("code",
                                   std::to_string(klass) + "xx for " + name + ", got " + std::to_string(spec.code) +
                                       (klass == 5 ? " (a 4xx code is a tempfail)" : " (a 5xx code is a reject)"));
        }
        spec.enhanced = r.string("enhanced", "");
        if (r.has("enhanced")) {
            if (!is_enhanced_code(spec.enhanced))
                r.expected("enhanced", "an enhanced status code like \"" + std::to_string(klass) + ".7.1\" (RFC 3463)");
            else if (spec.enhanced[0] - '0' != klass)
                r.expected_exactly("enhanced", "an enhanced code of class " + std::to_string(klass) + " for " +
                                                   std::string(to_string(terminal)) + ", got \"" +
                                                   escaped(spec.enhanced) + "\"");
        }
        spec.text = r.string("text", "");
        if (r.has("text") && (spec.text.empty() || spec.text.size() > 400 || !printable_ascii(spec.text)))
            r.expected("text", "reply text of printable ASCII, 1 to 400 characters");
        else if (auto wrong = template_error(spec.text, Reasons::refused))
            r.expected_exactly("text", *wrong);
        spec.templated = has_placeholders(spec.text);
        return spec;
    }

    Compilation& c_;
};

}  // namespace

Actions compile_then(const YAML::Node& node, const std::string& path, Compilation& c) {
    return ActionCompiler(c).then(node, path);
}

}  // namespace mxgate::policy::rules::detail
