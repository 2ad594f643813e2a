// Every mistake the compiler reports, with its exact file:line:column and hint,
// in the style of the bad-config fixtures: the text in, the messages out.
#include <gtest/gtest.h>

#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using Errors = std::vector<std::string>;

TEST(PolicyCompileErrors, UnknownKeysGetADidYouMean) {
    EXPECT_EQ(errors("rules:\n  - name: r\n    whne: {trusted: true}\n    then: {accept: true}\n"),
              Errors{"policy.yaml:3:5: unknown key 'whne' in rules[0]; did you mean 'when'?"});
    EXPECT_EQ(errors(rejecting("{client_pi: 10.0.0.0/8}")),
              Errors{"policy.yaml:3:12: unknown key 'client_pi' in rules[0].when; did you mean 'client_ip'?"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {rejct: true}\n"),
              Errors{"policy.yaml:3:12: unknown key 'rejct' in rules[0].then; did you mean 'reject'?"});
    EXPECT_EQ(errors("rule:\n  - name: r\n"),
              (Errors{"policy.yaml:1:1: unknown key 'rule' at the top level; did you mean 'rules'?",
                      "policy.yaml:1:1: missing key 'rules'"}));
}

TEST(PolicyCompileErrors, WrongTypes) {
    EXPECT_EQ(errors(rejecting("{fcrdns: maybe}")),
              Errors{"policy.yaml:3:20: rules[0].when.fcrdns: expected true or false, got \"maybe\""});
    EXPECT_EQ(errors(rejecting("{client_ip: {a: b}}")),
              (Errors{"policy.yaml:3:23: rules[0].when.client_ip: missing key 'list'",
                      "policy.yaml:3:24: unknown key 'a' in rules[0].when.client_ip"}));
    EXPECT_EQ(
        errors(rejecting("{size: 10MiB}")),
        Errors{"policy.yaml:3:18: rules[0].when.size: expected a map of at_least and/or less_than, got \"10MiB\""});
    EXPECT_EQ(errors(rejecting("{recipient_count: {at_least: many}}")),
              Errors{"policy.yaml:3:40: rules[0].when.recipient_count.at_least: expected a whole number from 0 to "
                     "1000000, got \"many\""});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {score: lots}\n"),
              Errors{"policy.yaml:3:19: rules[0].then.score: expected a whole number like 5 or -3, from -1000000 "
                     "to 1000000, got \"lots\""});
    EXPECT_EQ(errors("rules: {name: r}\n"), Errors{"policy.yaml:1:8: rules: expected a list of rules, got a map"});
}

TEST(PolicyCompileErrors, BadNetworks) {
    EXPECT_EQ(errors(rejecting("{client_ip: [10.0.0.0/8, 10.1.2.3/8, 300.1.1.1]}")),
              (Errors{"policy.yaml:3:36: rules[0].when.client_ip: \"10.1.2.3/8\" has bits set after the /8 prefix; "
                      "did you mean \"10.0.0.0/8\"?",
                      "policy.yaml:3:48: rules[0].when.client_ip: expected a network like \"192.0.2.0/24\", "
                      "\"2001:db8::/32\" or an address, got \"300.1.1.1\""}));
}

TEST(PolicyCompileErrors, BadRegexesSayWhatRe2Says) {
    EXPECT_EQ(errors(rejecting("{sender: {regex: 'a(b'}}")),
              Errors{"policy.yaml:3:28: rules[0].when.sender.regex: bad regex \"a(b\": missing ): a(b"});
    EXPECT_EQ(errors(rejecting("{header: {name: Subject, regex: ['ok', '(?P<x']}}")),
              Errors{"policy.yaml:3:50: rules[0].when.header.regex: bad regex \"(?P<x\": invalid named capture "
                     "group: (?P<x"});
}

TEST(PolicyCompileErrors, UnknownResultNames) {
    EXPECT_EQ(errors(rejecting("{spf: pss}")),
              Errors{"policy.yaml:3:17: rules[0].when.spf: unknown result 'pss'; did you mean 'pass'?"});
    EXPECT_EQ(errors(rejecting("{dkim: {result: [pass, policyy]}}")),
              Errors{"policy.yaml:3:34: rules[0].when.dkim.result: unknown result 'policyy'; did you mean 'policy'?"});
    EXPECT_EQ(
        errors(rejecting("{greylist: deferred}")),
        Errors{"policy.yaml:3:22: rules[0].when.greylist: unknown result 'deferred' (known: pass, defer, skipped, "
               "temperror)"});
    EXPECT_EQ(errors(rejecting("{dmarc: quarantine}")),
              Errors{"policy.yaml:3:19: rules[0].when.dmarc: unknown result 'quarantine' (known: pass, fail, none, "
                     "temperror, permerror, skipped)"});
}

TEST(PolicyCompileErrors, ReplyCodesOfTheWrongClass) {
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {reject: {code: 451, enhanced: 4.7.1}}\n"),
              (Errors{"policy.yaml:3:27: rules[0].then.reject.code: expected 5xx for reject, got 451 (a 4xx code is "
                      "a tempfail)",
                      "policy.yaml:3:42: rules[0].then.reject.enhanced: expected an enhanced code of class 5 for "
                      "reject, got \"4.7.1\""}));
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {tempfail: {code: 550}}\n"),
              Errors{"policy.yaml:3:29: rules[0].then.tempfail.code: expected 4xx for tempfail, got 550 (a 5xx code "
                     "is a reject)"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {disconnect: {code: 451}}\n"),
              Errors{"policy.yaml:3:31: rules[0].then.disconnect.code: expected 421 for disconnect (RFC 5321 §3.8), "
                     "got 451"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {reject: {enhanced: 5.7}}\n"),
              Errors{"policy.yaml:3:31: rules[0].then.reject.enhanced: expected an enhanced status code like "
                     "\"5.7.1\" (RFC 3463), got \"5.7\""});
}

