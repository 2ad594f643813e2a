// Spool: memory first, an unlinked file beyond the limit, the same bytes back,
// and errors as values (no directory, a full disk).
#include "proxy/session/spool.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

namespace mxgate::session {
namespace {

std::string read_all(Spool& spool, std::size_t step) {
    std::string out;
    Spool::Reader parts(spool, step);
    for (std::string_view part = parts.next(); !part.empty(); part = parts.next()) out.append(part);
    return out;
}

std::string pattern(std::size_t size) {
    std::string text;
    for (std::size_t i = 0; text.size() < size; ++i) text += "line " + std::to_string(i) + "\r\n";
    text.resize(size);
    return text;
}

TEST(Spool, SmallMessagesStayInMemory) {
    Spool spool(1024, "/nonexistent");  // never touched
    ASSERT_TRUE(spool.append("Subject: x\r\n\r\n"));
    ASSERT_TRUE(spool.append("body\r\n"));
    EXPECT_FALSE(spool.on_disk());
    EXPECT_EQ(spool.size(), 20u);
    EXPECT_EQ(read_all(spool, 7), "Subject: x\r\n\r\nbody\r\n");
}

TEST(Spool, LargeMessagesSpillToAnUnlinkedFile) {
    const auto directory = std::filesystem::temp_directory_path();
    const std::string text = pattern(300 * 1024);
    Spool spool(64 * 1024, directory.string());
    for (std::size_t i = 0; i < text.size(); i += 10000) ASSERT_TRUE(spool.append(text.substr(i, 10000)));
    EXPECT_TRUE(spool.on_disk());
    EXPECT_EQ(spool.size(), text.size());
    EXPECT_EQ(read_all(spool, 64 * 1024), text);
    EXPECT_EQ(read_all(spool, 333), text);
    EXPECT_TRUE(spool_directory_problem(directory.string()).empty());
}

TEST(Spool, AMissingDirectoryIsAnErrorValue) {
    Spool spool(4, "/nonexistent/spool");
    EXPECT_FALSE(spool.append("more than four bytes"));
    EXPECT_TRUE(spool.failed());
    EXPECT_NE(spool.error().find("/nonexistent/spool"), std::string::npos) << spool.error();
    EXPECT_FALSE(spool.append("x")) << "a failed spool stays failed";
    EXPECT_FALSE(spool_directory_problem("/nonexistent/spool").empty());
}

TEST(Spool, AFullDiskIsAnErrorValue) {
    // RLIMIT_FSIZE stands in for a full disk: a write past it fails (EFBIG once
    // SIGXFSZ is ignored). Restored before the test ends.
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 128 * 1024;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    Spool spool(16 * 1024, std::filesystem::temp_directory_path().string());
    bool ok = true;
    const std::string chunk = pattern(32 * 1024);
    for (int i = 0; i < 8 && ok; ++i) ok = spool.append(chunk);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);
    EXPECT_FALSE(ok);
    EXPECT_TRUE(spool.failed());
    EXPECT_NE(spool.error().find("cannot write"), std::string::npos) << spool.error();
    EXPECT_EQ(read_all(spool, 1024), "") << "a failed spool reads back nothing, not a message with a hole";
}

}  // namespace
}  // namespace mxgate::session
