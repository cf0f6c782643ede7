/* cli_print — how the command writes DNS data and JSON (cli_print.c), for
 * `dnsfailover resolve` (cli_resolve.c). JSON goes to stdout. */
#ifndef DNSF_CLI_PRINT_H
#define DNSF_CLI_PRINT_H

#include <stddef.h>

#include "dnsf/dnsmsg.h"

/* Type T's mnemonic (RFC 1035 §3.2.2, RFC 3596), or "TYPEnn" (RFC 3597 §5)
 * written into BUF (LEN bytes). */
const char *cli_type_name(unsigned t, char *buf, size_t len);
/* RC's mnemonic (RFC 1035 §4.1.1, RFC 2136 §2.2), or "RCODEnn" in BUF. */
const char *cli_rcode_name(int rc, char *buf, size_t len);
/* One JSON member "KEY": "VALUE" (VALUE NULL: null), after a comma unless
 * FIRST. Any bytes yield valid JSON: those >= 0x7f and controls as \u00XX. */
void cli_json_kv(int first, const char *key, const char *value);
/* The lines written to FD (a memfd holding the engine's trace) as the
 * member "trace": a JSON list of strings, after a comma. */
void cli_json_trace(int fd);
/* RR's data (of message M) as text into TEXT (LEN bytes): an address, a
 * name for CNAME and PTR, else its length in bytes. */
void cli_rr_text(const struct dnsmsg *m, const struct dnsmsg_rr *rr, char *text, size_t len);

#endif
