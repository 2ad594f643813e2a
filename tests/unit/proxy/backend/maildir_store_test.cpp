// The built-in Maildir store against a temporary directory: delivery to two
// mailboxes, refused mailbox names, file system failures and aborted
// transactions leaving nothing behind.
#include "proxy/backend/maildir_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "proxy/backend/backend.hpp"

namespace mxgate::backend {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

class MaildirStore : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/mxgate-maildir-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = pattern;
        auto config = std::make_shared<config::Config>();
        config::Backend backend;
        backend.name = "local";
        backend.kind = config::BackendKind::maildir;
        backend.path = root_.string() + "/";
        config->backends[backend.name] = backend;
        config_ = config;
    }
    void TearDown() override { fs::remove_all(root_); }

    const config::Backend& backend() const { return config_->backends.at("local"); }

    std::unique_ptr<Transaction> open(const std::string& sender = "alice@example.org") {
        Envelope envelope;
        const auto at = sender.find('@');
        envelope.sender = core::Address{sender.substr(0, at), sender.substr(at + 1)};
        return pool_.open(config_, backend(), nullptr, ClientInfo{}, envelope);
    }

    // Runs `body` as a coroutine on the worker's io_context until it finishes.
    template <class Body>
    void run(Body body) {
        bool finished = false;
        asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
            finished = true;
            if (e) std::rethrow_exception(e);
        });
        io_.restart();
        io_.run();
        ASSERT_TRUE(finished);
    }

    static std::vector<fs::path> files(const fs::path& dir) {
        std::vector<fs::path> out;
        if (!fs::exists(dir)) return out;
        for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
        return out;
    }
    static std::string slurp(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    std::size_t count_all_files() const {
        std::size_t n = 0;
        for (const auto& entry : fs::recursive_directory_iterator(root_))
            if (entry.is_regular_file()) ++n;
        return n;
    }

    fs::path root_;
    std::shared_ptr<const config::Config> config_;
    asio::io_context io_;
    BackendPool pool_{io_};
};

Recipient rcpt(const std::string& local, const std::string& domain) {
    return Recipient{core::Address{local, domain}, {}};
}

TEST_F(MaildirStore, DeliversToTwoMailboxes) {
    const std::thread::id worker = std::this_thread::get_id();
    core::Reply final_reply;
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        {
            const Recipient r = rcpt("Bob", "Example.NET");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        {
            const Recipient r = rcpt("carol", "example.net");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        {
            const Recipient r = rcpt("BOB", "example.net");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);  // same mailbox: one copy
        }
        {
            const core::Reply reply = co_await tx->begin_data();
            EXPECT_EQ(reply.code, 354);
        }
        // Chunks split a CRLF and a stuffed dot.
        EXPECT_TRUE(co_await tx->write("Subject: hi\r\n\r\n."));
        EXPECT_TRUE(co_await tx->write(".leading dot\r"));
        EXPECT_TRUE(co_await tx->write("\nlast line\r\n"));
        final_reply = co_await tx->end_data();
        EXPECT_EQ(std::this_thread::get_id(), worker);  // back on the worker after the disk thread
    });
    ASSERT_EQ(final_reply.code, 250);
    EXPECT_EQ(final_reply.enhanced, "2.0.0");

    // RFC 5321 §4.4: the final delivery adds Return-Path: first.
    const std::string expected = "Return-Path: <alice@example.org>\nSubject: hi\n\n.leading dot\nlast line\n";
    for (const char* local : {"bob", "carol"}) {
        const fs::path mailbox = root_ / "example.net" / local;
        const auto delivered = files(mailbox / "new");
        ASSERT_EQ(delivered.size(), 1u) << local;
        EXPECT_EQ(slurp(delivered[0]), expected);
        EXPECT_EQ(final_reply.lines[0], "Ok: delivered as " + delivered[0].filename().string());
        EXPECT_NE(delivered[0].filename().string().find(",S=" + std::to_string(expected.size())), std::string::npos);
        EXPECT_TRUE(files(mailbox / "tmp").empty());
        EXPECT_TRUE(fs::is_directory(mailbox / "cur"));
        struct stat st {};
        ASSERT_EQ(::stat(delivered[0].c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        ASSERT_EQ(::stat(mailbox.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0700u);
    }
}

TEST_F(MaildirStore, RefusesUnsafeMailboxNames) {
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        for (const auto& [local, domain] : std::vector<std::pair<std::string, std::string>>{
                 {"", "example.net"},
                 {".", "example.net"},
                 {"..", "example.net"},
                 {".hidden", "example.net"},
                 {"a/b", "example.net"},
                 {std::string("a\0b", 3), "example.net"},
                 {"bob", ".."},
                 {"bob", ""},
                 {"bob", "a/b"},
                 {"\"..\"", "example.net"},      // quoted: the name is still ".."
                 {"\"a/b\"", "example.net"},
                 {"\"../../escape\"", "example.net"},
                 {"\"\\.hidden\"", "example.net"},
             }) {
            const Recipient r = rcpt(local, domain);
            core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 550) << local << "@" << domain;
            EXPECT_EQ(reply.enhanced, "5.1.1");
        }
        {
            const core::Reply reply = co_await tx->begin_data();
            EXPECT_EQ(reply.code, 554);  // nothing was accepted
        }
    });
    EXPECT_EQ(count_all_files(), 0u);
    EXPECT_TRUE(valid_mailbox_component("bob.smith"));
    EXPECT_TRUE(valid_mailbox_component("\"quoted name\""));
}

