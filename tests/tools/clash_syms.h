/*
 * clash_syms.h -- the c-ares and libconfig names that tests/tools/clash.c and libclash.c
 * define for themselves, with deliberately wrong signatures and results. Each definition
 * returns a magic number and abort()s when called while its owner has not said "this is
 * me calling" (CLASH_SELF), so that a call from the shim, from c-ares or from libconfig
 * into them kills the process at once, with a message naming the function.
 *
 * Included once by each of the two files, after defining CLASH_SELF (an int lvalue) and
 * CLASH_WHO (a string).
 */
#include <stdio.h>
#include <stdlib.h>

#define CLASH_GUARD(fn)                                                                      \
	do {                                                                                 \
		if (!(CLASH_SELF)) {                                                         \
			fprintf(stderr, "%s: %s() called by someone else: aborting\n", CLASH_WHO, \
				fn);                                                         \
			abort();                                                             \
		}                                                                            \
	} while (0)

#define CLASH_FN(name, magic)                                                                \
	long name(void *a, void *b, void *c, void *d);                                       \
	long name(void *a, void *b, void *c, void *d)                                        \
	{                                                                                    \
		(void)a, (void)b, (void)c, (void)d;                                          \
		CLASH_GUARD(#name);                                                          \
		return magic;                                                                \
	}

/* c-ares: what the shim's static, hidden copy uses (and more). */
CLASH_FN(ares_library_init, 7001)
CLASH_FN(ares_init, 7002)
CLASH_FN(ares_init_options, 7003)
CLASH_FN(ares_query, 7004)
CLASH_FN(ares_send, 7005)
CLASH_FN(ares_search, 7006)
CLASH_FN(ares_process_fd, 7007)
CLASH_FN(ares_getsock, 7008)
CLASH_FN(ares_destroy, 7009)
CLASH_FN(ares_set_servers_ports, 7010)
CLASH_FN(ares_getaddrinfo, 7011)
CLASH_FN(ares_strerror, 7012)
/* libconfig: what the shim dlsym()s and what libconfig calls internally. */
CLASH_FN(config_init, 7101)
CLASH_FN(config_destroy, 7102)
CLASH_FN(config_read_file, 7103)
CLASH_FN(config_read, 7104)
CLASH_FN(config_setting_length, 7105)
CLASH_FN(config_setting_get_elem, 7106)
CLASH_FN(config_setting_add, 7107)
CLASH_FN(config_setting_get_member, 7108)
CLASH_FN(config_lookup, 7109)
CLASH_FN(config_setting_set_string_elem, 7110)
CLASH_FN(config_setting_set_int_elem, 7111)

/* Call every one of them as their owner; return how many gave the wrong magic. */
static int clash_call_all(void)
{
	static long (*const fns[])(void *, void *, void *, void *) = {
		ares_library_init, ares_init, ares_init_options, ares_query, ares_send, ares_search,
		ares_process_fd, ares_getsock, ares_destroy, ares_set_servers_ports,
		ares_getaddrinfo, ares_strerror, config_init, config_destroy, config_read_file,
		config_read, config_setting_length, config_setting_get_elem, config_setting_add,
		config_setting_get_member, config_lookup, config_setting_set_string_elem,
		config_setting_set_int_elem,
	};
	static const long magic[] = { 7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008, 7009, 7010,
				      7011, 7012, 7101, 7102, 7103, 7104, 7105, 7106, 7107, 7108,
				      7109, 7110, 7111 };
	int bad = 0;
	CLASH_SELF = 1;
	for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
		if (fns[i](NULL, NULL, NULL, NULL) != magic[i])
			bad++;
	CLASH_SELF = 0;
	return bad;
}
