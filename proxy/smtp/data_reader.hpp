// Reads message content after "354": finds the end of data and checks it, without
// copying. Pure and incremental. RFC 5321 §4.1.1.4 and §4.5.2.
//
// Only CRLF "." CRLF ends the data (or "." CRLF right after the 354). A bare CR or
// a bare LF never ends it and is recorded, so a message that tries SMTP smuggling
// (LF.LF, CRLF.LF, LF.CRLF, CR.CR ...) is refused whole by the session instead of
// being split into two messages downstream. The forwardable bytes stay dot-stuffed
// and CRLF-only, exactly as a backend must receive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxgate::smtp {

struct DataLimits {
    std::uint64_t max_message_size = 0;     // bytes of content; 0 = unlimited
    std::size_t max_text_line_length = 0;   // octets incl. CRLF (RFC 5321: 1000); 0 = unlimited
};

struct DataChunk {
    std::string_view forward;  // bytes to send on to the backend now (a prefix of the input)
    std::size_t consumed = 0;  // input bytes used; keep the rest (at most 2) for the next call
    bool done = false;         // the terminating CRLF.CRLF was consumed
};

class DataReader {
public:
    explicit DataReader(DataLimits limits) : limits_(limits) {}

    // `input` is every unused byte received so far. Once a limit or a bare CR/LF
    // is hit, nothing more is forwarded (the session will abort the backend) but
    // reading goes on to the real end of data, so the client stays in sync.
    DataChunk feed(std::string_view input);

    bool bare_line_ending() const { return bare_line_ending_; }  // bare CR or LF seen
    bool too_big() const { return too_big_; }
    bool line_too_long() const { return line_too_long_; }
    bool clean() const { return !bare_line_ending_ && !too_big_ && !line_too_long_; }
    std::uint64_t size() const { return size_; }  // content bytes seen, dot-stuffed, without terminator

private:
    DataLimits limits_;
    bool at_line_start_ = true;
    std::size_t line_length_ = 0;
    std::uint64_t size_ = 0;
    bool bare_line_ending_ = false;
    bool too_big_ = false;
    bool line_too_long_ = false;
};

// BDAT content (RFC 3030) is binary-clean on the wire but mxgate forwards it to
// backends with DATA, so it is checked and dot-stuffed here. One instance per
// message; chunks may split lines anywhere.
class ChunkStuffer {
public:
    explicit ChunkStuffer(DataLimits limits) : limits_(limits) {}
    // Appends the dot-stuffed form of `chunk` to `out`. A bare CR or LF makes the
    // message unclean (same rule as DATA); a chunk ending in CR is resolved by the next.
    void stuff(std::string_view chunk, std::string& out);
    // After the LAST chunk: appends what is needed so `out` ends with CRLF
    // (a final CR waiting for LF counts as bare) and reports.
    void finish(std::string& out);

    bool bare_line_ending() const { return bare_line_ending_; }
    bool too_big() const { return too_big_; }
    bool line_too_long() const { return line_too_long_; }
    bool clean() const { return !bare_line_ending_ && !too_big_ && !line_too_long_; }
    std::uint64_t size() const { return size_; }  // content bytes before stuffing

private:
    DataLimits limits_;
    bool at_line_start_ = true;
    bool pending_cr_ = false;
    std::size_t line_length_ = 0;
    std::uint64_t size_ = 0;
    bool bare_line_ending_ = false;
    bool too_big_ = false;
    bool line_too_long_ = false;
};

// Turns dot-stuffed CRLF content (as forwarded) into the stored form for Maildir:
// dots unstuffed, CRLF -> LF. Incremental: chunks may split a CRLF anywhere.
// Input is what DataReader/ChunkStuffer forwarded, so every line-start dot is stuffing.
class UnstuffToLf {
public:
    void transform(std::string_view in, std::string& out);

private:
    bool at_line_start_ = true;
    bool pending_cr_ = false;
};

}  // namespace mxgate::smtp
