// What a file looked like at one moment: identity (device, inode), size and
// modification time, enough to tell that it was edited or replaced (an editor's
// rename gives a new inode even within one mtime tick). Used to notice that a
// policy file or one of its list files changed. Never throws: a file that cannot
// be stat()ed is stamped as missing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mxgate::core {

struct FileStamp {
    std::string path;
    bool exists = false;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t modified_ns = 0;  // st_mtim since the epoch

    bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_file(const std::string& path);
std::vector<FileStamp> stamp_files(const std::vector<std::string>& paths);

}  // namespace mxgate::core
