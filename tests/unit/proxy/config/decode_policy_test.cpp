// The policy section (config.hpp Policy): the file is compiled at load, its
// diagnostics keep the policy file's own file:line:column, a missing file is an
// error at the `file:` key, and watch_interval takes 0 (off) or a duration.
#include <gtest/gtest.h>

#include <string>

#include "policy/rules/compiled_policy.hpp"
#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate::config::test {
namespace {

const std::string block_rule =
    "rules:\n"
    "  - name: block-test\n"
    "    when: {client_ip: 127.0.0.1/32}\n"
    "    then: {reject: {code: 554, text: \"blocked by test\"}}\n";

// The minimal config plus a policy section from line 7 on.
std::string with_policy(const std::string& section) { return minimal + "policy:\n" + section; }

// The config as if it were dir/mxgate.yaml, whose one error is expected.
void expect_one_error(const TempDir& dir, const std::string& section, const std::string& expected) {
    const Parsed p = parse(with_policy(section), dir.file("mxgate.yaml"));
    EXPECT_EQ(p.config, nullptr);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors.front(), expected);
}

TEST(ConfigPolicy, AbsentMeansNoPolicyFile) {
    const Parsed p = parse(minimal);
    ASSERT_NE(p.config, nullptr);
    EXPECT_EQ(p.config->policy.file, "");
    EXPECT_EQ(p.config->policy.watch_interval, std::chrono::seconds(2));
    EXPECT_EQ(p.config->policy.compiled, nullptr);
    EXPECT_TRUE(p.config->policy.stamps.empty());
}

TEST(ConfigPolicy, FileIsCompiledRelativeToTheConfigFolder) {
    TempDir dir;
    dir.write("policy.yaml", "lists:\n  blocked: {file: lists/blocked.txt}\n" + block_rule +
                                 "  - name: listed\n    when: {client_ip: {list: blocked}}\n"
                                 "    then: {tempfail: {}}\n");
    dir.write("lists/blocked.txt", "192.0.2.0/24\n");
    const Parsed p = parse(with_policy("  file: policy.yaml\n"), dir.file("mxgate.yaml"));
    ASSERT_NE(p.config, nullptr) << (p.errors.empty() ? "" : p.errors.front());
    EXPECT_EQ(p.config->policy.file, dir.file("policy.yaml"));
    ASSERT_NE(p.config->policy.compiled, nullptr);
    EXPECT_EQ(p.config->policy.compiled->rules.size(), 2u);
    // What the watcher compares: the policy and its list file, absolute, as read.
    EXPECT_EQ(p.config->policy.compiled->sources,
              (std::vector<std::string>{dir.file("policy.yaml"), dir.file("lists/blocked.txt")}));
    ASSERT_EQ(p.config->policy.stamps.size(), 2u);
    EXPECT_TRUE(p.config->policy.stamps[1].exists);
    EXPECT_EQ(p.config->policy.stamps[1].size, 13u);
}

TEST(ConfigPolicy, PolicyErrorsKeepThePolicyFilesLocation) {
    TempDir dir;
    dir.write("policy.yaml", block_rule + "  - name: typo\n    when: {sender: a@example.org}\n    then: {rejct: {}}\n");
    expect_one_error(dir, "  file: policy.yaml\n",
                     dir.file("policy.yaml") + ":7:12: unknown key 'rejct' in rules[1].then; did you mean 'reject'?");
}

TEST(ConfigPolicy, RouteMustNameOneOfTheConfigsBackends) {
    TempDir dir;
    dir.write("policy.yaml", "rules:\n  - name: r\n    when: {sender: a@example.org}\n    then: {route: locl}\n");
    const Parsed p = parse(with_policy("  file: policy.yaml\n"), dir.file("mxgate.yaml"));
    EXPECT_EQ(p.config, nullptr);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_NE(p.errors.front().find(dir.file("policy.yaml") + ":4:"), std::string::npos) << p.errors.front();
    EXPECT_NE(p.errors.front().find("'local'"), std::string::npos) << p.errors.front();
}

TEST(ConfigPolicy, ConfigErrorsComeBeforeThePolicys) {
    TempDir dir;
    dir.write("policy.yaml", "rules: 3\n");
    const Parsed p =
        parse(minimal + "policy:\n  file: policy.yaml\nlimits: {max_errors: 0}\n", dir.file("mxgate.yaml"));
    ASSERT_EQ(p.errors.size(), 2u);
    EXPECT_EQ(p.errors[0].rfind(dir.file("mxgate.yaml") + ":9:", 0), 0u) << p.errors[0];
    EXPECT_EQ(p.errors[1].rfind(dir.file("policy.yaml") + ":1:", 0), 0u) << p.errors[1];
}

TEST(ConfigPolicy, MissingFileIsAnErrorAtTheFileKey) {
    TempDir dir;
    expect_one_error(
        dir, "  file: nope.yaml\n",
        dir.file("mxgate.yaml") + ":8:9: policy.file: cannot read \"nope.yaml\": No such file or directory");
}

TEST(ConfigPolicy, WatchInterval) {
    EXPECT_EQ(parse(with_policy("  watch_interval: 0\n")).config->policy.watch_interval, Duration::zero());
    EXPECT_EQ(parse(with_policy("  watch_interval: 0s\n")).config->policy.watch_interval, Duration::zero());
    EXPECT_EQ(parse(with_policy("  watch_interval: 200ms\n")).config->policy.watch_interval,
              std::chrono::milliseconds(200));
    const std::string what = "policy.watch_interval: expected 0 (off) or a duration from 100ms to 1h with a unit "
                             "(ms, s, m, h) like \"2s\", got ";
    expect_error(with_policy("  watch_interval: 5\n"), "t.yaml:8:19: " + what + "\"5\"");
    expect_error(with_policy("  watch_interval: 10ms\n"), "t.yaml:8:19: " + what + "\"10ms\"");
    expect_error(with_policy("  watch_interval: 2h\n"), "t.yaml:8:19: " + what + "\"2h\"");
    expect_error(with_policy("  watch_intervall: 2s\n"),
                 "t.yaml:8:3: unknown key 'watch_intervall' in policy; did you mean 'watch_interval'?");
}

TEST(ConfigPolicy, SurvivesTheDump) {
    TempDir dir;
    dir.write("policy.yaml", block_rule);
    const Parsed first = parse(with_policy("  file: policy.yaml\n  watch_interval: 0\n"), dir.file("mxgate.yaml"));
    ASSERT_NE(first.config, nullptr) << (first.errors.empty() ? "" : first.errors.front());
    const std::string dumped = dump_config(*first.config);
    EXPECT_NE(dumped.find("policy:\n  file: \"" + dir.file("policy.yaml") + "\"\n  watch_interval: 0\n"),
              std::string::npos)
        << dumped;
    const Parsed second = parse(dumped);
    ASSERT_NE(second.config, nullptr) << (second.errors.empty() ? "" : second.errors.front()) << "\n" << dumped;
    EXPECT_EQ(second.config->policy, first.config->policy);
    EXPECT_NE(second.config->policy.compiled, nullptr);
}

}  // namespace
}  // namespace mxgate::config::test
