// The POSIX steps behind "on disk before 250", shared by the built-in Maildir
// store and the quarantine folder: folders created 0700, whole writes, and the
// directory fsync that makes a rename durable. Errors are errno values (0 = done).
#pragma once

#include <string>
#include <string_view>

namespace mxgate::backend {

// mkdir 0700; an existing directory is fine, an existing non-directory is ENOTDIR.
int make_dir(const std::string& path);
// mkdir -p, every folder it creates 0700 (std::filesystem would make them 0755).
int make_dirs(const std::string& path);
// All of `data`, or false with errno set (EINTR is retried).
bool write_all(int fd, std::string_view data);
// fsync of a directory: the renames and links into it survive a crash.
int fsync_dir(const std::string& path);

}  // namespace mxgate::backend
