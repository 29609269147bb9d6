#include "plugin_host/loader.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/throw_exception.hpp>

#include <openssl/evp.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace tradepush::plugin_host {

namespace dll = boost::dll;
namespace fs = std::filesystem;

void
throw_exception_from_error(loader_error const& e, boost::source_location const& loc)
{
    boost::throw_with_location(std::runtime_error(e.message), loc);
}

std::size_t
min_plugin_api_size() noexcept
{
    return offsetof(tradepush_plugin_api, reset_user) + sizeof(tradepush_plugin_api::reset_user);
}

namespace {

constexpr char const* entry_symbol = TRADEPUSH_PLUGIN_ENTRY_SYMBOL;
// struct_size, abi_major, abi_minor, reserved: what we must be able to read before anything else.
constexpr std::size_t table_header_size = offsetof(tradepush_plugin_api, name);

/// Process-wide: a path once used for an image is never used again, even after its file is
/// deleted, because glibc may still hold the old mapping under that name (§1.5 "same path").
std::atomic<std::uint64_t> image_counter{0};

std::string
sha256_hex_prefix(std::span<unsigned char const> bytes, std::size_t hex_chars)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        return "nohash";
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len && out.size() < hex_chars; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

/// Writes `bytes` to a fresh file under `dir`; O_EXCL guarantees we never overwrite (or share) a
/// path another load in this or another process uses.
boost::system::result<fs::path, loader_error>
write_unique_copy(fs::path const& src, std::span<unsigned char const> bytes, fs::path const& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return loader_error{loader_errc::copy_failed, src.string() + ": cannot create " + dir.string() + ": " + ec.message()};
    // Boost.DLL turns relative paths into absolute ones; RTLD_NOLOAD matches by the exact name,
    // so use the absolute name everywhere.
    fs::path const abs_dir = fs::absolute(dir, ec);
    if (ec)
        return loader_error{loader_errc::copy_failed, src.string() + ": " + dir.string() + ": " + ec.message()};
    std::string const prefix = src.stem().string() + "-" + sha256_hex_prefix(bytes, 16) + "-";
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path img = abs_dir / (prefix + std::to_string(++image_counter) + ".so");
        int const fd = ::open(img.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return loader_error{loader_errc::copy_failed,
                src.string() + ": cannot create " + img.string() + ": " + std::generic_category().message(errno)};
        }
        std::size_t done = 0;
        while (done < bytes.size()) {
            ssize_t const n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                int const err = errno;
                ::close(fd);
                fs::remove(img, ec);
                return loader_error{loader_errc::copy_failed,
                    src.string() + ": cannot write " + img.string() + ": " + std::generic_category().message(err)};
            }
            done += static_cast<std::size_t>(n);
        }
        if (::close(fd) != 0) {
            int const err = errno;
            fs::remove(img, ec);
            return loader_error{loader_errc::copy_failed,
                src.string() + ": cannot write " + img.string() + ": " + std::generic_category().message(err)};
        }
        return img;
    }
    return loader_error{loader_errc::copy_failed, src.string() + ": no free image name under " + dir.string()};
}

std::string
join(std::vector<std::string> const& v)
{
    std::string out;
    for (auto const& s : v) {
        if (!out.empty())
            out += ", ";
        out += s;
    }
    return out;
}

} // namespace

//------------------------------------------------------------------------------

boost::system::result<std::vector<std::string>, loader_error>
list_exports(fs::path const& image, elf_report const& elf)
{
    std::vector<std::string> info_symbols;
    try {
        dll::library_info info(image);
        info_symbols = info.symbols();
    } catch (std::exception const& e) {
        return loader_error{loader_errc::not_shared_object, image.string() + ": not a shared object (" + e.what() + ")"};
    }
    std::vector<std::string> out;
    auto const add = [&](std::string const& s) {
        if (std::find(out.begin(), out.end(), s) == out.end())
            out.push_back(s);
    };
    for (auto const& s : elf.exports)
        add(s);
    for (auto const& s : info_symbols) {
        // library_info does not look at st_shndx: a name the dynamic table knows only as undefined
        // is an import, not an export.
        bool const known = std::any_of(elf.symbols.begin(), elf.symbols.end(),
            [&](elf_symbol const& d) { return d.name == s; });
        bool const defined = std::any_of(elf.symbols.begin(), elf.symbols.end(),
            [&](elf_symbol const& d) { return d.name == s && d.defined; });
        if (defined || !known)
            add(s);
    }
    return out;
}

