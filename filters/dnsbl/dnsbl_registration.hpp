// filters.dnsbl in the registry (registry.cpp).
#pragma once

#include "filters/registration.hpp"

namespace mxgate::filters::dnsbl {

Registration registration();

}  // namespace mxgate::filters::dnsbl
