// Where a message waits for its end-of-data verdict (issue 11): in memory up to
// `memory_limit`, beyond that in an unlinked temporary file (O_TMPFILE, mode 0600)
// in `directory`, so nothing of it is left on disk whatever happens to the
// process. What it holds is what the backend will get after mxgate's own fields:
// the content as forwarded (dot-stuffed, CRLF-only). The total is bounded by the
// caller (limits.max_message_size).
//
// File I/O is plain blocking write/pread on the worker thread, as Postfix's
// cleanup does: page-cache writes of at most 64 KiB at a time. Errors are
// values: append() returns false (disk full, unwritable directory) and error()
// says why; the session answers 451 and loses nothing (the client keeps it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mxgate::session {

class Spool {
public:
    Spool(std::size_t memory_limit, std::string directory)
        : memory_limit_(memory_limit), directory_(std::move(directory)) {}
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    bool append(std::string_view bytes);
    // Reads the content back from `offset`: up to `max` bytes into `buffer` (file)
    // or a view of the memory; empty at the end or on a read error (see error()).
    std::string_view read(std::uint64_t offset, std::size_t max, std::string& buffer);

    std::uint64_t size() const noexcept { return size_; }
    bool on_disk() const noexcept { return fd_ >= 0; }
    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }

private:
    bool spill();  // memory -> a new temporary file
    bool write_all(std::string_view bytes);

    std::size_t memory_limit_;
    std::string directory_;
    std::string memory_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::string error_;
};

// Whether `directory` can hold a spool file: creates and closes one. Empty when
// it can, else why not (for the config check at startup).
std::string spool_directory_problem(const std::string& directory);

}  // namespace mxgate::session
