// The watcher's decision (policy_watch.hpp) and the file stamps it compares:
// a change reloads, a refused change is not tried again, the next change is.
#include "proxy/policy_watch.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/proxy/config/config_test_support.hpp"

namespace mxgate {
namespace {

using core::FileStamp;

FileStamp stamp(std::uint64_t size) { return FileStamp{.path = "/p.yaml", .exists = true, .size = size}; }

TEST(PolicyWatch, ReloadsOnAChangeButNotTheSameRefusedOneAgain) {
    PolicyWatch watch;
    const std::vector<FileStamp> built{stamp(10)};
    EXPECT_FALSE(watch.should_reload(built, built));
    const std::vector<FileStamp> broken{stamp(11)};
    EXPECT_TRUE(watch.should_reload(built, broken));
    watch.refused(broken);
    EXPECT_FALSE(watch.should_reload(built, broken));
    EXPECT_TRUE(watch.should_reload(built, {stamp(12)}));
    EXPECT_TRUE(watch.should_reload(built, {FileStamp{.path = "/p.yaml"}}));  // deleted
}

TEST(PolicyWatch, FirstChangedNamesTheFile) {
    const std::vector<FileStamp> built{stamp(1), FileStamp{.path = "/list.txt", .exists = true}};
    auto now = built;
    EXPECT_EQ(first_changed(built, now), "");
    now[1].modified_ns = 5;
    EXPECT_EQ(first_changed(built, now), "/list.txt");
}

TEST(FileStamp, SeesAnEditAndAReplacement) {
    config::test::TempDir dir;
    const std::string path = dir.file("policy.yaml");
    EXPECT_FALSE(core::stamp_file(path).exists);
    std::ofstream(path) << "rules: []\n";
    const FileStamp first = core::stamp_file(path);
    EXPECT_TRUE(first.exists);
    EXPECT_EQ(first.size, 10u);
    EXPECT_EQ(core::stamp_file(path), first);
    std::ofstream(path, std::ios::app) << "#\n";
    EXPECT_NE(core::stamp_file(path), first);
    // Same size, new inode: how editors and `mv` replace a file.
    const FileStamp second = core::stamp_file(path);
    std::ofstream(dir.file("new.yaml")) << "rules: []\n#\n";
    std::filesystem::rename(dir.file("new.yaml"), path);
    EXPECT_NE(core::stamp_file(path).inode, second.inode);
}

}  // namespace
}  // namespace mxgate
