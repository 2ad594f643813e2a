// The bytes a session has read but not yet used. Grows for pipelined commands
// and message data, and gives its memory back when empty, so an idle session
// holds no read buffer (with Stream::wait_readable).
#pragma once

#include <cstring>
#include <memory>
#include <string_view>

#include <boost/asio/buffer.hpp>

namespace mxgate::session {

class InputBuffer {
public:
    std::string_view view() const { return {data_.get() + begin_, end_ - begin_}; }
    bool empty() const { return begin_ == end_; }
    void consume(std::size_t n) { begin_ += n; }
    void clear() { begin_ = end_ = 0; }

    // Room for at least `min_space` more bytes after the unused ones.
    boost::asio::mutable_buffer prepare(std::size_t min_space) {
        std::size_t used = end_ - begin_;
        if (begin_ > 0) {  // compact: keep the unused bytes at the front
            std::memmove(data_.get(), data_.get() + begin_, used);
            begin_ = 0;
            end_ = used;
        }
        if (capacity_ - end_ < min_space) {
            std::size_t capacity = std::max(capacity_ * 2, used + min_space);
            auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
            if (used) std::memcpy(bigger.get(), data_.get(), used);
            data_ = std::move(bigger);
            capacity_ = capacity;
        }
        return {data_.get() + end_, capacity_ - end_};
    }
    void commit(std::size_t n) { end_ += n; }

    // Frees the memory when nothing is pending (an idle session keeps none).
    void release_if_empty() {
        if (begin_ == end_ && capacity_ > 0) {
            data_.reset();
            capacity_ = begin_ = end_ = 0;
        }
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace mxgate::session
