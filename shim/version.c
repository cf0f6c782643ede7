/* version — see version.h. */
#include "dnsf/version.h"

#ifndef DNSF_VERSION
#error "DNSF_VERSION is set by the Makefile from the VERSION file"
#endif

const char dnsf_version[] = "dnsfailover " DNSF_VERSION;