//------------------------------------------------------------------------------

loaded_plugin::loaded_plugin(loaded_plugin&& other) noexcept
    : lib_(std::move(other.lib_))
    , api_(std::exchange(other.api_, tradepush_plugin_api{}))
    , entry_(std::exchange(other.entry_, nullptr))
    , name_(std::move(other.name_))
    , version_(std::move(other.version_))
    , features_json_(std::move(other.features_json_))
    , image_path_(std::exchange(other.image_path_, {}))
    , source_path_(std::exchange(other.source_path_, {}))
    , elf_(std::move(other.elf_))
{
}

loaded_plugin&
loaded_plugin::operator=(loaded_plugin&& other) noexcept
{
    if (this != &other) {
        (void)release();
        // shared_library's move assignment swaps; ours was released just above, so `other` ends
        // up holding an unloaded library.
        lib_ = std::move(other.lib_);
        api_ = std::exchange(other.api_, tradepush_plugin_api{});
        entry_ = std::exchange(other.entry_, nullptr);
        name_ = std::move(other.name_);
        version_ = std::move(other.version_);
        features_json_ = std::move(other.features_json_);
        image_path_ = std::exchange(other.image_path_, {});
        source_path_ = std::exchange(other.source_path_, {});
        elf_ = std::move(other.elf_);
    }
    return *this;
}

loaded_plugin::~loaded_plugin()
{
    (void)release();
}

