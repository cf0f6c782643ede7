/* failopen — the one return value that means "let libc answer this call".
 *
 * Fail open: when the engine cannot serve a call (it is inactive, out of
 * memory or descriptors, c-ares failed, or the call asks for something our
 * transport cannot honour), glibc answers it exactly as it would without
 * us. Every core function that can end that way returns DNSF_FAIL_OPEN and
 * says so in its contract; its callers pass it up unchanged to the hook or
 * NSS entry point, which then calls libc's own function. Its value is -2
 * because the shapes we mirror use the others: res_query returns a length
 * or -1, nss_dns a status with 0. */
#ifndef DNSF_FAILOPEN_H
#define DNSF_FAILOPEN_H

#define DNSF_FAIL_OPEN (-2)

#endif
