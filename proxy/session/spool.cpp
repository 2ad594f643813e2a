#include "proxy/session/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mxgate::session {

namespace {

int open_temporary(const std::string& directory) {
    return ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

}  // namespace

Spool::~Spool() {
    if (fd_ >= 0) ::close(fd_);  // O_TMPFILE: the data goes with the last descriptor
}

bool Spool::append(std::string_view bytes) {
    if (failed()) return false;
    if (fd_ < 0 && memory_.size() + bytes.size() <= memory_limit_) {
        memory_.append(bytes);
        size_ += bytes.size();
        return true;
    }
    if (fd_ < 0 && !spill()) return false;
    if (!write_all(bytes)) return false;
    size_ += bytes.size();
    return true;
}

bool Spool::spill() {
    fd_ = open_temporary(directory_);
    if (fd_ < 0) {
        error_ = "cannot create a spool file in " + directory_ + ": " + std::strerror(errno);
        return false;
    }
    if (!write_all(memory_)) return false;
    std::string().swap(memory_);
    return true;
}

bool Spool::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = "cannot write the spool file in " + directory_ + ": " + std::strerror(n < 0 ? errno : ENOSPC);
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string_view Spool::Reader::next() {
    if (spool_.failed() || offset_ >= spool_.size_) return {};  // a failed spool stays failed
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(part_size_, spool_.size_ - offset_));
    if (!spool_.on_disk()) {
        const std::string_view part =
            std::string_view(spool_.memory_).substr(static_cast<std::size_t>(offset_), length);
        offset_ += length;
        return part;
    }
    buffer_.resize(length);
    std::size_t got = 0;
    while (got < length) {  // pread may return less than asked: read on
        const ssize_t n = ::pread(spool_.fd_, buffer_.data() + got, length - got, static_cast<off_t>(offset_ + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            spool_.error_ =
                "cannot read the spool file in " + spool_.directory_ + ": " + std::strerror(n < 0 ? errno : EIO);
            return {};
        }
        got += static_cast<std::size_t>(n);
    }
    offset_ += length;
    return buffer_;
}

std::string spool_directory_problem(const std::string& directory) {
    const int fd = open_temporary(directory);
    if (fd < 0) return std::string("cannot create a temporary file (O_TMPFILE) there: ") + std::strerror(errno);
    ::close(fd);
    return {};
}

}  // namespace mxgate::session