bool
loaded_plugin::release() noexcept
{
    bool unmapped = true;
    // Drop every pointer into the image before it goes.
    api_ = tradepush_plugin_api{};
    entry_ = nullptr;
    if (lib_.is_loaded()) {
        lib_.unload();
        // Boost.DLL reports nothing about dlclose (apolukhin/Boost.DLL#37), so ask the dynamic
        // linker: RTLD_NOLOAD returns a handle only if an object of that name is still mapped.
        // That handle is a reference of its own, so give it back at once.
        if (void* h = ::dlopen(image_path_.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
            unmapped = false;
            ::dlclose(h);
        }
    }
    if (!image_path_.empty()) {
        // Deleting is safe even when still resident: the mapping outlives the directory entry.
        std::error_code ec;
        fs::remove(image_path_, ec);
        image_path_.clear();
    }
    return unmapped;
}

bool
unload(loaded_plugin&& plugin) noexcept
{
    return plugin.release();
}

//------------------------------------------------------------------------------

/// The loader's access to loaded_plugin internals.
struct detail::loader_access {
    static boost::system::result<loaded_plugin, loader_error> load(fs::path const& path, load_options const& options);
};

boost::system::result<loaded_plugin, loader_error>
load_plugin(fs::path const& path, load_options const& options)
{
    // Only bad_alloc and the like can get here; the caller gets an error, never an exception.
    try {
        return detail::loader_access::load(path, options);
    } catch (std::exception const& e) {
        return loader_error{loader_errc::internal, path.string() + ": " + e.what()};
    }
}

boost::system::result<loaded_plugin, loader_error>
detail::loader_access::load(fs::path const& path, load_options const& options)
{
    std::string const file = path.string();

    // 1. A readable regular file that is an ELF64 shared object for this machine.
    auto bytes = read_image_file(path);
    if (!bytes)
        return bytes.error();
    auto elf = inspect_elf(*bytes, file);
    if (!elf)
        return elf.error();

    // 2. A private copy under a never-reused name, so a reload never gets a stale image.
    auto img = write_unique_copy(path, *bytes, options.run_dir);
    if (!img)
        return img.error();
    loaded_plugin p;
    p.image_path_ = *img; // from here on, p's destructor deletes the copy on every error path
    p.source_path_ = path;
    p.elf_ = std::move(*elf);

    // 3. Exports, before any code of the image runs (dlopen runs its static constructors).
    auto exports = list_exports(p.image_path_, p.elf_);
    if (!exports)
        return loader_error{exports.error().code, file + ": not a shared object (library_info failed)"};
    auto const entry_it = std::find(exports->begin(), exports->end(), entry_symbol);
    bool const has_entry = entry_it != exports->end();
    if (has_entry)
        exports->erase(entry_it);
    if (!exports->empty())
        return loader_error{loader_errc::bad_exports, file + ": exports " + join(*exports) + " besides " + entry_symbol};
    if (!has_entry)
        return loader_error{loader_errc::bad_exports, file + ": does not export " + entry_symbol};

    // 4. dlopen: NOW so unresolved symbols fail here rather than mid-trade, LOCAL so two images of
    // the same plugin (blue/green) never interpose each other.
    std::error_code ec;
    p.lib_.load(p.image_path_, dll::load_mode::rtld_now | dll::load_mode::rtld_local, ec);
    if (ec || !p.lib_.is_loaded()) {
        // Boost.DLL clears dlerror() on failure; a second attempt (which fails the same way,
        // before any constructor runs) recovers the linker's reason.
        std::string reason = ec ? ec.message() : "unknown error";
        if (void* h = ::dlopen(p.image_path_.c_str(), RTLD_NOW | RTLD_LOCAL)) {
            ::dlclose(h);
        } else if (char const* err = ::dlerror()) {
            reason = err;
        }
        return loader_error{loader_errc::dlopen_failed, file + ": dlopen: " + reason};
    }
    ::dlerror(); // clear, so a NULL from dlsym is unambiguous
    p.entry_ = reinterpret_cast<tradepush_plugin_entry_fn>(::dlsym(p.lib_.native(), entry_symbol));
    if (p.entry_ == nullptr)
        return loader_error{loader_errc::bad_exports, file + ": dlsym " + entry_symbol + " failed"};

    // 5. ABI negotiation.
    tradepush_plugin_api const* table = p.entry_(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    if (table == nullptr)
        return loader_error{loader_errc::refused, file + ": refuses this host (entry returned NULL for ABI "
                + std::to_string(TRADEPUSH_ABI_MAJOR) + "." + std::to_string(TRADEPUSH_ABI_MINOR) + ")"};
    std::uint32_t struct_size = 0;
    std::memcpy(&struct_size, table, sizeof struct_size);
    // Nothing past struct_size is read: a too-small table may be a too-small object.
    if (struct_size < table_header_size)
        return loader_error{loader_errc::bad_table, file + ": struct_size " + std::to_string(struct_size) + " too small"};
    tradepush_plugin_api header{};
    std::memcpy(&header, table, table_header_size);
    if (header.abi_major != TRADEPUSH_ABI_MAJOR)
        return loader_error{loader_errc::abi_mismatch, file + ": ABI major " + std::to_string(header.abi_major)
                + ", host " + std::to_string(TRADEPUSH_ABI_MAJOR)};
    if (header.abi_minor > TRADEPUSH_ABI_MINOR)
        return loader_error{loader_errc::abi_mismatch, file + ": ABI minor " + std::to_string(header.abi_minor)
                + " newer than host " + std::to_string(TRADEPUSH_ABI_MINOR)};
    if (struct_size < min_plugin_api_size())
        return loader_error{loader_errc::bad_table, file + ": struct_size " + std::to_string(struct_size)
                + " too small (at least " + std::to_string(min_plugin_api_size()) + ")"};
    // A newer plugin minor may have a larger table; we read only what we know (OBS pattern).
    std::memcpy(&p.api_, table, std::min<std::size_t>(struct_size, sizeof(tradepush_plugin_api)));
    p.api_.struct_size = static_cast<std::uint32_t>(std::min<std::size_t>(struct_size, sizeof(tradepush_plugin_api)));

    // 6. Required slots: what the hub cannot do without. Completions are optional (a plugin that never
    // starts a WebSocket needs no on_ws_event; the instance drops completions of NULL slots), and so
    // are tickers: a NULL slot means "unsupported".
    struct slot {
        char const* name;
        bool present;
    };
    auto const& a = p.api_;
    slot const required[] = {
        {"create", a.create != nullptr},
        {"destroy", a.destroy != nullptr},
        {"open_account", a.open_account != nullptr},
        {"request_snapshot", a.request_snapshot != nullptr},
        {"close_account", a.close_account != nullptr},
        {"reset_user", a.reset_user != nullptr},
    };
    for (auto const& s : required)
        if (!s.present)
            return loader_error{loader_errc::bad_table, file + ": missing slot " + s.name};
    if (a.name == nullptr || a.name[0] == '\0')
        return loader_error{loader_errc::bad_table, file + ": empty plugin name"};
    p.name_ = a.name;
    p.version_ = a.version ? a.version : "";
    p.features_json_ = a.features_json ? a.features_json : "";
    return p;
}

} // namespace tradepush::plugin_host
