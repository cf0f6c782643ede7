/* version — the one version string. Its number comes from conf/VERSION
 * (the Makefile passes it to version.c only); the library and the command
 * both link version.o, so `strings` finds the same text in each. */
#ifndef DNSF_VERSION_H
#define DNSF_VERSION_H

/* "dnsfailover X.Y.Z" */
extern const char dnsf_version[];

#endif
