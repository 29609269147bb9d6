/* Test that header file is self-contained: plugin_abi.h alone, compiled as strict C99 (-Wpedantic -Werror). */
#include <tradepush/plugin_abi.h>

/* A C plugin author can name every type and the entry signature without any other include. */
static tradepush_plugin_entry_fn const entry_type_check = 0;

int
main(void)
{
    tradepush_plugin_api api = {0};
    tradepush_host_api host = {0};
    tradepush_owner owner = {{0, 0}, 0};
    api.struct_size = (uint32_t)sizeof api;
    host.struct_size = (uint32_t)sizeof host;
    (void)entry_type_check;
    (void)owner;
    /* Exit code 0 means the header compiled and the tables are non-empty. */
    return api.struct_size > 0 && host.struct_size > 0 && TRADEPUSH_ABI_MAJOR == 1 ? 0 : 1;
}
