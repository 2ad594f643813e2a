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

std::string_view Spool::read(std::uint64_t offset, std::size_t max, std::string& buffer) {
    if (offset >= size_) return {};
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(max, size_ - offset));
    if (fd_ < 0) return std::string_view(memory_).substr(static_cast<std::size_t>(offset), length);
    buffer.resize(length);
    std::size_t got = 0;
    while (got < length) {
        const ssize_t n = ::pread(fd_, buffer.data() + got, length - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = "cannot read the spool file in " + directory_ + ": " + std::strerror(n < 0 ? errno : EIO);
            return {};
        }
        got += static_cast<std::size_t>(n);
    }
    return buffer;
}

std::string spool_directory_problem(const std::string& directory) {
    const int fd = open_temporary(directory);
    if (fd < 0) return std::string("cannot create a temporary file (O_TMPFILE) there: ") + std::strerror(errno);
    ::close(fd);
    return {};
}

}  // namespace mxgate::session
