#include "fadump/export/vmcore_writer.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace fadump::vmcore {
namespace {

constexpr uint64_t BLOCK = 4096;          // holes and zero checks at 4 KiB
constexpr uint64_t MAX_WRITE = 1U << 20;  // one pwrite at most
constexpr uint64_t PHDR_ALIGN_NOTE = 4;

Error sys_error(const std::string& call)
{
    return fail(Errc::HardwareError, "vmcore export: " + call + ": " + std::strerror(errno));
}

// An unnamed file in the directory (or, where O_TMPFILE is not supported,
// a hidden named one whose name is returned in `tmp_name`).
int open_unnamed(int dirfd, std::string& tmp_name)
{
    const int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) {
        return fd;
    }
    tmp_name = ".vmcore-export." + std::to_string(getpid()) + ".tmp";
    return openat(dirfd, tmp_name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
}

// The ELF header and program headers, through libelf.
Result<void> write_headers(int fd, const VmcorePlan& plan, const FileLayout& layout)
{
    if (elf_version(EV_CURRENT) == EV_NONE) {
        return fail(Errc::HardwareError, "vmcore export: libelf refuses EV_CURRENT");
    }
    Elf* e = elf_begin(fd, ELF_C_WRITE, nullptr);
    GElf_Ehdr eh{};
    bool ok = e != nullptr && gelf_newehdr(e, ELFCLASS64) != nullptr && gelf_getehdr(e, &eh) != nullptr;
    if (ok) {
        eh.e_ident[EI_DATA] = plan.big_endian ? ELFDATA2MSB : ELFDATA2LSB;
        eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
        eh.e_type = ET_CORE;
        eh.e_machine = EM_PPC64;
        eh.e_version = EV_CURRENT;
        eh.e_phoff = sizeof(Elf64_Ehdr);
        eh.e_flags = plan.elf_flags;
        ok = gelf_update_ehdr(e, &eh) != 0 && gelf_newphdr(e, 1 + plan.loads.size()) != nullptr;
    }
    GElf_Phdr note{};
    note.p_type = PT_NOTE;
    note.p_offset = layout.notes_offset;
    note.p_filesz = note.p_memsz = plan.pt_note_bytes != 0 ? plan.pt_note_bytes : plan.notes.size();
    note.p_align = plan.shape == CoreShape::OpalCore ? 0 : PHDR_ALIGN_NOTE;
    ok = ok && gelf_update_phdr(e, 0, &note) != 0;
    for (size_t i = 0; ok && i < plan.loads.size(); ++i) {
        const Load& l = plan.loads[i];
        GElf_Phdr ph{};
        ph.p_type = PT_LOAD;
        ph.p_flags = PF_R | PF_W | PF_X;
        ph.p_offset = layout.load_offsets[i];
        ph.p_vaddr = plan.vaddr_base + l.paddr;
        ph.p_paddr = l.paddr;
        ph.p_filesz = ph.p_memsz = l.bytes;
        ok = gelf_update_phdr(e, static_cast<int>(i + 1), &ph) != 0;
    }
    ok = ok && elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT) != 0 && elf_update(e, ELF_C_WRITE) >= 0;
    const std::string why = ok ? "" : elf_errmsg(-1);
    elf_end(e);
    if (!ok) {
        return fail(Errc::HardwareError, "vmcore export: libelf: " + why);
    }
    return {};
}

bool all_zero(const std::byte* p, uint64_t n)
{
    return p[0] == std::byte{0} && std::memcmp(p, p + 1, n - 1) == 0;
}

Result<void> pwrite_all(int fd, const std::byte* p, uint64_t n, uint64_t off)
{
    while (n > 0) {
        const ssize_t w = pwrite(fd, p, n, static_cast<off_t>(off));
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return sys_error("pwrite");
        }
        p += w;
        off += static_cast<uint64_t>(w);
        n -= static_cast<uint64_t>(w);
    }
    return {};
}

