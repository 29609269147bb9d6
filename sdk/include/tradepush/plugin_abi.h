/*
 * tradepush plugin ABI, version 1.0: the whole contract between tradepushd (the host) and an exchange
 * adapter plugin (a shared library). Pure C99 so any compiler can build a plugin; no C++ object,
 * exception, allocator or callback object crosses it.
 *
 * THREADING (the host guarantees; plugins rely on it and take no locks):
 *   1. Every entry point of one tradepush_instance (create excepted) is called serially on that
 *      instance's strand, never concurrently with another entry point of the same instance.
 *   2. Host API functions may be called only from inside an entry point, on that strand.
 *      Exception: `log`, which is thread-safe.
 *   3. Plugin code never blocks (no sync I/O, no sleep, no own threads or sockets). The host measures
 *      every call and reports overruns. All I/O goes through the host (http_request, ws_open, timers).
 *   4. No exception escapes an entry point (the C++ SDK's trampolines catch everything).
 *
 * OWNERSHIP:
 *   - tradepush_str is BORROWED: valid only during the call it is passed to. Copy what you keep.
 *   - Structs passed by pointer are borrowed the same way.
 *   - tradepush_host* and the tradepush_host_api table are HOST-OWNED, valid from create until
 *     destroy returns. tradepush_instance* is PLUGIN-OWNED, freed by destroy.
 *   - Strings in tradepush_plugin_api (name, version, features_json) are static, valid while the
 *     image is loaded.
 *
 * VERSIONING:
 *   - The host accepts a plugin when abi_major == TRADEPUSH_ABI_MAJOR and abi_minor <= the host's.
 *   - Every table and request struct starts with struct_size and only ever grows at the end; a
 *     reader uses min(struct_size, sizeof(its own struct)) and treats missing slots as NULL/0.
 *   - A NULL function slot means "not supported".
 *   - A breaking change is a new major and a new entry symbol (tradepush_plugin_entry_v2).
 *
 * OPERATIONS AND THE EPOCH FENCE:
 *   - Timers, HTTP requests and WebSockets are host operations (tradepush_op, never 0). Each is tagged
 *     with an owner {user, epoch}; public (shared) ones have an empty user.
 *   - reset_user: the host first bumps the user's epoch and cancels every operation of the old owner,
 *     then calls the plugin, which drops every session and cache of that user. A completion of a
 *     cancelled operation, or of one started under an older epoch, is never delivered, and an emit
 *     with an older epoch is dropped by the host.
 */
#ifndef TRADEPUSH_PLUGIN_ABI_H
#define TRADEPUSH_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRADEPUSH_ABI_MAJOR 1
#define TRADEPUSH_ABI_MINOR 0

#if defined(__GNUC__)
#define TRADEPUSH_EXPORT __attribute__((visibility("default")))
#else
#define TRADEPUSH_EXPORT
#endif

/** The one symbol a plugin exports (the host refuses images that export anything else). */
#define TRADEPUSH_PLUGIN_ENTRY_SYMBOL "tradepush_plugin_entry_v1"

/** A borrowed string: not NUL-terminated, valid only during the call. */
typedef struct tradepush_str {
    const char* ptr;
    size_t len;
} tradepush_str;

/** Result of a command. Details go to the log; outcomes of accepted commands arrive as emits. */
typedef enum tradepush_status {
    TRADEPUSH_OK = 0,
    TRADEPUSH_E_INVALID = 1,     /**< bad arguments */
    TRADEPUSH_E_UNSUPPORTED = 2, /**< not offered by this plugin */
    TRADEPUSH_E_AUTH = 3,        /**< credentials refused */
    TRADEPUSH_E_RATE_LIMIT = 4,  /**< upstream rate limit */
    TRADEPUSH_E_NOT_FOUND = 5,   /**< unknown account, operation or symbol */
    TRADEPUSH_E_TRANSIENT = 6,   /**< try again later */
    TRADEPUSH_E_INTERNAL = 7     /**< a bug or an exception inside the plugin */
} tradepush_status;

/** Log levels for tradepush_host_api.log. */
typedef enum tradepush_log_level {
    TRADEPUSH_LOG_TRACE = 0,
    TRADEPUSH_LOG_DEBUG = 1,
    TRADEPUSH_LOG_INFO = 2,
    TRADEPUSH_LOG_WARN = 3,
    TRADEPUSH_LOG_ERROR = 4
} tradepush_log_level;

/** The streams of the client protocol. Account streams are per (user, account); ticker is public. */
typedef enum tradepush_stream {
    TRADEPUSH_STREAM_BALANCE = 0,
    TRADEPUSH_STREAM_POSITIONS = 1,
    TRADEPUSH_STREAM_PNL = 2,
    TRADEPUSH_STREAM_ORDERS = 3,
    TRADEPUSH_STREAM_TICKER = 4
} tradepush_stream;

