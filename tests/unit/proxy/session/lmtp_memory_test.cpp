#include "proxy/session/lmtp_memory.hpp"

#include <gtest/gtest.h>

namespace mxgate::session {
namespace {

using core::make_reply;

const core::Reply ok = make_reply(250, "2.0.0", "<a@example.net> Saved");
const core::Reply ok_other_text = make_reply(250, "2.0.0", "<b@example.net> Saved");
const core::Reply unknown_user = make_reply(550, "5.1.1", "User doesn't exist");
const core::Reply over_quota = make_reply(552, "5.2.2", "Quota exceeded");
const core::Reply try_later = make_reply(451, "4.3.0", "Temporary failure");

TEST(CombineReplies, AgreeingAnswersPassOnTheFirst) {
    LmtpOutcome all_ok = combine_replies({ok, ok_other_text});
    EXPECT_FALSE(all_ok.mixed);
    EXPECT_EQ(all_ok.reply.wire(), ok.wire()) << "texts differ, classes agree";
    LmtpOutcome all_refused = combine_replies({unknown_user, over_quota});
    EXPECT_FALSE(all_refused.mixed) << "every recipient refused for good: the client bounces them all";
    EXPECT_EQ(all_refused.reply.code, 550);
    EXPECT_EQ(combine_replies({try_later}).reply.code, 451);
}

TEST(CombineReplies, DifferingAnswersAre451NeverA250) {
    for (const auto& replies : std::vector<std::vector<core::Reply>>{
             {ok, unknown_user}, {unknown_user, ok}, {ok, try_later}, {try_later, unknown_user}, {ok, ok, over_quota}}) {
        LmtpOutcome outcome = combine_replies(replies);
        EXPECT_TRUE(outcome.mixed);
        EXPECT_EQ(outcome.reply.code, 451);
        EXPECT_EQ(outcome.reply.enhanced, "4.3.0");
    }
}

TEST(CombineReplies, NoReplyIsAFailure) { EXPECT_EQ(combine_replies({}).reply.code, 451); }

TEST(AdmitLmtpRecipient, FirstRecipientSetsTheMode) {
    EXPECT_EQ(admit_lmtp_recipient(0, LmtpMode::shared, false).mode, LmtpMode::shared);
    EXPECT_EQ(admit_lmtp_recipient(0, LmtpMode::shared, true).mode, LmtpMode::alone_remembered);
    EXPECT_EQ(admit_lmtp_recipient(0, LmtpMode::shared, std::nullopt).mode, LmtpMode::alone_unknown);
    for (auto mixed : {std::optional<bool>(false), std::optional<bool>(true), std::optional<bool>()})
        EXPECT_TRUE(admit_lmtp_recipient(0, LmtpMode::shared, mixed).take);
    // A first recipient the backend refused left no transaction behind: decide afresh.
    EXPECT_EQ(admit_lmtp_recipient(0, LmtpMode::alone_remembered, false).mode, LmtpMode::shared);
}

TEST(AdmitLmtpRecipient, LaterRecipientsJoinOnlyAFreshSharedTransaction) {
    LmtpAdmission joins = admit_lmtp_recipient(3, LmtpMode::shared, false);
    EXPECT_TRUE(joins.take);
    EXPECT_EQ(joins.mode, LmtpMode::shared);
    EXPECT_FALSE(admit_lmtp_recipient(3, LmtpMode::shared, true).take) << "remembered: its own transaction";
    EXPECT_FALSE(admit_lmtp_recipient(3, LmtpMode::shared, std::nullopt).take) << "store down: its own transaction";
    EXPECT_FALSE(admit_lmtp_recipient(1, LmtpMode::alone_remembered, false).take);
    EXPECT_FALSE(admit_lmtp_recipient(1, LmtpMode::alone_unknown, false).take);
    EXPECT_EQ(admit_lmtp_recipient(1, LmtpMode::alone_unknown, false).mode, LmtpMode::alone_unknown);
}

TEST(LmtpKeys, NameSenderRecipientAndDigest) {
    EXPECT_EQ(mixed_outcome_key("s@example.com", "a@example.net"), "lmtp:mixed:13:s@example.com|a@example.net");
    EXPECT_EQ(mixed_outcome_key("", "a@example.net"), "lmtp:mixed:0:|a@example.net") << "null sender";
    // The sender's length keeps sender and recipient apart whatever a quoted local part holds.
    EXPECT_NE(mixed_outcome_key("\"a|b\"@x", "c@y"), mixed_outcome_key("\"a", "b\"@x|c@y"));
    // The digest has a fixed length at the end: nothing in the address can shift it.
    EXPECT_EQ(delivered_key("a@example.net", "abc"), "lmtp:has:a@example.net|abc");
}

std::string digest_of(std::string_view sender, std::initializer_list<std::string_view> parts) {
    ContentDigest digest(sender);
    for (auto part : parts) digest.update(part);
    return digest.hex();
}

TEST(ContentDigest, Sha256OfSenderAndContent) {
    // sha256("13:s@example.com" "Subject: x\r\n\r\nhi\r\n"), computed with sha256sum.
    EXPECT_EQ(digest_of("s@example.com", {"Subject: x\r\n\r\nhi\r\n"}),
              "fd6ea56475e9ccb7776ab5ef77229342935d85027d07ea76c4c035ab5fc45b72");
    EXPECT_EQ(digest_of("s@example.com", {"Subject: x\r\n", "\r\nhi\r\n"}),
              digest_of("s@example.com", {"Subject: x\r\n\r\nhi\r\n"}))
        << "however the content is split";
    EXPECT_NE(digest_of("t@example.com", {"Subject: x\r\n\r\nhi\r\n"}),
              digest_of("s@example.com", {"Subject: x\r\n\r\nhi\r\n"}))
        << "another sender, another digest";
    EXPECT_NE(digest_of("ab", {"c"}), digest_of("a", {"bc"})) << "the sender's end is not the content's start";
}

}  // namespace
}  // namespace mxgate::session
