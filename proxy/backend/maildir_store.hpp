// The built-in Maildir store: final delivery into
// <path>/<domain>/<local-part>/{tmp,new,cur} (both lower-cased), directories
// created on demand (0700), files 0600. The message is written as it arrives
// into tmp/ of the first recipient's mailbox; at the end it is fsync'ed, linked
// (or copied) into every other mailbox, renamed into new/ and the new/
// directories are fsync'ed - only then 250 (Maildir spec, D. J. Bernstein).
// Which folders may appear is bounded at RCPT: a recipient not in `mailboxes`, or
// without a folder when create_mailboxes is false, is 550 5.1.1; one beyond
// max_new_mailboxes_per_message new folders is 452 4.5.3 (sent again later).
// Errors are replies: a bad mailbox name is 550 5.1.1 for that recipient, any
// filesystem error 451 4.3.0 with nothing left in tmp/ or new/. Never throws.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "proxy/backend/backend.hpp"

namespace mxgate::backend {

class PoolCore;

// A local part or domain usable as one path component: not empty, not "." or
// "..", no "/", no NUL or other control character, no leading ".".
bool valid_mailbox_component(std::string_view component);

// "<epoch>.M<usec>P<pid>Q<counter>.<host>" with "/" and ":" in the host escaped
// as "\057" and "\072" (Maildir spec); unique within this host.
std::string maildir_unique_name();

std::unique_ptr<Transaction> make_maildir_transaction(std::shared_ptr<PoolCore> core,
                                                      std::shared_ptr<const config::Config> config,
                                                      const config::Backend& backend, const Envelope& envelope);

}  // namespace mxgate::backend