/** All account streams at once, for emit_status. */
#define TRADEPUSH_STREAM_ALL_ACCOUNT (-1)

/** State of a stream as told to clients in `stream_status`. */
typedef enum tradepush_stream_state {
    TRADEPUSH_STATE_LIVE = 0,
    TRADEPUSH_STATE_STALE = 1,
    TRADEPUSH_STATE_ERROR = 2
} tradepush_stream_state;

/** Kinds of tradepush_plugin_api.on_ws_event. */
typedef enum tradepush_ws_event_kind {
    TRADEPUSH_WS_OPEN = 0,   /**< connected; data empty */
    TRADEPUSH_WS_TEXT = 1,   /**< a text message */
    TRADEPUSH_WS_BINARY = 2, /**< a binary message */
    TRADEPUSH_WS_CLOSED = 3  /**< closed or failed (data: the reason); the operation is over */
} tradepush_ws_event_kind;

/** Host-owned context of one instance (opaque). */
typedef struct tradepush_host tradepush_host;
/** Plugin-owned instance (opaque to the host). */
typedef struct tradepush_instance tradepush_instance;
/** A host operation (timer, HTTP request, WebSocket). Never 0 for a started operation. */
typedef uint64_t tradepush_op;

/** Who an operation or emit belongs to. user.len == 0: public/shared (tickers). */
typedef struct tradepush_owner {
    tradepush_str user;
    uint64_t epoch;
} tradepush_owner;

/** One HTTP header (borrowed). */
typedef struct tradepush_header {
    tradepush_str name;
    tradepush_str value;
} tradepush_header;

/** An HTTP(S) request for tradepush_host_api.http_request. All fields borrowed for the call. */
typedef struct tradepush_http_request {
    uint32_t struct_size;
    tradepush_str method;   /**< "GET", "POST", ... */
    tradepush_str url;      /**< absolute http:// or https:// URL, query included */
    const tradepush_header* headers;
    size_t header_count;
    tradepush_str body;
    uint32_t timeout_ms;    /**< 0: the host default */
} tradepush_http_request;

/** The outcome of an HTTP request, borrowed for the duration of on_http_done. */
typedef struct tradepush_http_response {
    uint32_t struct_size;
    int32_t status;         /**< HTTP status; 0 when no response (see error) */
    tradepush_str error;    /**< transport error text ("timeout", "connection refused", ...) or empty */
    const tradepush_header* headers;
    size_t header_count;
    tradepush_str body;
    uint64_t elapsed_ns;    /**< from request start to completion */
} tradepush_http_response;

/** A WebSocket to open with tradepush_host_api.ws_open. Borrowed for the call. */
typedef struct tradepush_ws_open {
    uint32_t struct_size;
    tradepush_str url;      /**< ws:// or wss:// */
    const tradepush_header* headers;
    size_t header_count;
    uint32_t timeout_ms;    /**< connect timeout; 0: the host default */
} tradepush_ws_open;

/** An exchange account of a user, from the credentials store. Borrowed: copy the secret you need. */
typedef struct tradepush_account {
    uint32_t struct_size;
    tradepush_str label;      /**< e.g. "main" */
    tradepush_str exchange;   /**< e.g. "bybit" */
    tradepush_str network;    /**< "mainnet" | "testnet" | "demo" */
    tradepush_str api_key;
    tradepush_str api_secret; /**< never log it */
} tradepush_account;

