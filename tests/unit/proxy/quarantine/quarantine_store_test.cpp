// The quarantine folder against a temporary directory: an item is written whole
// or not at all, lists with filters, claims for release exactly once, and purge
// keeps what retention still covers.
#include "proxy/quarantine/quarantine_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace mxgate::quarantine {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

class QuarantineFolder : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mxgate-quarantine-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
    }
    void TearDown() override { fs::remove_all(root_); }

    Item quarantine(const std::string& sender, std::int64_t received,
                    std::string_view wire = "Subject: x\r\n\r\nbody\r\n") {
        QuarantineStore::Writer writer = store().begin();
        EXPECT_TRUE(writer.append(wire));
        Item item;
        item.received = received;
        item.sender = sender;
        item.recipients = {{"bob@example.net", "store", false}};
        item.rule = "filter.dmarc";
        item.reason = "dmarc fail for example.org";
        EXPECT_EQ(writer.commit(item), "");
        return item;
    }
    QuarantineStore store() const { return QuarantineStore(root_.string() + "/q"); }

    fs::path root_;
};

TEST_F(QuarantineFolder, ACommittedItemHasItsMessageUnstuffedAndItsMetadata) {
    const Item item = quarantine("alice@example.org", 100, "Subject: x\r\n\r\n..leading dot\r\nbody\r\n");
    const auto found = store().find(item.id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->item, item);
    EXPECT_EQ(found->state, ItemState::held);
    const std::string message = read(store().message_path(item.id, ItemState::held));
    EXPECT_EQ(message, "Subject: x\r\n\r\n.leading dot\r\nbody\r\n");
    EXPECT_EQ(item.size, message.size());
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "q").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(QuarantineFolder, AnUncommittedWriterLeavesNothing) {
    {
        QuarantineStore::Writer writer = store().begin();
        EXPECT_TRUE(writer.append("Subject: x\r\n\r\nbody\r\n"));
    }
    EXPECT_TRUE(store().list().empty());
    EXPECT_TRUE(fs::is_empty(root_ / "q" / "tmp"));
    EXPECT_TRUE(fs::is_empty(root_ / "q" / "meta"));
}

TEST_F(QuarantineFolder, ATornItemIsInvisibleAndPurgedAsAnOrphan) {
    const Item item = quarantine("alice@example.org", 100);
    // A crash after the metadata was renamed into place, before the message was:
    fs::rename(store().message_path(item.id, ItemState::held), root_ / "q" / "tmp" / item.id);
    EXPECT_TRUE(store().list().empty());
    EXPECT_FALSE(store().find(item.id));
    const auto long_after = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count() + 7200;
    EXPECT_TRUE(store().purge(long_after, std::chrono::hours(24 * 365 * 100)).empty());
    EXPECT_TRUE(fs::is_empty(root_ / "q" / "tmp"));
    EXPECT_TRUE(fs::is_empty(root_ / "q" / "meta"));
}

TEST_F(QuarantineFolder, AnUnusableFolderFailsAtBeginAndLeavesNothing) {
    fs::create_directory(root_ / "q");
    std::ofstream(root_ / "q" / "tmp") << "a file where the folder must be";  // fails even for root
    QuarantineStore::Writer writer = store().begin();
    EXPECT_NE(writer.error(), "");
    EXPECT_FALSE(writer.append("x\r\n"));
    Item item;
    EXPECT_NE(writer.commit(item), "");
    EXPECT_FALSE(fs::exists(root_ / "q" / "new") && !fs::is_empty(root_ / "q" / "new"));
    EXPECT_TRUE(store().list().empty());
}

TEST_F(QuarantineFolder, DirectoryProblems) {
    EXPECT_EQ(directory_problem(root_.string()), "");
    EXPECT_EQ(directory_problem((root_ / "new-one").string()), "");  // created on first use
    EXPECT_NE(directory_problem((root_ / "missing" / "q").string()), "");
    std::ofstream(root_ / "file") << "x";
    EXPECT_NE(directory_problem((root_ / "file").string()), "");
}

TEST_F(QuarantineFolder, ListFiltersAndOrdersByTime) {
    const Item late = quarantine("carol@example.org", 300);
    const Item early = quarantine("alice@example.org", 100);
    const auto all = store().list();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].item.id, early.id);
    EXPECT_EQ(all[1].item.id, late.id);
    const auto carol = store().list({.sender = "carol"});
    ASSERT_EQ(carol.size(), 1u);
    EXPECT_EQ(carol[0].item.id, late.id);
    EXPECT_EQ(store().list({.since = 200}).size(), 1u);
    EXPECT_EQ(store().list({.reason = "spf"}).size(), 0u);
}

TEST_F(QuarantineFolder, OnlyOneClaimWinsAndForceRetriesACrashedRelease) {
    const Item item = quarantine("alice@example.org", 100);
    EXPECT_EQ(store().claim(item.id, false), "");
    EXPECT_NE(store().claim(item.id, false), "");  // the second release
    EXPECT_EQ(store().find(item.id)->state, ItemState::releasing);
    EXPECT_EQ(store().list().size(), 1u);  // still listed, as releasing
    EXPECT_EQ(store().claim(item.id, true), "");
    EXPECT_EQ(store().unclaim(item.id), "");
    EXPECT_EQ(store().find(item.id)->state, ItemState::held);
    EXPECT_EQ(store().claim("no-such-id", true), "no such item");
    EXPECT_NE(store().claim("../escape", true), "");
}

TEST_F(QuarantineFolder, UpdateRecordsDeliveredRecipients) {
    Item item = quarantine("alice@example.org", 100);
    item.recipients[0].delivered = true;
    EXPECT_EQ(store().update(item), "");
    EXPECT_TRUE(store().find(item.id)->item.recipients[0].delivered);
}

TEST_F(QuarantineFolder, RemoveAndPurgeByRetention) {
    const Item old_one = quarantine("alice@example.org", 1000);
    const Item young = quarantine("bob@example.org", 1000 + 86400 * 20);
    const auto deleted = store().purge(1000 + 86400 * 31, std::chrono::hours(24 * 30));
    ASSERT_EQ(deleted.size(), 1u);
    EXPECT_EQ(deleted[0], old_one.id);
    EXPECT_FALSE(store().find(old_one.id));
    EXPECT_EQ(store().remove(young.id), "");
    EXPECT_TRUE(store().list().empty());
    EXPECT_NE(store().remove(young.id), "");
}

}  // namespace
}  // namespace mxgate::quarantine
