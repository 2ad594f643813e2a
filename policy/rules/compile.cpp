// The compiler's top level (compile.hpp): the file, its lists and rules, each
// rule's stage, and the checks that need every rule (unique names, rules no
// evaluation can reach).
#include "policy/rules/compile.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/rules/compile_internal.hpp"
#include "proxy/core/settings/yaml_document.hpp"

namespace mxgate::policy::rules {

namespace {

using core::Stage;
using settings::escaped;
using settings::MapReader;

struct StageNeeds {
    Stage earliest = Stage::connect;  // no earlier stage knows every fact the rule reads
    Stage fallback = Stage::connect;  // where the rule runs without `stage:`
    ConditionKind pinned_by = ConditionKind::all;
};

void collect_stages(const Condition& c, StageNeeds& needs) {
    for (const auto& child : c.children) collect_stages(child, needs);
    if (c.kind == ConditionKind::all || c.kind == ConditionKind::any || c.kind == ConditionKind::negation) return;
    if (earliest_stage(c.kind) > needs.earliest) {
        needs.earliest = earliest_stage(c.kind);
        needs.pinned_by = c.kind;
    }
    needs.fallback = std::max(needs.fallback, default_stage(c.kind));
}

std::string condition_name(ConditionKind kind, const Condition& when) {
    // The text of a leaf starts with its key ("sender is ..."): find one of that kind.
    if (when.kind == kind) return when.text.substr(0, when.text.find(' '));
    for (const auto& child : when.children)
        if (auto name = condition_name(kind, child); !name.empty()) return name;
    return {};
}

bool reads_findings_of(const Condition& c, Stage stage) {
    for (const auto& child : c.children)
        if (reads_findings_of(child, stage)) return true;
    return found_at(c.kind, stage);
}

bool unconditional(const Rule& rule) { return rule.when.kind == ConditionKind::all && rule.when.children.empty(); }

// A rule that always ends its stage hides every later rule of that stage; one that
// always refuses (reject, tempfail, disconnect) hides the later stages as well.
void check_reachable(const std::vector<Rule>& rules, const std::vector<YAML::Mark>& marks,
                     settings::Reporter& reporter) {
    std::vector<std::size_t> blockers;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const Rule& rule = rules[i];
        for (const std::size_t b : blockers) {
            const Rule& blocker = rules[b];
            const bool refuses = blocker.then.terminal == Terminal::reject ||
                                 blocker.then.terminal == Terminal::tempfail ||
                                 blocker.then.terminal == Terminal::disconnect;
            if (blocker.stage == rule.stage || (refuses && blocker.stage < rule.stage)) {
                reporter.error(marks[i], "rule '" + escaped(rule.name) + "' is unreachable: rule '" +
                                             escaped(blocker.name) + "' (line " + std::to_string(blocker.line) +
                                             ") has no conditions and ends evaluation at " +
                                             std::string(core::to_string(blocker.stage)) +
                                             "; move this rule above it or give that rule a 'when'");
                break;
            }
        }
        if (unconditional(rule) && !rule.monitor && rule.then.terminal != Terminal::none) blockers.push_back(i);
    }
}

class RuleCompiler {
public:
    RuleCompiler(detail::Compilation& c, const std::string& file) : c_(c), file_(file) {}

    void root(const YAML::Node& node, CompiledPolicy& policy) {
        MapReader m(node, "", c_.reporter, {"monitor", "monitor_filters", "without_default_rules", "lists", "rules"});
        const bool monitor_all = m.boolean("monitor", false);
        policy.monitored_filters = filter_names(m, "monitor_filters");
        policy.filters_without_default_rules = filter_names(m, "without_default_rules");
        c_.lists.decode(m.get("lists"), "lists", c_.reporter, file_);
        if (!m.require("rules")) return;
        const YAML::Node rules = m.get("rules");
        if (!settings::expect_list(rules, "rules", "rules", c_.reporter)) return;
        std::vector<YAML::Mark> marks;
        for (std::size_t i = 0; i < rules.size(); ++i) {
            const YAML::Node node = rules[i];
            const std::string path = settings::element_path("rules", i);
            Rule rule = compile_rule(node, path, rules.Mark());  // an empty element has no mark: the list's
            rule.monitor = rule.monitor || monitor_all;
            for (std::size_t j = 0; j < policy.rules.size(); ++j)
                if (!rule.name.empty() && policy.rules[j].name == rule.name)
                    c_.reporter.error(c_.reporter.mark(path + ".name"), path + ".name: duplicate rule name '" +
                                                                            escaped(rule.name) + "' (first on line " +
                                                                            std::to_string(policy.rules[j].line) + ")");
            marks.push_back(node.IsNull() ? rules.Mark() : node.Mark());
            policy.rules.push_back(std::move(rule));
        }
        check_reachable(policy.rules, marks, c_.reporter);
        for (std::uint32_t i = 0; i < policy.rules.size(); ++i)
            policy.by_stage[static_cast<std::size_t>(policy.rules[i].stage)].push_back(i);
        policy.reads_message = !policy.by_stage[static_cast<std::size_t>(Stage::end_of_data)].empty();
    }

private:
    // A list of the registry's filter names (did-you-mean for a typo).
    std::vector<std::string> filter_names(MapReader& m, const std::string& key) {
        std::vector<std::string> names;
        if (!m.has(key)) return names;
        for (auto& [name, mark] : detail::scalars(m.get(key), key, "a filter name", c_.reporter))
            if (detail::known(name, c_.options.known_filters, mark, key, "filter", c_.reporter))
                names.push_back(std::move(name));
        return names;
    }

