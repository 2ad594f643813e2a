// filters.helo in the registry (registry.cpp): decoded, dumped and built from HeloConfig.
#pragma once

#include "filters/registration.hpp"

namespace mxgate::filters::helo {

Registration registration();

}  // namespace mxgate::filters::helo
