#include "proxy/core/file_stamp.hpp"

#include <sys/stat.h>

namespace mxgate::core {

FileStamp stamp_file(const std::string& path) {
    FileStamp stamp{.path = path};
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return stamp;
    stamp.exists = true;
    stamp.device = static_cast<std::uint64_t>(status.st_dev);
    stamp.inode = static_cast<std::uint64_t>(status.st_ino);
    stamp.size = static_cast<std::uint64_t>(status.st_size);
    stamp.modified_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    return stamp;
}

std::vector<FileStamp> stamp_files(const std::vector<std::string>& paths) {
    std::vector<FileStamp> stamps;
    stamps.reserve(paths.size());
    for (const auto& path : paths) stamps.push_back(stamp_file(path));
    return stamps;
}

}  // namespace mxgate::core