    Rule compile_rule(const YAML::Node& node, const std::string& path, const YAML::Mark& list_mark) {
        Rule rule;
        rule.line = node.Mark().line + 1;
        MapReader r(node, path, c_.reporter, {"name", "description", "when", "then", "monitor", "stage"});
        if (!r.is_map() || !node.IsMap()) {
            if (r.is_map())
                c_.reporter.error(
                    node.IsNull() ? list_mark : node.Mark(),
                    path + ": expected a rule (a map with name, when, then), got " + settings::describe(node));
            return rule;
        }
        if (r.require("name")) {
            rule.name = r.string("name", "");
            if (rule.name.empty()) r.expected("name", "a rule name");
        }
        rule.description = r.string("description", "");
        rule.when = detail::compile_when(r.get("when"), path + ".when", c_);
        if (r.require("then")) rule.then = detail::compile_then(r.get("then"), path + ".then", c_);
        rule.monitor = r.boolean("monitor", false);

        StageNeeds needs;
        collect_stages(rule.when, needs);
        rule.stage = needs.fallback;
        if (r.has("stage")) {
            const auto written = r.choice<Stage>("stage",
                                                 {{"connect", Stage::connect},
                                                  {"helo", Stage::helo},
                                                  {"mail_from", Stage::mail_from},
                                                  {"rcpt", Stage::rcpt},
                                                  {"end_of_data", Stage::end_of_data}},
                                                 needs.fallback);
            if (written < needs.earliest)
                r.expected_exactly("stage", "a stage from " + std::string(core::to_string(needs.earliest)) +
                                                " on: its " + condition_name(needs.pinned_by, rule.when) +
                                                " condition is not known at " + std::string(core::to_string(written)));
            else
                rule.stage = written;
        }
        rule.after_filters = reads_findings_of(rule.when, rule.stage);
        return rule;
    }

    detail::Compilation& c_;
    const std::string& file_;
};

std::string absolute_path(const std::string& path) {
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(path, ec);
    return ec ? path : absolute.lexically_normal().string();
}

// Adds the list files behind `lists` (not the inline ones, whose source is the policy).
void add_list_files(const Lists& lists, const std::string& policy_file, std::vector<std::string>& files) {
    for (const auto& name : lists.names()) {
        const PolicyList* list = lists.find(name);
        if (list->source.empty() || list->source == policy_file) continue;
        std::string file = absolute_path(list->source);
        if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(std::move(file));
    }
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
}

// `sources`: the policy file when it is one, to which the list files are added.
CompileResult compile(const std::string& yaml, const std::string& file, const std::string& base_dir,
                      const CompileOptions& options, std::vector<std::string> sources) {
    CompileResult result;
    settings::Reporter reporter(file, base_dir, result.diagnostics);
    Lists lists;
    detail::Compilation compilation{reporter, result.diagnostics, lists, options};
    auto policy = std::make_shared<CompiledPolicy>();
    policy->file = file;
    try {
        const settings::YamlDocument document = settings::load_one_document(yaml);
        if (!document.second_document.is_null())
            reporter.error(document.second_document, "expected one YAML document, found more");
        RuleCompiler(compilation, file).root(document.root, *policy);
    } catch (const YAML::Exception& e) {
        // ParserException and friends: the position is in the mark, not the message.
        reporter.error(e.mark, "YAML syntax error: " + e.msg);
    }
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const settings::Diagnostic& a, const settings::Diagnostic& b) {
                         return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
                     });
    if (!result.diagnostics.empty()) return result;
    add_list_files(lists, file, sources);
    policy->sources = std::move(sources);
    result.policy = std::move(policy);
    return result;
}

}  // namespace

CompileResult compile_policy(const std::string& yaml, const std::string& file, const std::string& base_dir,
                             const CompileOptions& options) {
    return compile(yaml, file, base_dir, options, {});
}

CompileResult compile_policy_file(const std::string& path, const CompileOptions& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        CompileResult result;
        result.diagnostics.push_back({path, 0, 0, "cannot read the policy file"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return compile(text.str(), path, directory_of(path), options, {absolute_path(path)});
}

}  // namespace mxgate::policy::rules
