#include "elf_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lab {

bool ElfFile::in_hole(uint64_t offset, uint64_t len) const
{
    // The first extent that ends past `offset`: a hole when it starts at or
    // after the range's end.
    const auto it = std::upper_bound(m_data.begin(), m_data.end(), offset,
                                     [](uint64_t off, const auto& extent) { return off < extent.second; });
    return offset <= m_size && len <= m_size - offset && (it == m_data.end() || it->first >= offset + len);
}

bool ElfFile::copy_sparse(const std::string& path, std::string* error) const
{
    const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        *error = "cannot create " + path + ": " + std::strerror(errno);
        return false;
    }
    bool ok = ftruncate(out, static_cast<off_t>(m_size)) == 0;
    std::string why = ok ? "" : std::strerror(errno);
    for (const auto& [start, end] : m_data) {
        auto in_off = static_cast<off_t>(start);
        auto out_off = static_cast<off_t>(start);
        while (ok && static_cast<uint64_t>(in_off) < end) {
            const ssize_t n = copy_file_range(m_fd, &in_off, out, &out_off, end - static_cast<uint64_t>(in_off), 0);
            ok = n > 0;
            if (!ok) {
                // 0: the file ended before its data extent did (it shrank
                // since it was opened); errno holds nothing of it.
                why = n == 0 ? fmt::format("short copy: the file ends at {:#x}, inside data it had when opened",
                                           static_cast<uint64_t>(in_off))
                             : std::strerror(errno);
            }
        }
    }
    if (!ok) {
        *error = "cannot copy to " + path + ": " + why;
    }
    ::close(out);
    return ok;
}

std::optional<ElfFile> ElfFile::open(const std::string& path, std::string* error)
{
    elf_version(EV_CURRENT);
    ElfFile f;
    f.m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.m_fd < 0) {
        *error = "cannot open " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    fstat(f.m_fd, &st);
    f.m_size = static_cast<uint64_t>(st.st_size);
    void* m = mmap(nullptr, f.m_size, PROT_READ, MAP_SHARED, f.m_fd, 0);
    if (m == MAP_FAILED) {
        *error = "cannot map " + path;
        return std::nullopt;
    }
    f.m_map = static_cast<unsigned char*>(m);
    f.m_data = data_extents(f.m_fd, f.m_size);
    f.m_elf = elf_memory(reinterpret_cast<char*>(f.m_map), f.m_size);
    if (f.m_elf == nullptr || elf_kind(f.m_elf) != ELF_K_ELF || gelf_getehdr(f.m_elf, &f.m_ehdr) == nullptr) {
        *error = path + " is not an ELF file: " + elf_errmsg(-1);
        return std::nullopt;
    }
    size_t n = 0;
    elf_getphdrnum(f.m_elf, &n);
    for (size_t i = 0; i < n; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(f.m_elf, static_cast<int>(i), &ph) != nullptr) {
            f.m_segments.push_back(Segment{ph.p_type, ph.p_offset, ph.p_vaddr, ph.p_paddr, ph.p_filesz, ph.p_memsz});
        }
    }
    return f;
}

ElfFile::ElfFile(ElfFile&& o) noexcept
    : m_fd(o.m_fd),
      m_elf(o.m_elf),
      m_map(o.m_map),
      m_size(o.m_size),
      m_ehdr(o.m_ehdr),
      m_segments(std::move(o.m_segments)),
      m_data(std::move(o.m_data))
{
    o.m_fd = -1;
    o.m_elf = nullptr;
    o.m_map = nullptr;
}

ElfFile::~ElfFile()
{
    if (m_elf != nullptr) {
        elf_end(m_elf);
    }
    if (m_map != nullptr) {
        munmap(m_map, m_size);
    }
    if (m_fd >= 0) {
        close(m_fd);
    }
}

std::vector<Note> ElfFile::notes() const
{
    std::vector<Note> out;
    size_t n = 0;
    elf_getphdrnum(m_elf, &n);
    for (size_t i = 0; i < n; ++i) {
        GElf_Phdr ph;
        if (gelf_getphdr(m_elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_NOTE) {
            continue;
        }
        if (ph.p_offset > m_size || ph.p_filesz > m_size - ph.p_offset) {
            continue;
        }
        Elf_Data* d = elf_getdata_rawchunk(m_elf, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_NHDR);
        if (d == nullptr) {
            continue;
        }
        size_t off = 0;
        GElf_Nhdr nh;
        size_t name_off = 0;
        size_t desc_off = 0;
        while (off < d->d_size) {
            const size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
            if (next == 0) {
                break;
            }
            const auto* base = static_cast<const unsigned char*>(d->d_buf);
            Note note;
            note.type = nh.n_type;
            note.name.assign(reinterpret_cast<const char*>(base + name_off), nh.n_namesz ? nh.n_namesz - 1 : 0);
            note.desc.assign(base + desc_off, base + desc_off + nh.n_descsz);
            note.desc_offset = ph.p_offset + desc_off;
            out.push_back(std::move(note));
            off = next;
        }
    }
    return out;
}

std::vector<Symbol> ElfFile::symbols(int type) const
{
    std::vector<Symbol> out;
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(m_elf, scn)) != nullptr) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == nullptr || sh.sh_type != SHT_SYMTAB) {
            continue;
        }
        Elf_Data* d = elf_getdata(scn, nullptr);
        const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; d != nullptr && i < count; ++i) {
            GElf_Sym s;
            if (gelf_getsym(d, static_cast<int>(i), &s) == nullptr || GELF_ST_TYPE(s.st_info) != type) {
                continue;
            }
            const char* name = elf_strptr(m_elf, sh.sh_link, s.st_name);
            out.push_back(Symbol{s.st_value, s.st_size, name ? name : ""});
        }
    }
    std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
    return out;
}

std::string symbolize(const std::vector<Symbol>& syms, uint64_t addr)
{
    auto it = std::upper_bound(syms.begin(), syms.end(), addr, [](uint64_t a, const Symbol& s) { return a < s.addr; });
    if (it == syms.begin()) {
        return "?";
    }
    --it;
    // ELFv2 local entry points sit up to 8 bytes past the symbol; accept the size.
    if (addr < it->addr + std::max<uint64_t>(it->size, 4)) {
        return it->name;
    }
    return "?";
}

}  // namespace lab
