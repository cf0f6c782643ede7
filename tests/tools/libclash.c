/*
 * libclash.so -- a shared object that exports its own ares_* and config_* functions (see
 * clash_syms.h), as a host program linked with -rdynamic (node, for one) does. Loaded into
 * the global scope (preloaded, or dlopen'ed RTLD_GLOBAL by tests/tools/clash.c), its
 * definitions are what any interposable reference to those names binds to -- unless the
 * shim keeps c-ares hidden inside itself and loads libconfig so that libconfig's own
 * internal calls do not come here. Each definition aborts when called by anyone but
 * libclash itself.
 *
 * clash_selftest() calls every one of them through the normal (interposable) path and
 * returns how many did not answer with libclash's magic value: non-zero means something
 * loaded earlier (the shim, say) captured a name that belongs to the host.
 */
static int clash_lib_self;
#define CLASH_SELF clash_lib_self
#define CLASH_WHO "libclash.so"
#include "clash_syms.h"

int clash_selftest(void);
int clash_selftest(void)
{
	return clash_call_all();
}