/** What the host offers a plugin instance. HOST-OWNED; append-only. */
typedef struct tradepush_host_api {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t reserved;

    /** Logs a line tagged with the plugin's name. Thread-safe. Never pass secrets. */
    void (*log)(tradepush_host* host, int level, tradepush_str message);
    /** Monotonic clock in ns (virtual in tests). */
    uint64_t (*now_ns)(tradepush_host* host);
    /** Wall clock in ms since the Unix epoch (exchange timestamps). */
    uint64_t (*wall_ms)(tradepush_host* host);
    /** Starts a one-shot timer; on_timer(op, cookie) after delay_ns unless cancelled. */
    tradepush_op (*timer_start)(tradepush_host* host, const tradepush_owner* owner, uint64_t delay_ns,
        uint64_t cookie);
    /** Starts an HTTP(S) request; on_http_done(op, cookie, response) unless cancelled. 0 on refusal. */
    tradepush_op (*http_request)(tradepush_host* host, const tradepush_owner* owner,
        const tradepush_http_request* request, uint64_t cookie);
    /** Opens a WebSocket; on_ws_event(op, cookie, ...) for open, messages and the final close. 0 on refusal. */
    tradepush_op (*ws_open)(tradepush_host* host, const tradepush_owner* owner, const tradepush_ws_open* request,
        uint64_t cookie);
    /** Sends on an open WebSocket. */
    tradepush_status (*ws_send)(tradepush_host* host, tradepush_op ws, tradepush_str payload, int binary);
    /** Cancels an operation (closes a WebSocket); no completion follows. Idempotent; unknown ops ignored. */
    void (*op_cancel)(tradepush_host* host, tradepush_op op);
    /** HMAC-SHA256 of msg with key into out (32 bytes). */
    tradepush_status (*hmac_sha256)(tradepush_host* host, tradepush_str key, tradepush_str msg, uint8_t out[32]);
    /**
     * Publishes the full current state of a stream as normalized JSON (DESIGN §3 schema).
     * Account streams: owner is the user and epoch, account the label. Ticker: owner.user empty,
     * category and symbol set. Dropped by the host when the epoch is stale.
     */
    void (*emit_data)(tradepush_host* host, const tradepush_owner* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, tradepush_str json);
    /** Publishes a stream's state (stream may be TRADEPUSH_STREAM_ALL_ACCOUNT) with a code clients can act on. */
    void (*emit_status)(tradepush_host* host, const tradepush_owner* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, int state, tradepush_str code, tradepush_str message);
    /** Records a metric sample (kind 0 counter increment, 1 gauge, 2 histogram observation). */
    void (*metric)(tradepush_host* host, tradepush_str name, int kind, double value);
} tradepush_host_api;

/** What a plugin offers. PLUGIN-OWNED, static for the image's lifetime; append-only. */
typedef struct tradepush_plugin_api {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t reserved;

    const char* name;          /**< e.g. "bybit"; the exchange name clients use */
    const char* version;       /**< the plugin's own version */
    const char* features_json; /**< capabilities, e.g. {"account_streams":[...],"tickers":["linear","spot"]} */

    /**
     * Creates an instance with its JSON config. On failure returns NULL and writes a NUL-terminated
     * message into err (at most err_cap bytes). host and host_api stay valid until destroy returns.
     */
    tradepush_instance* (*create)(tradepush_host* host, const tradepush_host_api* host_api, tradepush_str config_json,
        char* err, size_t err_cap);
    /** Frees the instance. The host has cancelled its operations; no call follows. */
    void (*destroy)(tradepush_instance* instance);

    /* Completions: on the instance strand; never for cancelled operations or stale epochs. */
    void (*on_timer)(tradepush_instance* instance, tradepush_op op, uint64_t cookie);
    void (*on_http_done)(tradepush_instance* instance, tradepush_op op, uint64_t cookie,
        const tradepush_http_response* response);
    void (*on_ws_event)(tradepush_instance* instance, tradepush_op op, uint64_t cookie, int kind, tradepush_str data);

    /* Commands: return at once (accepted or an error); data and status arrive through emit_*. */
    /** Opens (or keeps) the upstream session of (owner.user, account) and snapshots the streams in mask
     *  (bit 1 << tradepush_stream). */
    tradepush_status (*open_account)(tradepush_instance* instance, const tradepush_owner* owner,
        const tradepush_account* account, uint32_t stream_mask);
    /** Fetches a fresh snapshot of one account stream of an open session. */
    tradepush_status (*request_snapshot)(tradepush_instance* instance, const tradepush_owner* owner,
        tradepush_str account, int stream);
    /** Releases the upstream session of (owner.user, account). */
    tradepush_status (*close_account)(tradepush_instance* instance, const tradepush_owner* owner,
        tradepush_str account);
    /** Starts / stops the shared public ticker stream of (category, symbol). */
    tradepush_status (*subscribe_ticker)(tradepush_instance* instance, tradepush_str category, tradepush_str symbol);
    tradepush_status (*unsubscribe_ticker)(tradepush_instance* instance, tradepush_str category, tradepush_str symbol);
    /** Drops every session and cache of old_owner.user (the host already fenced the epoch). Idempotent. */
    tradepush_status (*reset_user)(tradepush_instance* instance, const tradepush_owner* old_owner);
} tradepush_plugin_api;

/** Signature of the entry symbol. */
typedef const tradepush_plugin_api* (*tradepush_plugin_entry_fn)(uint32_t host_abi_major, uint32_t host_abi_minor);

/**
 * The only exported symbol: returns the plugin's table, or NULL if it cannot run on this host
 * (e.g. the host's major differs). Called on the host's control thread; must not allocate state.
 */
TRADEPUSH_EXPORT const tradepush_plugin_api* tradepush_plugin_entry_v1(uint32_t host_abi_major,
    uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* TRADEPUSH_PLUGIN_ABI_H */