TEST(PolicyCompileErrors, UnknownListsAndOneEndingActionPerRule) {
    EXPECT_EQ(errors("lists:\n  internal: {values: [10.0.0.0/8]}\n" + rejecting("{client_ip: {list: intrenal}}")),
              Errors{"policy.yaml:5:30: rules[0].when.client_ip.list: unknown list 'intrenal'; did you mean "
                     "'internal'?"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {accept: true, reject: true}\n"),
              Errors{"policy.yaml:3:26: rules[0].then: 'reject' and 'accept' both end the rule; keep one"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {accept: false}\n"),
              Errors{"policy.yaml:3:20: rules[0].then.accept: expected true, got \"false\""});
}

TEST(PolicyCompileErrors, UnreachableRulesAfterAnUnconditionalEnd) {
    const std::string yaml = R"(rules:
  - name: everyone
    then: {tempfail: true}
  - name: never-here
    when: {client_ip: 10.0.0.0/8}
    then: {accept: true}
  - name: nor-later
    when: {sender: example.org}
    then: {reject: true}
)";
    EXPECT_EQ(errors(yaml),
              (Errors{"policy.yaml:4:5: rule 'never-here' is unreachable: rule 'everyone' (line 2) has no conditions "
                      "and ends evaluation at connect; move this rule above it or give that rule a 'when'",
                      "policy.yaml:7:5: rule 'nor-later' is unreachable: rule 'everyone' (line 2) has no conditions "
                      "and ends evaluation at connect; move this rule above it or give that rule a 'when'"}));
    // An unconditional stop hides the rest of its stage only; a monitored rule hides nothing.
    EXPECT_TRUE(
        errors("rules:\n  - name: a\n    then: {stop: true}\n" + rejecting("{sender: example.org}").substr(7)).empty());
    EXPECT_TRUE(errors("rules:\n  - name: a\n    monitor: true\n    then: {reject: true}\n" +
                       rejecting("{trusted: false}").substr(7))
                    .empty());
}

TEST(PolicyCompileErrors, DuplicateNamesStagesTooEarlyAndSyntax) {
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {score: 1}\n  - name: r\n    then: {score: 2}\n"),
              Errors{"policy.yaml:4:11: rules[1].name: duplicate rule name 'r' (first on line 2)"});
    EXPECT_EQ(errors(rejecting("{sender: example.org}\n    stage: helo")),
              Errors{"policy.yaml:4:12: rules[0].stage: expected a stage from mail_from on: its sender condition is "
                     "not known at helo"});
    EXPECT_EQ(errors("rules: [\n"), Errors{"policy.yaml:2:1: YAML syntax error: end of sequence flow not found"});
    // yaml-cpp 0.7's LoadAll loops forever on this one (jbeder/yaml-cpp#1040).
    EXPECT_EQ(errors(",rules: []\n"),
              Errors{"policy.yaml:1:1: YAML syntax error: the parser cannot read past this point"});
    EXPECT_EQ(errors("rules: []\n---\nrules: []\n"), Errors{"policy.yaml:2:1: expected one YAML document, found more"});
}

TEST(PolicyCompileErrors, EmptyValuesArePointedAtByTheirKey) {
    EXPECT_EQ(errors("rules:\n  - name: r\n    when:\n      sender:\n    then: {score: 1}\n"),
              Errors{"policy.yaml:4:7: rules[0].when.sender: expected a value (one, or a list), got nothing"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    when:\n      not: {}\n    then: {score: 1}\n"),
              Errors{"policy.yaml:4:12: rules[0].when.not: expected a map of conditions, got an empty map"});
    EXPECT_EQ(errors("rules:\n  -\n  - name: x\n    then: {stop: true}\n"),
              Errors{"policy.yaml:2:3: rules[0]: expected a rule (a map with name, when, then), got nothing"});
    EXPECT_EQ(errors("rules:\n  - name: r\n    when:\n    then:\n"),
              Errors{"policy.yaml:4:5: rules[0].then: expected at least one action (accept, reject, tempfail, "
                     "disconnect, quarantine, stop, score, add_header, skip, route)"});
}

TEST(PolicyCompileErrors, SkipAndRouteAreCheckedWhenTheNamesAreKnown) {
    CompileOptions options;
    options.known_filters = {"greylist", "dnsbl", "spf"};
    options.known_backends = {"mailstore"};
    EXPECT_EQ(errors("rules:\n  - name: r\n    then: {skip: [greylst], route: mailstor}\n", ".", options),
              (Errors{"policy.yaml:3:19: rules[0].then.skip: unknown filter 'greylst'; did you mean 'greylist'?",
                      "policy.yaml:3:36: rules[0].then.route: unknown backend 'mailstor'; did you mean 'mailstore'?"}));
    EXPECT_TRUE(errors("rules:\n  - name: r\n    then: {skip: [anything], route: any}\n").empty());
}

TEST(PolicyCompileErrors, MonitorFiltersNamesFiltersOfTheRegistry) {
    CompileOptions options;
    options.known_filters = {"greylist", "dnsbl", "spf"};
    EXPECT_EQ(errors("monitor_filters: [spf, greylst]\nrules: []\n", ".", options),
              Errors{"policy.yaml:1:24: monitor_filters: unknown filter 'greylst'; did you mean 'greylist'?"});
    const auto policy = compile_policy("monitor_filters: greylist\nrules: []\n", "policy.yaml", ".", options).policy;
    ASSERT_TRUE(policy);
    EXPECT_EQ(policy->monitored_filters, std::vector<std::string>{"greylist"});
}

}  // namespace
}  // namespace mxgate::policy::rules::test
