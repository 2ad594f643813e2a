// libopendkim's header for C++: it names C99's _Bool, which C++ spells bool,
// and includes <stdbool.h> only when built with HAVE_STDBOOL_H.
#pragma once

#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