// One piece of memory: its non-zero 4 KiB blocks, in runs of at most 1 MiB.
Result<uint64_t> write_piece(int fd, const HostPiece& piece, const int* cancel)
{
    uint64_t written = 0;
    uint64_t pos = 0;
    while (pos < piece.bytes) {
        if (cancel != nullptr && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) {
            return fail(Errc::Busy, "vmcore export: cancelled");
        }
        const uint64_t n = std::min(BLOCK, piece.bytes - pos);
        if (all_zero(piece.host + pos, n)) {
            pos += n;
            continue;
        }
        uint64_t run = n;
        while (pos + run < piece.bytes && run < MAX_WRITE) {
            const uint64_t m = std::min(BLOCK, piece.bytes - pos - run);
            if (all_zero(piece.host + pos + run, m)) {
                break;
            }
            run += m;
        }
        if (auto r = pwrite_all(fd, piece.host + pos, run, piece.file_offset + pos); !r) {
            return r.error();
        }
        written += run;
        pos += run;
    }
    return written;
}

// Writes everything into `fd`; returns the bytes written.
Result<uint64_t> fill(int fd, const VmcorePlan& plan, const FileLayout& layout, std::span<const HostPiece> pieces,
                      const int* cancel)
{
    if (auto r = write_headers(fd, plan, layout); !r) {
        return r.error();
    }
    if (auto r = pwrite_all(fd, plan.notes.data(), plan.notes.size(), layout.notes_offset); !r) {
        return r.error();
    }
    // libelf wrote the ELF header and the program headers only: the bytes
    // between them and the notes stay a hole.
    uint64_t written = sizeof(Elf64_Ehdr) + (plan.loads.size() + 1) * sizeof(Elf64_Phdr) + plan.notes.size();
    for (const auto& piece : pieces) {
        auto w = write_piece(fd, piece, cancel);
        if (!w) {
            return w.error();
        }
        written += w.value();
    }
    if (ftruncate(fd, static_cast<off_t>(layout.bytes)) != 0) {
        return sys_error("ftruncate");
    }
    if (fdatasync(fd) != 0) {
        return sys_error("fdatasync");
    }
    return written;
}

// Gives the complete file its name (replacing an older file of that name).
Result<void> publish(int dirfd, int fd, const std::string& tmp_name, const char* name)
{
    std::string staged = tmp_name;
    if (staged.empty()) {
        staged = ".vmcore-export." + std::to_string(getpid()) + ".link";
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        unlinkat(dirfd, staged.c_str(), 0);
        if (linkat(AT_FDCWD, self.c_str(), dirfd, staged.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            return sys_error("linkat");
        }
    }
    if (renameat(dirfd, staged.c_str(), dirfd, name) != 0) {
        auto e = sys_error(std::string("renameat to ") + name);
        unlinkat(dirfd, staged.c_str(), 0);
        return e;
    }
    return {};
}

}  // namespace

Result<WriteStats> write_vmcore(int dirfd, const char* name, const VmcorePlan& plan, const FileLayout& layout,
                                std::span<const HostPiece> pieces, const int* cancel)
{
    const auto t0 = std::chrono::steady_clock::now();
    std::string tmp_name;
    const int fd = open_unnamed(dirfd, tmp_name);
    if (fd < 0) {
        return sys_error("open in the export directory");
    }
    auto written = fill(fd, plan, layout, pieces, cancel);
    Result<void> named = written ? publish(dirfd, fd, tmp_name, name) : Result<void>{};
    close(fd);
    if (!written || !named) {
        if (!tmp_name.empty()) {
            unlinkat(dirfd, tmp_name.c_str(), 0);
        }
        return !written ? written.error() : named.error();
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    return WriteStats{
        .file_bytes = layout.bytes, .data_bytes = written.value(), .ns = static_cast<uint64_t>(ns.count())};
}

}  // namespace fadump::vmcore
