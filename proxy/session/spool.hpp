// Where a message waits for its end-of-data verdict (issue 11): in memory up to
// `memory_limit`, beyond that in an unlinked temporary file (O_TMPFILE, mode 0600)
// in `directory`, so nothing of it is left on disk whatever happens to the
// process. What it holds is what the backend will get after mxgate's own fields:
// the content as forwarded (dot-stuffed, CRLF-only). The total is bounded by the
// caller (limits.max_message_size).
//
// File I/O is plain blocking write/pread on the worker thread, as Postfix's
// cleanup does: page-cache writes and reads of at most 64 KiB at a time. Errors
// are values: append() returns false (disk full, unwritable directory), a
// Spool::Reader's part comes back empty before the end (a failed read), and
// error() says why; the session answers 451 and loses nothing (the client keeps it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mxgate::session {

// How much of a spool is read back at a time: one write to a backend or to the quarantine.
constexpr std::size_t spool_part_size = 64 * 1024;

class Spool {
public:
    Spool(std::size_t memory_limit, std::string directory)
        : memory_limit_(memory_limit), directory_(std::move(directory)) {}
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    bool append(std::string_view bytes);
    class Reader;  // the one way to read the content back

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

// Walks a spool's content from the start, part by part, in the order appended.
class Spool::Reader {
public:
    explicit Reader(Spool& spool, std::size_t part_size = spool_part_size) : spool_(spool), part_size_(part_size) {}

    // The next part, at most `part_size` bytes, valid until the next call: a view of
    // the memory, or read from the file. Empty at the end, and after a failed read
    // (then spool.failed(): a caller must not take what it got for the whole message).
    std::string_view next();

private:
    Spool& spool_;
    std::size_t part_size_;
    std::uint64_t offset_ = 0;
    std::string buffer_;  // a part read from the file
};

// Whether `directory` can hold a spool file: creates and closes one. Empty when
// it can, else why not (for the config check at startup).
std::string spool_directory_problem(const std::string& directory);

}  // namespace mxgate::session