TEST_F(MaildirStore, QuotedLocalPartIsTheSameMailbox) {
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        const Recipient quoted = rcpt("\"Bob\"", "example.net");
        const Recipient plain = rcpt("bob", "example.net");
        core::Reply reply = co_await tx->add_recipient(quoted);
        EXPECT_EQ(reply.code, 250);
        reply = co_await tx->add_recipient(plain);
        EXPECT_EQ(reply.code, 250);
        reply = co_await tx->begin_data();
        EXPECT_EQ(reply.code, 354);
        EXPECT_TRUE(co_await tx->write("x\r\n"));
        reply = co_await tx->end_data();
        EXPECT_EQ(reply.code, 250);
    });
    EXPECT_EQ(files(root_ / "example.net" / "bob" / "new").size(), 1u);
    EXPECT_EQ(count_all_files(), 1u);
}

TEST_F(MaildirStore, MailboxListExistingFoldersAndNewFolderCap) {
    auto config = std::make_shared<config::Config>(*config_);
    config::Backend& b = config->backends.at("local");
    b.mailboxes = {"alice", "bob@example.net"};
    b.max_new_mailboxes_per_message = 1;
    config_ = config;
    fs::create_directories(root_ / "example.net" / "alice");
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        const std::vector<std::pair<std::string, int>> answers{
            {"alice@example.net", 250},   // listed, folder exists: no new folder
            {"bob@example.net", 250},     // listed, the one new folder
            {"alice@example.com", 452},   // listed local part, but a second new folder
            {"bob@example.com", 550},     // bob is listed for example.net only
            {"carol@example.net", 550}};
        for (const auto& [address, code] : answers) {
            const auto at = address.find('@');
            const core::Reply reply = co_await tx->add_recipient(rcpt(address.substr(0, at), address.substr(at + 1)));
            EXPECT_EQ(reply.code, code) << address;
        }
    });
    b.create_mailboxes = false;
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        EXPECT_EQ((co_await tx->add_recipient(rcpt("alice", "example.net"))).code, 250);
        EXPECT_EQ((co_await tx->add_recipient(rcpt("bob", "example.net"))).code, 550) << "no folder, none created";
    });
    EXPECT_FALSE(fs::exists(root_ / "example.net" / "bob"));
}

TEST_F(MaildirStore, RootNotADirectory) {
    // Running as root ignores permissions, so break the tree with a file.
    const fs::path file_root = root_ / "not-a-dir";
    std::ofstream(file_root) << "x";
    auto config = std::make_shared<config::Config>(*config_);
    config->backends["local"].path = file_root.string();
    config_ = config;
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        {
            const Recipient r = rcpt("bob", "example.net");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        core::Reply reply = co_await tx->begin_data();
        EXPECT_EQ(reply.code, 451);
        EXPECT_EQ(reply.enhanced, "4.3.0");
        EXPECT_FALSE(co_await tx->write("x\r\n"));
        {
            const core::Reply reply = co_await tx->end_data();
            EXPECT_EQ(reply.code, 451);
        }
    });
}

TEST_F(MaildirStore, FailureInSecondMailboxLeavesNothing) {
    // The first mailbox works; the second recipient's domain directory is a file.
    std::ofstream(root_ / "broken.example") << "x";
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        {
            const Recipient r = rcpt("bob", "example.net");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        {
            const Recipient r = rcpt("eve", "broken.example");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        {
            const core::Reply reply = co_await tx->begin_data();
            EXPECT_EQ(reply.code, 354);
        }
        EXPECT_TRUE(co_await tx->write("Subject: x\r\n\r\nbody\r\n"));
        core::Reply reply = co_await tx->end_data();
        EXPECT_EQ(reply.code, 451);
        EXPECT_EQ(reply.enhanced, "4.3.0");
    });
    EXPECT_TRUE(files(root_ / "example.net" / "bob" / "new").empty());
    EXPECT_TRUE(files(root_ / "example.net" / "bob" / "tmp").empty());
    EXPECT_EQ(count_all_files(), 1u);  // only the planted file
}

TEST_F(MaildirStore, AbortedTransactionLeavesNothing) {
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        {
            const Recipient r = rcpt("bob", "example.net");
            const core::Reply reply = co_await tx->add_recipient(r);
            EXPECT_EQ(reply.code, 250);
        }
        {
            const core::Reply reply = co_await tx->begin_data();
            EXPECT_EQ(reply.code, 354);
        }
        EXPECT_TRUE(co_await tx->write("partial\r\n"));
        EXPECT_EQ(files(root_ / "example.net" / "bob" / "tmp").size(), 1u);  // written as it arrives
        tx.reset();  // the client went away
    });
    EXPECT_TRUE(files(root_ / "example.net" / "bob" / "tmp").empty());
    EXPECT_TRUE(files(root_ / "example.net" / "bob" / "new").empty());
    EXPECT_EQ(count_all_files(), 0u);
}

TEST_F(MaildirStore, UniqueNames) {
    const std::string a = maildir_unique_name();
    const std::string b = maildir_unique_name();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find('/'), std::string::npos);
    EXPECT_EQ(a.find(':'), std::string::npos);
    EXPECT_NE(a.find(".M"), std::string::npos);
    EXPECT_NE(a.find("P" + std::to_string(::getpid()) + "Q"), std::string::npos);
}

}  // namespace
}  // namespace mxgate::backend
