#include "filters/dkim/body_hash.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <utility>

#include <openssl/evp.h>

namespace mxgate::filters::dkim {

namespace {

constexpr std::size_t buffer_size = 16 * 1024;
constexpr std::string_view crlf = "\r\n";

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Relaxed leaves a byte as it is unless it is HTAB, an SP that starts a run or
// may end its line, or a CR that is content or ends an empty line. `next` and
// `prev` are the neighbours (next_known false at the end of the chunk).
bool relaxed_changes(char prev, char c, bool next_known, char next) {
    switch (c) {
        case '\t': return true;
        case ' ': return !next_known || next == ' ' || next == '\t' || next == '\r';
        case '\r': return !next_known || next != '\n' || prev == '\r' || prev == '\n';
        default: return false;
    }
}

// The same test on 16 bytes at once (GCC and Clang vector extensions: SSE2,
// NEON, or plain words). Each lane of the result is -1 where the byte changes.
using Block = signed char __attribute__((vector_size(16)));

Block load_block(const char* from) {
    Block block;
    std::memcpy(&block, from, sizeof block);
    return block;
}

std::size_t first_set_lane(std::uint64_t lanes) {
    const int bit = std::endian::native == std::endian::little ? std::countr_zero(lanes) : std::countl_zero(lanes);
    return static_cast<std::size_t>(bit) / 8;
}

// Where the run of bytes that relaxed leaves as they are ends: the first byte
// after `from` (which is neither WSP nor CR) that relaxed changes, or `end`.
// Ordinary text goes by whole lines, 16 bytes a step, with no branch per byte.
const char* unchanged_run_end(const char* from, const char* end) {
    const char* at = from + 1;
    for (; end - at > static_cast<std::ptrdiff_t>(sizeof(Block)); at += sizeof(Block)) {
        const Block prev = load_block(at - 1);
        const Block here = load_block(at);
        const Block next = load_block(at + 1);
        const Block changes = (here == '\t') | ((here == ' ') & ((next == ' ') | (next == '\t') | (next == '\r'))) |
                              ((here == '\r') & ((next != '\n') | (prev == '\r') | (prev == '\n')));
        std::uint64_t halves[2];
        std::memcpy(halves, &changes, sizeof halves);
        if (halves[0] != 0) return at + first_set_lane(halves[0]);
        if (halves[1] != 0) return at + 8 + first_set_lane(halves[1]);
    }
    for (; at != end; ++at)
        if (relaxed_changes(at[-1], *at, at + 1 != end, at + 1 != end ? at[1] : '\0')) return at;
    return end;
}

// Many empty lines at once, so held line ends go out a block at a time.
constexpr std::size_t line_end_block_count = 512;
constexpr std::array<char, 2 * line_end_block_count> line_end_block = [] {
    std::array<char, 2 * line_end_block_count> block{};
    for (std::size_t i = 0; i < block.size(); i += 2) {
        block[i] = '\r';
        block[i + 1] = '\n';
    }
    return block;
}();

void write_line_ends(CanonicalSink& sink, std::uint64_t count) {
    while (count > 0) {
        const auto now = static_cast<std::size_t>(std::min<std::uint64_t>(count, line_end_block_count));
        sink.write({line_end_block.data(), 2 * now});
        count -= now;
    }
}

// Relaxed output collects here and reaches the sink a buffer at a time.
class OutputBuffer {
public:
    explicit OutputBuffer(CanonicalSink& sink) : sink_(sink) {}

