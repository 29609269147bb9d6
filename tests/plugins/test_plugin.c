/*
 * Deliberately small (and deliberately broken) plugins for the loader tests. One source, one
 * variant per build through TP_* definitions set in tests/plugin_check.cmake:
 *   TP_ABI_MAJOR / TP_ABI_MINOR / TP_STRUCT_SIZE  override the table header
 *   TP_RETURNS_NULL   the entry always returns NULL
 *   TP_NO_DESTROY     the destroy slot is NULL
 *   TP_NO_COMPLETIONS on_timer, on_http_done and on_ws_event are NULL (optional slots)
 *   TP_EXTRA_EXPORT   a second exported function (its version script exports it too)
 *   TP_UNRESOLVED     create calls a function nothing defines (dlopen RTLD_NOW must fail)
 *   TP_ENTRY_HOOK     a function the entry calls first (tls_plugin.cpp includes this file)
 *   TP_VERSION        the version string (default "0.0.1"; reload tests load a "newer" build)
 *   TP_FAIL_CREATE    create refuses with a message (a reload whose new image cannot start)
 * Without any of them this is the minimal valid plugin: instances do nothing, every command is
 * accepted, and the entry refuses a host of another major.
 */
#include <tradepush/plugin_abi.h>

#include <stdlib.h>
#include <string.h>

#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR TRADEPUSH_ABI_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR TRADEPUSH_ABI_MINOR
#endif
#ifndef TP_STRUCT_SIZE
#define TP_STRUCT_SIZE sizeof(tradepush_plugin_api)
#endif
#ifndef TP_VERSION
#define TP_VERSION "0.0.1"
#endif

#ifdef TP_UNRESOLVED
int tp_missing_function(void);
#endif

struct tradepush_instance {
    tradepush_host* host;
    const tradepush_host_api* api;
};

static tradepush_instance*
tp_create(tradepush_host* host, const tradepush_host_api* host_api, tradepush_str config_json, char* err,
    size_t err_cap)
{
    tradepush_instance* self;
    (void)config_json;
#ifdef TP_UNRESOLVED
    if (tp_missing_function() != 0)
        return NULL;
#endif
#ifdef TP_FAIL_CREATE
    if (err_cap > 0) {
        strncpy(err, "refusing this config", err_cap - 1);
        err[err_cap - 1] = '\0';
    }
    return NULL;
#endif
    self = (tradepush_instance*)malloc(sizeof *self);
    if (self == NULL) {
        if (err_cap > 0) {
            strncpy(err, "out of memory", err_cap - 1);
            err[err_cap - 1] = '\0';
        }
        return NULL;
    }
    self->host = host;
    self->api = host_api;
    return self;
}

#ifndef TP_NO_DESTROY
static void
tp_destroy(tradepush_instance* self)
{
    free(self);
}
#endif

#ifndef TP_NO_COMPLETIONS
static void
tp_on_timer(tradepush_instance* self, tradepush_op op, uint64_t cookie)
{
    (void)self, (void)op, (void)cookie;
}

static void
tp_on_http_done(tradepush_instance* self, tradepush_op op, uint64_t cookie, const tradepush_http_response* r)
{
    (void)self, (void)op, (void)cookie, (void)r;
}

static void
tp_on_ws_event(tradepush_instance* self, tradepush_op op, uint64_t cookie, int kind, tradepush_str data)
{
    (void)self, (void)op, (void)cookie, (void)kind, (void)data;
}
#endif

static tradepush_status
tp_open_account(tradepush_instance* self, const tradepush_owner* owner, const tradepush_account* account,
    uint32_t mask)
{
    (void)self, (void)owner, (void)account, (void)mask;
    return TRADEPUSH_OK;
}

static tradepush_status
tp_request_snapshot(tradepush_instance* self, const tradepush_owner* owner, tradepush_str account, int stream)
{
    (void)self, (void)owner, (void)account, (void)stream;
    return TRADEPUSH_OK;
}

static tradepush_status
tp_close_account(tradepush_instance* self, const tradepush_owner* owner, tradepush_str account)
{
    (void)self, (void)owner, (void)account;
    return TRADEPUSH_OK;
}

static tradepush_status
tp_reset_user(tradepush_instance* self, const tradepush_owner* old_owner)
{
    (void)self, (void)old_owner;
    return TRADEPUSH_OK;
}

static const tradepush_plugin_api tp_table = {
    (uint32_t)(TP_STRUCT_SIZE),
    TP_ABI_MAJOR,
    TP_ABI_MINOR,
    0,
    "test",
    TP_VERSION,
    "{}",
    tp_create,
#ifdef TP_NO_DESTROY
    NULL,
#else
    tp_destroy,
#endif
#ifdef TP_NO_COMPLETIONS
    NULL,
    NULL,
    NULL,
#else
    tp_on_timer,
    tp_on_http_done,
    tp_on_ws_event,
#endif
    tp_open_account,
    tp_request_snapshot,
    tp_close_account,
    NULL, /* subscribe_ticker: optional */
    NULL, /* unsubscribe_ticker: optional */
    tp_reset_user,
};

#ifdef TP_EXTRA_EXPORT
TRADEPUSH_EXPORT int tp_extra_function(int x);
TRADEPUSH_EXPORT int
tp_extra_function(int x)
{
    return x + 1;
}
#endif

TRADEPUSH_EXPORT const tradepush_plugin_api*
tradepush_plugin_entry_v1(uint32_t host_abi_major, uint32_t host_abi_minor)
{
    (void)host_abi_minor;
#ifdef TP_ENTRY_HOOK
    TP_ENTRY_HOOK();
#endif
#ifdef TP_RETURNS_NULL
    (void)host_abi_major;
    (void)tp_table;
    return NULL;
#else
    /* A plugin runs only on the major it was built for. */
    if (host_abi_major != TRADEPUSH_ABI_MAJOR)
        return NULL;
    return &tp_table;
#endif
}
