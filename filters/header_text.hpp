// Building blocks for the header fields filters write (Received-SPF,
// Authentication-Results, later DKIM/DMARC results) and for reading the ones a
// client sent. Pure functions. Peer text (HELO, sender, explanations) passes
// through quoted() or comment_text() so it can never break a field's syntax.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxgate::filters::header_text {

bool is_dot_atom(std::string_view s);                    // RFC 5322 §3.2.3
std::string quoted(std::string_view s);                  // quoted-string; non-printable -> '?'
std::string dot_atom_or_quoted(std::string_view s);
std::string comment_text(std::string_view s);            // text safe inside "( ... )"
// RFC 8601 value: token or quoted-string; "local@domain" as is when both halves are dot-atoms.
std::string pvalue(std::string_view s);
// `first` then the words joined by single spaces, folded with CRLF TAB before a
// word that would pass 78 columns (RFC 5322 §2.1.1); ends in CRLF. Words hold no CR/LF.
std::string fold(std::string_view first, const std::vector<std::string>& words);
std::vector<std::string> words_of(std::string_view text);  // split at single spaces
// Skips folding white space and comments (nested, with quoted-pairs); an
// unterminated comment leaves nothing.
std::string_view skip_cfws(std::string_view s);

}  // namespace mxgate::filters::header_text
