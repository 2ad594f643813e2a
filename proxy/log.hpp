// The proxy's side of the structured logger (proxy/core/log.hpp): applying the
// logging config. Lines themselves are built with log::Line from there.
#pragma once

#include "proxy/core/log.hpp"
#include "proxy/config/config.hpp"

namespace mxgate::log {

// Applies logging.level and logging.format; safe to call again on reload.
void configure(const config::Logging& logging);

// Whether configure() has run: before it, a fatal start-up error goes to
// standard error as plain text (the one exception, see docs/architecture.md).
bool configured();

// Writes out what is buffered (before exit).
void flush();

}  // namespace mxgate::log