    void put(std::string_view bytes) {
        if (bytes.size() > data_.size() - size_) {
            flush();
            if (bytes.size() >= data_.size()) return sink_.write(bytes);
        }
        std::memcpy(data_.data() + size_, bytes.data(), bytes.size());
        size_ += bytes.size();
    }
    void put_line_ends(std::uint64_t count) {
        flush();
        write_line_ends(sink_, count);
    }
    void flush() {
        if (size_ == 0) return;
        sink_.write({data_.data(), size_});
        size_ = 0;
    }

private:
    CanonicalSink& sink_;
    std::size_t size_ = 0;
    std::array<char, buffer_size> data_;  // not zeroed: only [0, size_) is read
};

class StringSink final : public CanonicalSink {
public:
    void write(std::string_view canonical) override { text.append(canonical); }
    std::string text;
};

// Fetched once: OpenSSL 3 would otherwise look the implementation up at every init.
// Never freed: they live as long as the process.
const EVP_MD* digest_type(DigestAlgorithm algorithm) {
    static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return algorithm == DigestAlgorithm::sha1 ? sha1 : sha256;
}

}  // namespace

// ---- canonicalization ----

void BodyCanonicalizer::feed(std::string_view chunk, CanonicalSink& sink) {
    if (chunk.empty()) return;
    if (canonicalization_ == BodyCanonicalization::simple)
        feed_simple(chunk, sink);
    else
        feed_relaxed(chunk, sink);
}

// RFC 6376 §3.4.3: the body as it is, but for the CRLFs at its end. Each chunk
// goes to the sink in one piece, less its tail of CRLFs (and a last CR), which
// is held: empty lines at the end of the body count for nothing.
void BodyCanonicalizer::feed_simple(std::string_view chunk, CanonicalSink& sink) {
    std::size_t begin = 0;
    if (held_cr_) {
        held_cr_ = false;
        if (chunk.front() == '\n') {
            ++held_line_ends_;
            begin = 1;
        } else {
            write_line_ends(sink, std::exchange(held_line_ends_, 0));
            sink.write("\r");
        }
    }
    std::size_t end = chunk.size();
    const bool ends_in_cr = end > begin && chunk[end - 1] == '\r';
    if (ends_in_cr) --end;
    std::uint64_t tail_line_ends = 0;
    while (end - begin >= 2 && chunk[end - 2] == '\r' && chunk[end - 1] == '\n') {
        end -= 2;
        ++tail_line_ends;
    }
    if (end > begin) {
        write_line_ends(sink, std::exchange(held_line_ends_, 0));
        sink.write(chunk.substr(begin, end - begin));
    }
    held_line_ends_ += tail_line_ends;
    held_cr_ = ends_in_cr;
}

// RFC 6376 §3.4.4: WSP at the end of a line goes, any other WSP run becomes one
// SP, empty lines at the end go. A line's CRLF is written as soon as the line
// has content; the CRLFs of empty lines are held until content follows. Runs
// that stay as they are go out whole; the state machine sees only the rest.
void BodyCanonicalizer::feed_relaxed(std::string_view chunk, CanonicalSink& sink) {
    OutputBuffer out(sink);
    const auto start_content = [&] {
        if (held_line_ends_ > 0) out.put_line_ends(std::exchange(held_line_ends_, 0));
        if (std::exchange(held_wsp_, false)) out.put(" ");
        line_has_content_ = true;
    };
    const auto end_line = [&] {
        held_wsp_ = false;
        if (std::exchange(line_has_content_, false))
            out.put(crlf);
        else
            ++held_line_ends_;
    };

    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    if (held_cr_) {
        held_cr_ = false;
        if (*p == '\n') {
            end_line();
            ++p;
        } else {
            start_content();
            out.put("\r");
        }
    }
    while (p != end) {
        if (is_wsp(*p)) {
            held_wsp_ = true;
            do ++p;
            while (p != end && is_wsp(*p));
        } else if (*p == '\r') {
            if (p + 1 == end) {
                held_cr_ = true;
                ++p;
            } else if (p[1] == '\n') {
                end_line();
                p += 2;
            } else {
                start_content();
                out.put("\r");
                ++p;
            }
        } else {
            start_content();
            const char* const run_end = unchanged_run_end(p, end);
            out.put({p, static_cast<std::size_t>(run_end - p)});
            // The run may end with a line's CRLF: the next line has no content yet.
            line_has_content_ = !(run_end - p >= 2 && run_end[-2] == '\r' && run_end[-1] == '\n');
            p = run_end;
        }
    }
    out.flush();
}

void BodyCanonicalizer::finish(CanonicalSink& sink) {
    if (canonicalization_ == BodyCanonicalization::simple) {
        // One CRLF ends the last line, or is the whole of an empty body (§3.4.3);
        // a held CR was content.
        if (std::exchange(held_cr_, false)) {
            write_line_ends(sink, std::exchange(held_line_ends_, 0));
            sink.write("\r");
        }
        held_line_ends_ = 0;
        sink.write(crlf);
        return;
    }
    // An unterminated last line gets its CRLF; a body of empty lines stays empty
    // (""), as python3-dkim (Relaxed.canonicalize_body) and libopendkim make it.
    // A WSP run ending an unterminated last line stays one SP, as in
    // python3-dkim, which strips only WSP followed by CRLF (libopendkim drops it
    // instead; a body that came by SMTP DATA always ends in CRLF anyway).
    OutputBuffer out(sink);
    if (held_wsp_ || held_cr_) {
        if (held_line_ends_ > 0) out.put_line_ends(std::exchange(held_line_ends_, 0));
        if (std::exchange(held_wsp_, false)) out.put(" ");
        if (std::exchange(held_cr_, false)) out.put("\r");
        line_has_content_ = true;
    }
    if (std::exchange(line_has_content_, false)) out.put(crlf);
    held_line_ends_ = 0;
    out.flush();
}

std::string canonicalize_body(BodyCanonicalization canonicalization, std::string_view body) {
    BodyCanonicalizer canonicalizer(canonicalization);
    StringSink sink;
    canonicalizer.feed(body, sink);
    canonicalizer.finish(sink);
    return std::move(sink.text);
}

// ---- hashing ----

void BodyHasher::ContextFree::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

BodyHasher::BodyHasher(BodyHashSpec spec)
    : spec_(spec), canonicalizer_(spec.canonicalization), context_(EVP_MD_CTX_new()) {
    if (context_ && EVP_DigestInit_ex2(context_.get(), digest_type(spec_.digest), nullptr) != 1) context_.reset();
}

void BodyHasher::feed(std::string_view chunk) { canonicalizer_.feed(chunk, *this); }

// RFC 6376 §3.5 l=: only the first l= octets of the canonical body are hashed;
// the length counts them all, so the caller can tell a body shorter than l=.
void BodyHasher::write(std::string_view canonical) {
    const std::uint64_t before = canonical_length_;
    canonical_length_ += canonical.size();
    if (!context_) return;
    if (spec_.length_limit) {
        const std::uint64_t limit = *spec_.length_limit;
        const std::uint64_t room = limit > before ? limit - before : 0;
        canonical = canonical.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(room, canonical.size())));
    }
    if (!canonical.empty() && EVP_DigestUpdate(context_.get(), canonical.data(), canonical.size()) != 1)
        context_.reset();
}

BodyHasher::Result BodyHasher::finish() {
    canonicalizer_.finish(*this);
    Result result{{}, canonical_length_};
    if (context_) {
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
        unsigned int size = 0;
        if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) == 1)
            result.digest.assign(reinterpret_cast<const char*>(digest.data()), size);
        context_.reset();  // finished: a second finish() reads an empty digest
    }
    return result;
}

}  // namespace mxgate::filters::dkim
