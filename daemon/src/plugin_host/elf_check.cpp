#include "plugin_host/elf_check.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace tradepush::plugin_host {

namespace {

// GCC's extension binding; <elf.h> has it, the constant is spelled out for readers of the spec.
constexpr unsigned char stb_gnu_unique = 10;
static_assert(STB_GNU_UNIQUE == stb_gnu_unique);

/// Copies a T out of `bytes` at `offset` if it fits (the file may be truncated or hostile, and
/// memcpy avoids unaligned reads).
template<class T>
bool
read_at(std::span<unsigned char const> bytes, std::uint64_t offset, T& out) noexcept
{
    if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
        return false;
    std::memcpy(&out, bytes.data() + offset, sizeof(T));
    return true;
}

loader_error
not_shared(std::string const& name, char const* why)
{
    return {loader_errc::not_shared_object, name + ": not a shared object (" + why + ")"};
}

} // namespace

//------------------------------------------------------------------------------

boost::system::result<elf_report, loader_error>
inspect_elf(std::span<unsigned char const> bytes, std::string const& name)
{
    Elf64_Ehdr eh{};
    if (!read_at(bytes, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return not_shared(name, "no ELF header");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return not_shared(name, "not ELF64 little-endian");
    if (eh.e_type != ET_DYN)
        return not_shared(name, "ELF type is not ET_DYN");
#if defined(__x86_64__)
    if (eh.e_machine != EM_X86_64)
        return not_shared(name, "built for another machine");
#elif defined(__aarch64__)
    if (eh.e_machine != EM_AARCH64)
        return not_shared(name, "built for another machine");
#endif
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0)
        return not_shared(name, "no section headers");

    // Find .dynsym by type (SHT_DYNSYM); its sh_link names the string table (.dynstr).
    Elf64_Shdr dynsym{};
    bool found = false;
    for (std::uint64_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh{};
        if (!read_at(bytes, eh.e_shoff + i * sizeof(Elf64_Shdr), sh))
            return not_shared(name, "truncated section headers");
        if (sh.sh_type == SHT_DYNSYM) {
            dynsym = sh;
            found = true;
            break;
        }
    }
    if (!found)
        return not_shared(name, "no dynamic symbol table");
    Elf64_Shdr dynstr{};
    if (dynsym.sh_link >= eh.e_shnum || !read_at(bytes, eh.e_shoff + dynsym.sh_link * sizeof(Elf64_Shdr), dynstr)
        || dynstr.sh_type != SHT_STRTAB || dynstr.sh_offset > bytes.size()
        || bytes.size() - dynstr.sh_offset < dynstr.sh_size)
        return not_shared(name, "bad dynamic string table");
    if (dynsym.sh_entsize != sizeof(Elf64_Sym) || dynsym.sh_offset > bytes.size()
        || bytes.size() - dynsym.sh_offset < dynsym.sh_size)
        return not_shared(name, "bad dynamic symbol table");

    // A PIE executable is ET_DYN too; glibc refuses to dlopen it, so say what it is up front.
    for (std::uint64_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh{};
        read_at(bytes, eh.e_shoff + i * sizeof(Elf64_Shdr), sh);
        if (sh.sh_type != SHT_DYNAMIC)
            continue;
        for (std::uint64_t off = 0; off + sizeof(Elf64_Dyn) <= sh.sh_size; off += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d{};
            if (!read_at(bytes, sh.sh_offset + off, d) || d.d_tag == DT_NULL)
                break;
            if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE) != 0)
                return not_shared(name, "a position-independent executable");
        }
    }

    auto const* strtab = reinterpret_cast<char const*>(bytes.data() + dynstr.sh_offset);
    auto const strtab_size = static_cast<std::size_t>(dynstr.sh_size);

    elf_report report;
    std::uint64_t const count = dynsym.sh_size / sizeof(Elf64_Sym);
    // Entry 0 is the reserved null symbol.
    for (std::uint64_t i = 1; i < count; ++i) {
        Elf64_Sym s{};
        read_at(bytes, dynsym.sh_offset + i * sizeof(Elf64_Sym), s);
        if (s.st_name >= strtab_size)
            return not_shared(name, "symbol name outside the string table");
        // Bounded strlen: a hostile table may lack the final NUL.
        auto const* begin = strtab + s.st_name;
        auto const* end = static_cast<char const*>(std::memchr(begin, '\0', strtab_size - s.st_name));
        if (end == nullptr)
            return not_shared(name, "unterminated symbol name");
        elf_symbol sym{
            .name = std::string(begin, end),
            .type = static_cast<unsigned char>(ELF64_ST_TYPE(s.st_info)),
            .binding = static_cast<unsigned char>(ELF64_ST_BIND(s.st_info)),
            .visibility = static_cast<unsigned char>(ELF64_ST_VISIBILITY(s.st_other)),
            .defined = s.st_shndx != SHN_UNDEF,
        };
        if (sym.name.empty())
            continue;
        if (sym.binding == stb_gnu_unique)
            report.unique_symbols.push_back(sym.name);
        if (!sym.defined && (sym.name == "__cxa_thread_atexit" || sym.name == "__cxa_thread_atexit_impl"))
            report.tls_dtor_imports.push_back(sym.name);
        bool const visible = sym.visibility == STV_DEFAULT || sym.visibility == STV_PROTECTED;
        if (sym.defined && visible && sym.binding != STB_LOCAL)
            report.exports.push_back(sym.name);
        report.symbols.push_back(std::move(sym));
    }
    return report;
}

boost::system::result<std::vector<unsigned char>, loader_error>
read_image_file(std::filesystem::path const& path)
{
    std::error_code ec;
    auto const st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st))
        return loader_error{loader_errc::unreadable, path.string() + ": cannot read: no such file"};
    if (!std::filesystem::is_regular_file(st))
        return loader_error{loader_errc::unreadable, path.string() + ": not a regular file"};
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return loader_error{
            loader_errc::unreadable, path.string() + ": cannot read: " + std::generic_category().message(errno)};
    std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad())
        return loader_error{loader_errc::unreadable, path.string() + ": read error"};
    return bytes;
}

boost::system::result<elf_report, loader_error>
inspect_elf_file(std::filesystem::path const& path)
{
    auto bytes = read_image_file(path);
    if (!bytes)
        return bytes.error();
    return inspect_elf(*bytes, path.string());
}

} // namespace tradepush::plugin_host
