// Lists in files of their own (entries, comments, errors at their line in that
// file) and the stage each rule is derived to run at.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/policy/rules/policy_fixture.hpp"

namespace mxgate::policy::rules::test {
namespace {

using boost::asio::ip::make_address;
using core::Stage;
using Errors = std::vector<std::string>;

class PolicyListFiles : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("mxgate-policy-lists-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return (dir_ / name).string();
    }
    std::filesystem::path dir_;
};

TEST_F(PolicyListFiles, EntriesCommentsAndBlankLines) {
    write("nets.txt", "# office networks\n10.0.0.0/8   # HQ\n\n  2001:db8::/32\n");
    write("senders.txt", "boss@example.org\n.partner.example\n");
    const auto policy = compiled(R"(
lists:
  nets: {file: nets.txt}
  vip: {file: senders.txt}
rules:
  - name: office
    when: {client_ip: {list: nets}}
    then: {accept: true}
  - name: vip
    when: {sender: {list: vip}}
    then: {score: -5}
)",
                                 dir_.string());
    ASSERT_TRUE(policy);
    Facts f;
    f.client_ip = make_address("2001:db8::1");
    EXPECT_EQ(evaluate(*policy, Stage::connect, f).rule, "office");
    f.client_ip = make_address("192.0.2.1");
    EXPECT_EQ(evaluate(*policy, Stage::connect, f).rule, "");
    f.sender = address("x@mx.partner.example");
    EXPECT_EQ(evaluate(*policy, Stage::mail_from, f).score, -5);
    f.sender = address("boss@example.org");
    EXPECT_EQ(evaluate(*policy, Stage::mail_from, f).score, -5);
    f.sender = address("other@example.org");
    EXPECT_EQ(evaluate(*policy, Stage::mail_from, f).score, 0);
}

TEST_F(PolicyListFiles, ABadEntryIsReportedOnceAtItsLineInTheListFile) {
    const std::string file = write("nets.txt", "10.0.0.0/8\n\n  10.1.0.0/8 # typo\n");
    const std::string yaml =
        "lists:\n  nets: {file: nets.txt}\n"
        "rules:\n"
        "  - name: a\n    when: {client_ip: {list: nets}}\n    then: {score: 1}\n"
        "  - name: b\n    when: {client_ip: {list: nets}}\n    then: {score: 2}\n";
    EXPECT_EQ(errors(yaml, dir_.string()),
              Errors{file + ":3:3: list 'nets' (read by rules[0].when.client_ip.list): \"10.1.0.0/8\" has bits set "
                            "after the /8 prefix; did you mean "
                            "\"10.0.0.0/8\"?"});
}

TEST_F(PolicyListFiles, AMissingFileIsReportedWhereThePolicyNamesIt) {
    EXPECT_EQ(errors("lists:\n  nets: {file: absent.txt}\nrules: []\n", dir_.string()),
              Errors{"policy.yaml:2:16: lists.nets.file: cannot read '" + (dir_ / "absent.txt").string() +
                     "': No such file or directory"});
    EXPECT_EQ(errors("lists:\n  nets: {}\nrules: []\n", dir_.string()),
              Errors{"policy.yaml:2:3: lists.nets: expected exactly one of 'file' or 'values'"});
}

TEST_F(PolicyListFiles, AListIsCheckedForTheUseEachConditionMakesOfIt) {
    const std::string file = write("mixed.txt", "example.org\n192.0.2.0/24\n");
    const std::string yaml = "lists:\n  mixed: {file: mixed.txt}\n" + rejecting("{sender: {list: mixed}}");
    EXPECT_EQ(errors(yaml, dir_.string()),
              Errors{file + ":2:1: list 'mixed' (read by rules[0].when.sender.list): expected an address, a domain "
                            "like \"example.org\" "
                            "(\".example.org\" for its subdomains), \"<>\" or a glob, got \"192.0.2.0/24\""});
}

Stage stage_of(const std::string& when, const std::string& extra = "") {
    const auto policy = compiled(rejecting(when + extra));
    return policy ? policy->rules.front().stage : Stage::connect;
}

TEST(PolicyLists, AnEmptyValuesListIsOneToFillInLaterAndMatchesNothing) {
    const auto policy = compiled(R"(
lists:
  partners: {values: []}
rules:
  - name: r
    when: {client_ip: {list: partners}}
    then: {reject: true}
)");
    ASSERT_TRUE(policy);
    Facts f;
    f.client_ip = make_address("192.0.2.1");
    EXPECT_EQ(evaluate(*policy, Stage::connect, f).terminal, Terminal::none);
}

TEST(PolicyStages, ARuleRunsWhereEverythingItReadsIsKnown) {
    EXPECT_EQ(stage_of("{}"), Stage::connect);
    EXPECT_EQ(stage_of("{client_ip: 10.0.0.0/8, fcrdns: false, rdns: .example.org, trusted: false}"), Stage::connect);
    EXPECT_EQ(stage_of("{helo: localhost}"), Stage::helo);
    EXPECT_EQ(stage_of("{client_ip: 10.0.0.0/8, helo: localhost}"), Stage::helo);
    EXPECT_EQ(stage_of("{tls: false}"), Stage::mail_from);  // STARTTLS may follow the first EHLO
    EXPECT_EQ(stage_of("{sender: example.org}"), Stage::mail_from);
    EXPECT_EQ(stage_of("{spf: fail}"), Stage::mail_from);
    EXPECT_EQ(stage_of("{dnsbl: zen}"), Stage::mail_from);
    EXPECT_EQ(stage_of("{recipient: example.org}"), Stage::rcpt);
    EXPECT_EQ(stage_of("{dnswl: wl, greylist: defer}"), Stage::rcpt);
    EXPECT_EQ(stage_of("{any: [{client_ip: 10.0.0.0/8}, {not: {dkim: pass}}]}"), Stage::end_of_data);
    EXPECT_EQ(stage_of("{size: {at_least: 1MiB}}"), Stage::end_of_data);
    EXPECT_EQ(stage_of("{header: {name: Subject}}"), Stage::end_of_data);
    EXPECT_EQ(stage_of("{dmarc: fail}"), Stage::end_of_data);
    // A score is the sum so far at any stage, final only at the end of the data.
    EXPECT_EQ(stage_of("{score: {at_least: 5}}"), Stage::end_of_data);
    EXPECT_EQ(stage_of("{score: {at_least: 5}}", "\n    stage: rcpt"), Stage::rcpt);
    EXPECT_EQ(stage_of("{client_ip: 10.0.0.0/8}", "\n    stage: rcpt"), Stage::rcpt);  // later on purpose
}

TEST(PolicyStages, RulesAreIndexedByStageInFileOrder) {
    const auto policy = compiled(R"(
rules:
  - {name: a, when: {sender: example.org}, then: {score: 1}}
  - {name: b, when: {client_ip: 10.0.0.0/8}, then: {score: 1}}
  - {name: c, when: {sender: example.net}, then: {score: 1}}
)");
    ASSERT_TRUE(policy);
    EXPECT_EQ(policy->by_stage[static_cast<std::size_t>(Stage::mail_from)], (std::vector<std::uint32_t>{0, 2}));
    EXPECT_EQ(policy->by_stage[static_cast<std::size_t>(Stage::connect)], (std::vector<std::uint32_t>{1}));
}

}  // namespace
}  // namespace mxgate::policy::rules::test
